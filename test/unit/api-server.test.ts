// The API server in-process on a loopback port (jest cannot load fastify.inject's ESM deps), with a
// real SQLite metadata store and a stand-in for the Temporal client: envelope and error mapping,
// auth, admission verdicts → HTTP, cluster and host views, health, log redaction. The real Temporal path is test/integration/api.test.ts.
import { PassThrough } from 'node:stream';
import { WorkflowNotFoundError, type Client, type WithStartWorkflowOperation } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { createApiServer } from '../../api/server.js';
import type { ClusterDetail, ClusterInfo, HostListData } from '../../client/api-types.js';
import { demoCloneRequest, demoHosts } from '../../embedded/demo-fleet.js';
import { openTempStore, type TempStore } from '../../metadata/testing.js';
import type { AdmissionOutcome } from '../../workflows/definitions.js';

const TOKEN = 'unit-test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const json = { ...auth, 'content-type': 'application/json' };

let t: TempStore;
let app: FastifyInstance;
let base: string;
let verdict: (workflowId: string) => AdmissionOutcome;
let started: WithStartWorkflowOperation<never>[];
let namespaceUp: boolean;

const fakeClient = {
  options: { namespace: 'default' },
  workflowService: {
    describeNamespace: async () => {
      if (!namespaceUp) throw new Error('14 UNAVAILABLE');
      return {};
    },
  },
  workflow: {
    executeUpdateWithStart: async (_update: unknown, o: { startWorkflowOperation: WithStartWorkflowOperation<never> }) => {
      started.push(o.startWorkflowOperation);
      return verdict(o.startWorkflowOperation.options.workflowId);
    },
    getHandle: (workflowId: string) => ({
      workflowId,
      describe: async () => {
        throw new WorkflowNotFoundError('not found', workflowId, undefined);
      },
    }),
  },
} as unknown as Client;

beforeEach(async () => {
  t = await openTempStore();
  started = [];
  namespaceUp = true;
  verdict = (workflowId) => ({ accepted: true, workflowId, clusterId: workflowId.replace(/^\w+-/, '') });
  app = createApiServer({ client: fakeClient, store: t.store, tokens: [TOKEN] });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});

interface Answer {
  statusCode: number;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** fetch against a listening server, shaped like fastify.inject's answer. */
async function request(o: { method: string; url: string; headers?: Record<string, string>; payload?: string }, server = base): Promise<Answer> {
  const res = await fetch(`${server}${o.url}`, { method: o.method, headers: o.headers, body: o.payload });
  const text = await res.text();
  return { statusCode: res.status, json: () => JSON.parse(text) };
}

afterEach(async () => {
  await app.close();
  await t.cleanup();
});

const post = (url: string, payload: unknown, headers: Record<string, string> = json) =>
  request({ method: 'POST', url, headers, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });

describe('errors keep the TiEM envelope', () => {
  test.each([
    ['broken JSON', '{"a":', json],
    ['an empty body', '', json],
    ['a body that is not JSON', 'sourceClusterId=x', { ...auth, 'content-type': 'application/x-www-form-urlencoded' }],
    ['a JSON array', '[1,2]', json],
    ['JSON null', 'null', json],
  ])('%s → 10004 / 400', async (_what, payload, headers) => {
    const r = await post('/api/v1/clusters/clone', payload, headers);
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ code: 10004, data: {} });
    expect(started).toHaveLength(0);
  });

  test('unknown routes are 404 in the envelope (after auth)', async () => {
    expect((await request({ method: 'GET', url: '/api/v1/nope' })).statusCode).toBe(401);
    const r = await request({ method: 'GET', url: '/api/v1/nope', headers: auth });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toEqual({ code: 404, message: 'no route GET /api/v1/nope', data: {} });
  });

  test('fields only the schema knows are checked too: destroyOnFailure of the wrong type → 10004', async () => {
    const body = { ...demoCloneRequest({ clusterName: 'unit-clone', cloneStrategy: 'Snapshot' }), destroyOnFailure: 'yes' };
    const r = await post('/api/v1/clusters/clone', body);
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ code: 10004, message: expect.stringContaining('destroyOnFailure') });
    expect(started).toHaveLength(0);
  });
});

