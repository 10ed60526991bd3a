// The HTTP API (TiEM-compatible where TiEM had the route): fastify with TypeBox schemas, which
// validate requests, serialize responses and generate the OpenAPI document. No listen() here:
// api/main.ts listens; tests use inject() or listen on port 0.
import swagger from '@fastify/swagger';
import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyInstance } from 'fastify';
import { nulFieldOf, nulRefusal } from '../domain/validation.js';
import { MAX_BODY_BYTES } from '../domain/limits.js';
import type { MetadataStore } from '../metadata/types.js';
import { TASK_QUEUE } from '../workflows/definitions.js';
import { TokenVerifier } from './auth.js';
import type { ApiApp, RouteDeps } from './context.js';
import { ApiError, clientErrorHandler, errorHandler, frameworkErrorHandler, sendError } from './errors.js';
import { OPENAPI_INFO } from './openapi.js';
import { cloneRoutes } from './routes/clone.js';
import { clusterRoutes } from './routes/clusters.js';
import { reconcilerRoutes } from './routes/reconciler.js';
import { resourceRoutes } from './routes/resources.js';
import { parameterGroupRoutes } from './routes/parameter-groups.js';
import { systemRoutes } from './routes/system.js';
import { workflowRoutes } from './routes/workflows.js';
import { SHARED_SCHEMAS } from './schemas.js';

export interface ApiServerDeps {
  /** @temporalio/client Client, with the payload codec of the workers. */
  client: Client;
  store: MetadataStore;
  /** Accepted bearer tokens (at least one). */
  tokens: string[];
  taskQueue?: string;
  /** Request logging (pino); the Authorization header is redacted. */
  logger?: boolean;
  /** Where the log goes (default stdout); tests capture it. */
  logStream?: NodeJS.WritableStream;
}

/** Tokens must never reach a log line, whatever a serializer or a future log call includes. */
export const LOG_REDACT = { paths: ['req.headers.authorization', 'headers.authorization', 'request.headers.authorization'], censor: '[redacted]' };

const MAX_PATH_PARAM_CHARS = 4096;

export function createApiServer(deps: ApiServerDeps): FastifyInstance {
  const verifier = new TokenVerifier(deps.tokens);
  const app = Fastify({
    logger: deps.logger ? { level: 'info', redact: LOG_REDACT, ...(deps.logStream ? { stream: deps.logStream } : {}) } : false,
    // An id of 255 characters is up to 3060 once percent-encoded (fastify's default allows 100).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PATH_PARAM_CHARS },
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    // stated, not left to fastify's default: errors.ts names it in the 413 answer
    bodyLimit: MAX_BODY_BYTES,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => sendError(reply, new ApiError(404, 404, `no route ${req.method} ${req.url.split('?')[0]}`)));
  for (const s of SHARED_SCHEMAS) app.addSchema(s);

  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.config?.public) return;
    verifier.verify(req);
  });
  // Before the schemas and the routes: no path, query or body string with a NUL reaches a store or a workflow.
  app.addHook('preValidation', async (req) => {
    for (const [part, value] of [['path', req.params], ['query', req.query], ['body', req.body]] as const) {
      const field = nulFieldOf(value);
      if (field) throw ApiError.fromTiem(nulRefusal(`${part} ${field}`));
    }
  });

  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: OPENAPI_INFO,
      tags: [
        { name: 'clusters', description: 'clone, list, show, delete, takeover' },
        { name: 'workflows', description: 'flow detail, list, cancel' },
        { name: 'resources', description: 'the host pool' },
        { name: 'reconciler', description: 'repairs of what closed workflows left behind' },
        { name: 'system', description: 'health' },
      ],
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearerAuth: [] }],
    },
    // components named after the schemas' $id (ClusterInfo, WorkflowDetail, …), not def-<n>
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });

  const routeDeps: RouteDeps = { client: deps.client, store: deps.store, taskQueue: deps.taskQueue ?? TASK_QUEUE };
  // registered after swagger, so its onRoute hook sees every route
  app.register(async (scope) => {
    const api = scope as unknown as ApiApp;
    systemRoutes(api, routeDeps);
    cloneRoutes(api, routeDeps);
    workflowRoutes(api, routeDeps);
    clusterRoutes(api, routeDeps);
    resourceRoutes(api, routeDeps);
    parameterGroupRoutes(api, routeDeps);
    reconcilerRoutes(api, routeDeps);
  });
  return app;
}
