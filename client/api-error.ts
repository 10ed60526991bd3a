// An error answered by the tiem-clone API: a TiEM code and an HTTP status. Thrown by the server's
// handlers (api/errors.ts renders it) and by its client (api-client.ts) for what the API answered.
import { TiemError, type TiemErrorName } from '../domain/errors.js';
import { httpStatusOf } from '../domain/validation.js';

/** An answer with a TiEM code and an HTTP status; thrown by handlers, rendered by the error handler. */
export class ApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Client side: the API could not be reached at all (connection refused, DNS, timeout). */
  get unreachable(): boolean {
    return this.httpStatus === 0;
  }

  /** TiEM's message format "[<code>]<explanation>\t<detail>", with the status of spec §3 unless given. */
  static of(name: TiemErrorName, detail: string, httpStatus?: number): ApiError {
    const e = new TiemError(name, detail);
    return new ApiError(httpStatus ?? httpStatusOf(e), e.code, e.message);
  }

  static fromTiem(err: TiemError): ApiError {
    return new ApiError(httpStatusOf(err), err.code, err.message);
  }
}
