// The OpenAPI document is generated from the route schemas; the committed docs/openapi.json must
// be exactly what the code generates (run `npm run openapi` after changing a route).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOpenApiText } from '../../api/openapi-offline.js';
import { CloneRequestBody } from '../../api/schemas.js';

const committed = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'openapi.json');

interface Doc {
  openapi: string;
  security: unknown[];
  paths: Record<string, Record<string, { operationId?: string; security?: unknown[]; requestBody?: { content: Record<string, { schema: unknown }> }; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

let text: string;
let doc: Doc;

beforeAll(async () => {
  text = await buildOpenApiText();
  doc = JSON.parse(text) as Doc;
});

test('docs/openapi.json is up to date (npm run openapi)', () => {
  expect(readFileSync(committed, 'utf8')).toBe(text);
});

test('generation is deterministic', async () => {
  expect(await buildOpenApiText()).toBe(text);
});

test('every route is documented, with bearer auth except health', () => {
  const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([m, op]) => [`${m.toUpperCase()} ${path}`, op.operationId]));
  expect(Object.fromEntries(ops)).toEqual({
    'GET /api/v1/clusters': 'listClusters',
    'POST /api/v1/clusters/clone': 'cloneCluster',
    'POST /api/v1/clusters/takeover': 'takeoverCluster',
    'GET /api/v1/clusters/{id}': 'getCluster',
    'DELETE /api/v1/clusters/{id}': 'deleteCluster',
    'POST /api/v1/resources/hosts': 'importHosts',
    'POST /api/v1/reconciler/run': 'runReconciler',
    'GET /api/v1/reconciler/repairs': 'listRepairs',
    'GET /api/v1/resources/hosts': 'listHosts',
    'GET /api/v1/param-groups/': 'queryParameterGroups',
    'POST /api/v1/param-groups/': 'createParameterGroup',
    'GET /api/v1/param-groups/{paramGroupId}': 'getParameterGroup',
    'GET /api/v1/workflow/': 'queryWorkflows',
    'POST /api/v1/workflow/stop': 'stopWorkflow',
    'POST /api/v1/workflow/start': 'startWorkflow',
    'GET /api/v1/workflow/{workFlowId}': 'getWorkflow',
    'POST /api/v1/workflow/{workFlowId}/cancel': 'cancelWorkflow',
    'GET /api/v1/workflows': 'listWorkflows',
    'GET /healthz': 'health',
  });
  expect(doc.security).toEqual([{ bearerAuth: [] }]);
  expect(doc.components.securitySchemes).toEqual({ bearerAuth: { type: 'http', scheme: 'bearer' } });
  expect(doc.paths['/healthz']!.get!.security).toEqual([]);
  for (const [path, methods] of Object.entries(doc.paths)) {
    if (path === '/healthz') continue;
    for (const op of Object.values(methods)) expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '4XX', '5XX']));
  }
});

test('the clone body in the document is the schema that validates requests', () => {
  const body = doc.paths['/api/v1/clusters/clone']!.post!.requestBody!.content['application/json']!.schema as { required: string[]; properties: Record<string, unknown> };
  expect(body.required).toEqual(CloneRequestBody.required);
  expect(Object.keys(body.properties)).toEqual(Object.keys(CloneRequestBody.properties));
  expect(body.properties.dbPassword).toMatchObject({ minLength: 8, maxLength: 32 });
  expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['ErrorEnvelope', 'WorkflowDetail', 'ClusterDetail', 'HostInfo']));
});