describe('auth', () => {
  test('401 for missing, malformed and unknown tokens; the token is compared exactly', async () => {
    for (const authorization of [undefined, `bearer ${TOKEN}`, `Bearer  ${TOKEN}`, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, 'Token abc']) {
      const r = await request({ method: 'GET', url: '/api/v1/clusters', headers: authorization ? { authorization } : {} });
      expect(r.statusCode).toBe(401);
      expect(r.json()).toMatchObject({ code: 401, data: {} });
    }
    expect((await request({ method: 'GET', url: '/api/v1/clusters', headers: auth })).statusCode).toBe(200);
  });

  test('a server without tokens cannot be built', () => {
    expect(() => createApiServer({ client: fakeClient, store: t.store, tokens: [' ', ''] })).toThrow(/token/);
  });

  test('the Authorization header never reaches the log', async () => {
    const stream = new PassThrough();
    let log = '';
    stream.on('data', (d: Buffer) => (log += d.toString()));
    const logged = createApiServer({ client: fakeClient, store: t.store, tokens: [TOKEN], logger: true, logStream: stream });
    const server = await logged.listen({ port: 0, host: '127.0.0.1' });
    await request({ method: 'GET', url: '/api/v1/clusters', headers: auth }, server);
    await request({ method: 'GET', url: '/api/v1/clusters', headers: { authorization: 'Bearer wrong-secret-token-xyz' } }, server);
    await logged.close();
    expect(log).toContain('/api/v1/clusters'); // it does log requests
    expect(log).not.toContain(TOKEN);
    expect(log).not.toContain('wrong-secret-token-xyz');
  });
});

describe('POST /api/v1/clusters/clone → admission verdict', () => {
  const body = () => demoCloneRequest({ clusterName: 'unit-clone', cloneStrategy: 'CDCSync' });

  test('accepted: TiEM success envelope; the workflow gets the clean request, options and search attributes', async () => {
    const r = await post('/api/v1/clusters/clone', { ...body(), destroyOnFailure: true, unknownField: 1, dbUser: 'root' });
    expect(r.statusCode).toBe(200);
    const { data } = r.json();
    expect(r.json()).toEqual({ code: 0, message: 'OK', data: { workFlowId: `clone-${data.clusterId}`, clusterId: data.clusterId } });
    expect(started).toHaveLength(1);
    const op = started[0]!;
    expect(op.workflowTypeOrFunc).toBe('cloneCluster');
    const input = op.options.args![0] as { request: Record<string, unknown>; options?: { destroyOnFailure?: boolean }; targetClusterId: string };
    expect(input.options).toEqual({ destroyOnFailure: true });
    expect(input.request).not.toHaveProperty('unknownField');
    expect(input.request).not.toHaveProperty('destroyOnFailure');
    expect(input.targetClusterId).toBe(data.clusterId);
  });

  test.each([
    [10003, 404],
    [21301, 500],
    [21302, 404],
    [21303, 500],
    [21304, 500],
    [20101, 400],
    [20114, 409],
  ])('rejected with %i → HTTP %i, message passed through', async (code, status) => {
    verdict = (workflowId) => ({ accepted: false, workflowId, clusterId: 'x', code, httpStatus: 200, errorName: 'X', message: `[${code}]refused` });
    const r = await post('/api/v1/clusters/clone', body());
    expect(r.statusCode).toBe(status);
    expect(r.json()).toEqual({ code, message: `[${code}]refused`, data: {} });
  });

  test('a Temporal failure is 500 10000 with the request id; its detail stays in the log', async () => {
    verdict = () => {
      throw new Error('3 INVALID_ARGUMENT: internal detail');
    };
    const r = await post('/api/v1/clusters/clone', body());
    expect(r.statusCode).toBe(500);
    expect(r.json()).toEqual({ code: 10000, message: expect.stringMatching(/^internal error \(request req-\w+; see the API log\)$/), data: {} });
  });

  test('the same requestId maps to the same workflow id', async () => {
    const a = await post('/api/v1/clusters/clone', { ...body(), requestId: 'req-1' });
    const b = await post('/api/v1/clusters/clone', { ...body(), requestId: 'req-1' });
    expect(a.json().data).toEqual(b.json().data);
    expect(started.map((s) => s.options.workflowId)).toEqual([a.json().data.workFlowId, a.json().data.workFlowId]);
  });
});

