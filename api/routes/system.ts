// Health (no auth) and the OpenAPI document.
import type { ApiApp, RouteDeps } from '../context.js';
import { HealthResponse } from '../schemas.js';
import { openApiDocument } from '../openapi.js';
import type { HealthStatus } from '../../client/api-types.js';

const HEALTH_TIMEOUT_MS = 3000;

async function probe(check: () => Promise<unknown>): Promise<'ok' | 'error'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), HEALTH_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'ok';
  } catch {
    return 'error';
  } finally {
    clearTimeout(timer);
  }
}

export function systemRoutes(app: ApiApp, deps: RouteDeps): void {
  app.get(
    '/healthz',
    {
      config: { public: true },
      schema: {
        operationId: 'health',
        tags: ['system'],
        summary: 'Liveness and readiness (no authentication)',
        description: 'Checks the metadata DB and the Temporal namespace. 200 when both answer, else 503.',
        security: [],
        response: { 200: HealthResponse, 503: HealthResponse },
      },
    },
    async (_req, reply) => {
      const [metadata, temporal] = await Promise.all([
        // a primary-key lookup: touches the DB, cheap whatever the fleet size
        probe(() => deps.store.getCluster('healthz-probe')),
        probe(() => deps.client.workflowService.describeNamespace({ namespace: deps.client.options.namespace })),
      ]);
      const body: HealthStatus = { status: metadata === 'ok' && temporal === 'ok' ? 'ok' : 'degraded', checks: { metadata, temporal } };
      return reply.status(body.status === 'ok' ? 200 : 503).send(body);
    },
  );

  app.get(
    '/api/v1/openapi.json',
    { schema: { hide: true } },
    async (_req, reply) => reply.type('application/json; charset=utf-8').send(openApiDocument(app)),
  );
}
