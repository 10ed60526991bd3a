// TiEM's error envelope for every failure the API answers: `{"code":<n>,"message":"…","data":{}}`
// with the HTTP status of spec §3. Fastify's own errors (bad JSON, schema validation, 404 route)
// are mapped to TiEM codes here, so no client ever sees fastify's default error body.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { TiemError, TiemErrorCode, type TiemErrorName } from '../domain/errors.js';
import { MAX_BODY_BYTES } from '../domain/limits.js';
import { ApiError } from '../client/api-error.js';

export { ApiError };

export const unauthorized = (message: string) => new ApiError(401, 401, message);

export interface ErrorBody {
  code: number;
  message: string;
  data: Record<string, never>;
}

export function errorBody(code: number, message: string): ErrorBody {
  return { code, message, data: {} };
}

/** One schema-validation error of the TypeBox compiler (ajv-compatible shape). */
interface SchemaIssue {
  keyword?: string;
  instancePath?: string;
  message?: string;
}

/** Upper bounds are reported first: for an oversized array they are the answer, whatever its elements hold. */
const BOUND_KEYWORDS = new Set(['maxItems', 'maxLength', 'maximum']);

/** "/resourceParameters/instanceResource/0/count must be integer" → readable field path. */
export function describeSchemaIssues(context: string | undefined, issues: readonly SchemaIssue[]): string {
  const first = issues.find((i) => BOUND_KEYWORDS.has(i.keyword ?? '')) ?? issues.find((i) => i.keyword !== 'anyOf') ?? issues[0];
  if (!first) return `${context ?? 'request'} is invalid`;
  const path = (first.instancePath ?? '').replace(/^\//, '').replace(/\/(\d+)(?=\/|$)/g, '[$1]').replace(/\//g, '.');
  return `${path || context || 'request'} ${first.message ?? 'is invalid'}`.trim();
}

/**
 * As TiEM's gin binder: a value of the wrong JSON type is MARSHAL_ERROR (10004), a well-typed
 * value breaking a rule is PARAMETER_INVALID (10001). Both are HTTP 400.
 */
export function validationError(context: string | undefined, issues: readonly SchemaIssue[]): ApiError {
  const wrongType = context === 'body' && issues.length > 0 && issues.every((i) => i.keyword === 'type' || i.keyword === 'anyOf');
  const name: TiemErrorName = wrongType ? 'MARSHAL_ERROR' : 'PARAMETER_INVALID';
  return new ApiError(400, TiemErrorCode[name], describeSchemaIssues(context, issues));
}

/** Maps anything thrown in a route (or by fastify before it) to the envelope. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof TiemError) return ApiError.fromTiem(err);
  const fe = err as Partial<FastifyError> & { validation?: SchemaIssue[]; validationContext?: string };
  if (fe.validation) return validationError(fe.validationContext, fe.validation);
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError(400, TiemErrorCode.MARSHAL_ERROR, `request body is not valid JSON: ${fe.message ?? ''}`.trim());
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, TiemErrorCode.PARAMETER_INVALID, `request body is too large: at most ${MAX_BODY_BYTES} bytes`);
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new ApiError(fe.statusCode, TiemErrorCode.PARAMETER_INVALID, fe.message ?? 'bad request');
  }
  return new ApiError(500, TiemErrorCode.UNRECOGNIZED_ERROR, 'internal error');
}

export function sendError(reply: FastifyReply, err: ApiError): FastifyReply {
  return reply.status(err.httpStatus).type('application/json; charset=utf-8').send(errorBody(err.code, err.message));
}

/** fastify.setErrorHandler: logs unexpected errors (not client errors), answers the envelope. */
export function errorHandler(this: unknown, err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  let api = toApiError(err);
  if (api.httpStatus >= 500 && !(err instanceof ApiError)) {
    req.log.error({ err }, 'request failed');
    // the cause stays in the log; the client gets the request id to find it
    if (api.code === TiemErrorCode.UNRECOGNIZED_ERROR) api = new ApiError(api.httpStatus, api.code, `internal error (request ${req.id}; see the API log)`);
  }
  return sendError(reply, api);
}

/**
 * fastify `frameworkErrors`: what the router refuses before any route runs (a bad percent-escape,
 * FST_ERR_BAD_URL) is answered with the envelope too.
 */
export function frameworkErrorHandler(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  void sendError(reply, new ApiError(400, TiemErrorCode.PARAMETER_INVALID, `malformed request URL: ${err.message}`));
}

/**
 * fastify `clientErrorHandler`: errors Node's HTTP parser raises before fastify sees a request
 * (headers or URL over Node's 16 KiB limit, a garbled request line) get the envelope, written on the
 * raw socket as fastify's default handler does.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const message = status === 431 ? 'request headers or URL too large' : status === 408 ? 'request timed out' : 'malformed HTTP request';
  const body = JSON.stringify(errorBody(TiemErrorCode.PARAMETER_INVALID, message));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