describe('clusters, hosts, workflows', () => {
  test('clusters: list and detail with relations; 404 10003 for a missing one', async () => {
    const base = { version: 'v7.5.1', copies: 3, region: 'Region1', cpuArchitecture: 'X86_64' as const, tags: ['t'], tls: false, exclusive: false, vendor: 'Local', parameterGroupId: 'default-v7.5' };
    await t.store.importCluster({ ...base, id: 'clusterMaster000000001', name: 'master' }, [
      { id: 'i1', component: 'TiDB', hostId: 'h1', hostIp: '10.0.0.1', ports: [4000, 10080], diskId: 'd1', diskPath: '/data1', zone: 'Z1', rack: 'R1', cpuCores: 8, memoryGb: 16, status: 'Running' },
    ]);
    await t.store.importCluster({ ...base, id: 'clusterSlave0000000001', name: 'slave' }, []);
    await t.store.upsertRelation({ relationType: 'StandBy', subjectClusterId: 'clusterMaster000000001', objectClusterId: 'clusterSlave0000000001', syncChangefeedTaskId: 'cf' });

    const list = await request({ method: 'GET', url: '/api/v1/clusters', headers: auth });
    const clusters = list.json().data as ClusterInfo[];
    expect(clusters.map((c) => [c.clusterId, c.relations])).toEqual(
      expect.arrayContaining([
        ['clusterMaster000000001', { masters: [], slaves: ['clusterSlave0000000001'] }],
        ['clusterSlave0000000001', { masters: ['clusterMaster000000001'], slaves: [] }],
      ]),
    );
    const detail = (await request({ method: 'GET', url: '/api/v1/clusters/clusterMaster000000001', headers: auth })).json().data as ClusterDetail;
    expect(detail).toMatchObject({ clusterName: 'master', clusterType: 'TiDB', clusterVersion: 'v7.5.1', status: 'Running', maintainStatus: '', tags: ['t'] });
    expect(detail.instances).toEqual([
      { id: 'i1', type: 'TiDB', hostIp: '10.0.0.1', ports: [4000, 10080], zone: 'Z1', rack: 'R1', spec: { cpu: 8, memory: 16 }, disk: { id: 'd1', path: '/data1' }, status: 'Running' },
    ]);
    const missing = await request({ method: 'GET', url: '/api/v1/clusters/nope', headers: auth });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe(10003);
    const del = await request({ method: 'DELETE', url: '/api/v1/clusters/nope?force=true', headers: auth });
    expect([del.statusCode, del.json().code]).toEqual([404, 10003]);
    expect(started).toHaveLength(0);
  });

  test('delete: update-with-start of deleteCluster with force; a refusal keeps its code and status', async () => {
    await t.store.importCluster({ id: 'clusterDel00000000001', name: 'to-delete', version: 'v7.5.1', copies: 1, region: 'R', cpuArchitecture: 'X86_64', tags: [], tls: false, exclusive: false, vendor: '', parameterGroupId: '' }, []);
    const ok = await request({ method: 'DELETE', url: '/api/v1/clusters/clusterDel00000000001?force=true', headers: auth });
    expect(ok.json()).toEqual({ code: 0, message: 'OK', data: { workFlowId: 'delete-clusterDel00000000001', clusterId: 'clusterDel00000000001' } });
    expect(started[0]!.workflowTypeOrFunc).toBe('deleteCluster');
    expect(started[0]!.options.args).toEqual([{ clusterId: 'clusterDel00000000001', force: true }]);

    verdict = (workflowId) => ({ accepted: false, workflowId, clusterId: 'clusterDel00000000001', code: 20114, httpStatus: 409, errorName: 'CLUSTER_MAINTENANCE_CONFLICT', message: 'busy' });
    const refused = await request({ method: 'DELETE', url: '/api/v1/clusters/clusterDel00000000001', headers: auth });
    expect([refused.statusCode, refused.json()]).toEqual([409, { code: 20114, message: 'busy', data: {} }]);
    expect(started[1]!.options.args).toEqual([{ clusterId: 'clusterDel00000000001', force: false }]);
    const badForce = await request({ method: 'DELETE', url: '/api/v1/clusters/clusterDel00000000001?force=maybe', headers: auth });
    expect([badForce.statusCode, badForce.json().code]).toEqual([400, 10001]);
  });

  test('hosts: import (TiEM units → the pool) and list', async () => {
    const [h] = demoHosts('10.9.9');
    const body = { hosts: [{ ip: h!.ip, hostName: h!.hostName, region: h!.region, zone: h!.zone, rack: h!.rack, arch: h!.arch, cpuCores: 16, memory: 32, disks: [{ name: 'sda', path: '/data1', capacity: 500, type: 'SATA' }] }] };
    const r = await post('/api/v1/resources/hosts', body);
    expect(r.statusCode).toBe(200);
    const [id] = r.json().data.hostIds as string[];
    const list = (await request({ method: 'GET', url: '/api/v1/resources/hosts', headers: auth })).json().data as HostListData;
    expect(list.hosts).toEqual([
      expect.objectContaining({ id, ip: h!.ip, cpuCores: 16, memory: 32, freeCpuCores: 16, freeMemory: 32, disks: [expect.objectContaining({ name: 'sda', capacity: 500, type: 'SATA', status: 'Available' })] }),
    ]);
  });

  test('workflow detail and cancel of an unknown id → 40101 / 404', async () => {
    for (const r of [
      await request({ method: 'GET', url: '/api/v1/workflow/clone-x', headers: auth }),
      await request({ method: 'POST', url: '/api/v1/workflow/clone-x/cancel', headers: auth }),
    ]) {
      expect(r.statusCode).toBe(404);
      expect(r.json()).toMatchObject({ code: 40101, data: {} });
    }
  });
});

describe('GET /healthz', () => {
  test('open, 200 when the store and Temporal answer, 503 naming what is down', async () => {
    const up = await request({ method: 'GET', url: '/healthz' });
    expect([up.statusCode, up.json()]).toEqual([200, { status: 'ok', checks: { metadata: 'ok', temporal: 'ok' } }]);
    namespaceUp = false;
    const down = await request({ method: 'GET', url: '/healthz' });
    expect([down.statusCode, down.json()]).toEqual([503, { status: 'degraded', checks: { metadata: 'ok', temporal: 'error' } }]);
  });
});
