// The HTTP API end to end (issue 3 item 1): a real listening server on port 0 in front of the real
// stack (Temporal dev server, worker, simulator, SQLite metadata), driven with fetch. Every rule and
// code of spec §3, auth, idempotency, workflow detail, lists, import, takeover, delete (net 5).
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createApiServer } from '../../api/server.js';
import type {
  ClusterDetail,
  ClusterFlowData,
  ClusterInfo,
  CloneResponseData,
  Envelope,
  HealthStatus,
  HostBody,
  HostListData,
  HostsImportData,
  WorkflowDetail,
  ClonePreflightData,
  WorkflowSummary,
} from '../../client/api-types.js';
import { DEMO_SOURCE, demoCloneRequest, seedSourceCluster, type SourceClusterSpec } from '../../embedded/demo-fleet.js';
import type { EmbeddedStack } from '../../embedded/stack.js';
import { eventually, SOURCE, startTestStack } from './helpers.js';

const NET = 5;
const TOKEN = 'api-test-token-0123456789abcdef';

/** A v7.1 source (BR rule) and a source without TiCDC, each on its own loopback network. */
const OLD_SOURCE: SourceClusterSpec = { ...DEMO_SOURCE, id: 'tidbOldSource00000001', name: 'tidb-old', version: 'v7.1.5', net: '127.0.50', tables: [{ db: 'd', table: 't', rows: 1000, sizeBytes: 1024 ** 2 }], writesPerSec: 0 };
const NO_CDC_SOURCE: SourceClusterSpec = { ...OLD_SOURCE, id: 'tidbNoCdcSource000001', name: 'tidb-nocdc', version: 'v7.5.1', net: '127.0.51', withCdc: false };
/** A cluster TiUP manages but we do not know yet (takeover), and a pool for its clone. */
const LEGACY = 'legacy-billing';
const LEGACY_ROOT = 'Legacy-Billing-R00t!';
const IMPORT_REGION = 'Region9';

let stack: EmbeddedStack;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  stack = await startTestStack(NET);
  await seedSourceCluster(stack.sim, stack.store, OLD_SOURCE);
  await seedSourceCluster(stack.sim, stack.store, NO_CDC_SOURCE);
  app = createApiServer({ client: stack.client, store: stack.store, tokens: ['another-token-not-used-here', TOKEN], taskQueue: stack.config.taskQueue });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}, 180_000);

afterAll(async () => {
  await app?.close();
  await stack?.stop();
});

afterEach(async () => {
  await stack.sim.clearFaults();
});

interface Answer<T> {
  status: number;
  body: Envelope<T>;
}

async function call<T>(method: string, path: string, opts: { json?: unknown; raw?: string; auth?: string | null; contentType?: string } = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  const auth = opts.auth === undefined ? `Bearer ${TOKEN}` : opts.auth;
  if (auth !== null) headers.authorization = auth;
  const body = opts.raw ?? (opts.json === undefined ? undefined : JSON.stringify(opts.json));
  if (body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, body });
  return { status: res.status, body: (await res.json()) as Envelope<T> };
}

const clone = (body: unknown) => call<CloneResponseData>('POST', '/api/v1/clusters/clone', { json: body });
const detail = (id: string) => call<WorkflowDetail>('GET', `/api/v1/workflow/${encodeURIComponent(id)}`);

let names = 0;
const request = (over: Parameters<typeof demoCloneRequest>[0] extends infer R ? Partial<R> : never = {}) =>
  demoCloneRequest({ clusterName: `api-${++names}-clone`, cloneStrategy: 'Snapshot', ...over });

/** A refusal leaves nothing behind: no target row under that name, no lock on the source. */
async function expectRejected(body: Record<string, unknown>, code: number, status: number, sourceId = String(body.sourceClusterId ?? SOURCE.id)) {
  const before = (await stack.store.listClusters()).length;
  const r = await clone(body);
  expect({ status: r.status, code: r.body.code }).toEqual({ status, code });
  expect(r.body.data).toEqual({});
  expect(typeof r.body.message).toBe('string');
  expect(r.body.message.length).toBeGreaterThan(0);
  expect((await stack.store.listClusters()).length).toBe(before);
  if (typeof body.clusterName === 'string') {
    const row = await stack.store.findClusterByName(body.clusterName);
    if (code !== 20101) expect(row).toBeUndefined();
  }
  const source = await stack.store.getCluster(sourceId);
  if (source) expect(source.maintenanceStatus).toBe('');
  return r.body;
}

/** Polls the workflow detail until the flow leaves Processing. */
async function untilClosed(workFlowId: string, ms = 240_000): Promise<{ final: WorkflowDetail; seen: Set<string> }> {
  const seen = new Set<string>();
  const final = await eventually(
    async () => {
      const r = await detail(workFlowId);
      expect(r.status).toBe(200);
      for (const n of r.body.data.nodes) if (n.status === 'Processing') seen.add(n.name);
      return ['Processing', 'Stopped'].includes(r.body.data.info.status) ? undefined : r.body.data;
    },
    ms,
    `workflow ${workFlowId} to end`,
  );
  return { final, seen };
}

describe('authentication', () => {
  test('no header, a malformed header, an unknown token → 401 in the envelope; health is open', async () => {
    for (const auth of [null, 'Basic dXNlcjpwYXNz', 'Bearer', `Bearer ${TOKEN} extra`, 'Bearer wrong-token-0123456789']) {
      const r = await call('GET', '/api/v1/clusters', { auth });
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ code: 401, data: {} });
    }
    const clone401 = await call('POST', '/api/v1/clusters/clone', { json: request(), auth: null });
    expect(clone401.status).toBe(401);
    expect(await stack.store.findClusterByName(`api-${names}-clone`)).toBeUndefined();

    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect((await health.json()) as HealthStatus).toEqual({ status: 'ok', checks: { metadata: 'ok', temporal: 'ok' } });
    // the OpenAPI document needs the token too
    expect((await call('GET', '/api/v1/openapi.json', { auth: null })).status).toBe(401);
    const doc = await fetch(`${base}/api/v1/openapi.json`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(doc.status).toBe(200);
    expect(((await doc.json()) as { paths: Record<string, unknown> }).paths).toHaveProperty(['/api/v1/clusters/clone']);
  });
});

describe('POST /api/v1/clusters/clone: validation (spec §3), answered before anything exists', () => {
  test('malformed JSON, wrong JSON types → 10004 / 400', async () => {
    for (const raw of ['{"sourceClusterId": ', 'not json', '']) {
      const r = await call('POST', '/api/v1/clusters/clone', { raw });
      expect({ status: r.status, code: r.body.code, data: r.body.data }).toEqual({ status: 400, code: 10004, data: {} });
    }
    await expectRejected({ ...request(), copies: '3' }, 10004, 400);
    await expectRejected({ ...request(), tags: 'prod' }, 10004, 400);
    await expectRejected({ ...request(), sourceClusterId: 12345678 }, 10004, 400);
    await expectRejected({ ...request(), tls: 'yes' }, 10004, 400);
  });

  test.each<[string, (r: Record<string, unknown>) => void]>([
    ['sourceClusterId missing', (r) => delete r.sourceClusterId],
    ['sourceClusterId too short', (r) => (r.sourceClusterId = 'abc')],
    ['sourceClusterId too long', (r) => (r.sourceClusterId = 'x'.repeat(65))],
    ['cloneStrategy missing', (r) => delete r.cloneStrategy],
    ['cloneStrategy unknown (TiEM treated it as Snapshot)', (r) => (r.cloneStrategy = 'FullClone')],
    ['clusterName missing', (r) => delete r.clusterName],
    ['clusterName too short', (r) => (r.clusterName = 'abc')],
    ['clusterName too long', (r) => (r.clusterName = 'n'.repeat(65))],
    ['dbPassword missing', (r) => delete r.dbPassword],
    ['dbPassword too short', (r) => (r.dbPassword = 'Short1!')],
    ['dbPassword too long', (r) => (r.dbPassword = 'P'.repeat(33))],
    ['clusterVersion missing', (r) => delete r.clusterVersion],
    ['clusterVersion malformed', (r) => (r.clusterVersion = '7.5.1')],
    ['region missing', (r) => delete r.region],
    ['cpuArchitecture missing', (r) => delete r.cpuArchitecture],
    ['cpuArchitecture unknown', (r) => (r.cpuArchitecture = 'RISCV')],
    ['copies not in 1, 3, 5, 7', (r) => (r.copies = 2)],
    ['dbUser longer than 32', (r) => (r.dbUser = 'u'.repeat(33))],
    ['instanceResource missing', (r) => (r.resourceParameters = {})],
    ['instanceResource empty', (r) => (r.resourceParameters = { instanceResource: [] })],
    ['no TiKV in the topology', (r) => (r.resourceParameters = { instanceResource: (r.resourceParameters as { instanceResource: { componentType: string }[] }).instanceResource.filter((c) => c.componentType !== 'TiKV') })],
    ['componentType unknown', (r) => (placements(r)[0]!.componentType = 'TiProxy')],
    ['specCode malformed', (r) => (placements(r)[0]!.resource[0]!.specCode = '4CPU8GB')],
    ['count zero', (r) => (placements(r)[0]!.resource[0]!.count = 0)],
    ['zoneCode empty', (r) => (placements(r)[0]!.resource[0]!.zoneCode = '')],
    ['diskId without hostIp', (r) => (placements(r)[0]!.resource[0]!.diskId = 'disk-1')],
    ['requestId with spaces', (r) => (r.requestId = 'my request')],
  ])('%s → 10001 / 400', async (_name, breakIt) => {
    const body = request() as unknown as Record<string, unknown>;
    breakIt(body);
    await expectRejected(body, 10001, 400);
  });

  test('ignored TiEM fields (dbUser, clusterType, totalNodeCount, requestResourceMode) and nulls from Go clients are accepted', async () => {
    // accepted as far as the field rules go: the source check then answers (unknown source)
    const body = { ...request({ sourceClusterId: 'noSuchCluster0001' }), dbUser: 'root', clusterType: 'TiDB', tags: null, parameterGroupID: null, totalNodeCount: 9 };
    (body.resourceParameters as Record<string, unknown>).requestResourceMode = 'SpecificZone';
    const answer = await expectRejected(body, 10003, 404);
    expect(answer.message).toContain('noSuchCluster0001');
  });
});

describe('POST /api/v1/clusters/clone: rules that need the source, answered synchronously', () => {
  test('unknown source → 10003 / 404', async () => {
    await expectRejected(request({ sourceClusterId: 'tidbUnknownSource0001' }), 10003, 404);
  });

  test('target version lower than the source → 21301 / 500', async () => {
    const r = await expectRejected(request({ clusterVersion: 'v7.1.5' }), 21301, 500);
    expect(r.message).toContain('less than source');
  });


  test('CDCSync from a source without TiCDC → 21302 / 404', async () => {
    await expectRejected(request({ sourceClusterId: NO_CDC_SOURCE.id, cloneStrategy: 'CDCSync' }), 21302, 404);
  });

  test('fewer TiKV than copies → 21303 / 500', async () => {
    await expectRejected({ ...request(), copies: 5 }, 21303, 500);
  });

  test('CDCSync from a source that is itself a StandBy slave → 21304 / 500', async () => {
    await stack.store.upsertRelation({ relationType: 'StandBy', subjectClusterId: SOURCE.id, objectClusterId: OLD_SOURCE.id, syncChangefeedTaskId: 'clone-api-test' });
    try {
      await expectRejected(request({ sourceClusterId: OLD_SOURCE.id, clusterVersion: OLD_SOURCE.version, cloneStrategy: 'CDCSync' }), 21304, 500);
    } finally {
      await stack.store.deleteRelation(SOURCE.id, OLD_SOURCE.id);
    }
  });

  test('a name already taken → 20101 / 400', async () => {
    await expectRejected(request({ clusterName: SOURCE.name }), 20101, 400);
    expect((await stack.store.listClusters()).filter((c) => c.name === SOURCE.name)).toHaveLength(1);
  });
});

describe('a clone through the API', () => {
  test('CDCSync: answered with workFlowId and clusterId, followed step by step until Finished; relations on both clusters', async () => {
    const body = request({ cloneStrategy: 'CDCSync' });
    const r = await clone(body);
    expect(r.status).toBe(200);
    expect(r.body.code).toBe(0);
    expect(r.body.message).toBe('OK');
    const { workFlowId, clusterId } = r.body.data;
    expect(workFlowId).toBe(`clone-${clusterId}`);
    expect(clusterId).toMatch(/^[A-Za-z0-9]{22}$/);
    // the locks exist when the answer arrives
    expect((await stack.store.getCluster(clusterId))!.maintenanceStatus).toBe('Cloning');

    const { final, seen } = await untilClosed(workFlowId);
    expect(seen.size).toBeGreaterThan(0); // observed while it ran
    expect(final.info).toMatchObject({ id: workFlowId, name: 'CloneCluster', bizId: clusterId, bizType: 'cluster', status: 'Finished' });
    expect(final.info.errorCode).toBeUndefined();
    expect(Date.parse(final.info.createTime)).toBeLessThanOrEqual(Date.parse(final.info.updateTime));
    expect(final.nodeNames).toEqual(final.nodes.map((n) => n.name));
    expect(final.nodeNames).toEqual(expect.arrayContaining(['startMaintenance', 'backupSourceCluster', 'deployCluster', 'restoreCluster', 'syncIncrData', 'end']));
    for (const n of final.nodes) {
      expect(n.status).toBe('Finished');
      expect(n.id).toBe(`${workFlowId}/${n.name}`);
      expect(Date.parse(n.startTime!)).toBeLessThanOrEqual(Date.parse(n.endTime!));
    }
    const backup = final.nodes.find((n) => n.name === 'backupSourceCluster')!;
    expect(backup.progress).toMatchObject({ percent: 100 });
    expect(final.nodes.find((n) => n.name === 'deployCluster')!.result).toContain('deploy cluster');
    expect(final.progress?.status).toBe('Finished');

    const target = await call<ClusterDetail>('GET', `/api/v1/clusters/${clusterId}`);
    expect(target.status).toBe(200);
    expect(target.body.data).toMatchObject({ clusterId, clusterName: body.clusterName, clusterVersion: 'v7.5.1', status: 'Running', maintainStatus: '', copies: 3, relations: { masters: [SOURCE.id], slaves: [] } });
    expect(target.body.data.instances.filter((i) => i.type === 'TiKV')).toHaveLength(3);
    expect(target.body.data.instances.every((i) => i.hostIp.startsWith(`127.0.${NET + 1}.`))).toBe(true);
    const source = await call<ClusterDetail>('GET', `/api/v1/clusters/${SOURCE.id}`);
    expect(source.body.data.relations.slaves).toContain(clusterId);
    expect(source.body.data.maintainStatus).toBe('');

    const list = await call<ClusterInfo[]>('GET', '/api/v1/clusters');
    expect(list.status).toBe(200);
    const listed = list.body.data.find((c) => c.clusterId === clusterId)!;
    expect(listed.relations.masters).toEqual([SOURCE.id]);
    expect(list.body.data.map((c) => c.clusterId)).toEqual(expect.arrayContaining([SOURCE.id, OLD_SOURCE.id, NO_CDC_SOURCE.id]));

    // found through the search attributes (visibility is eventually consistent)
    const found = await eventually(async () => {
      const w = await call<WorkflowSummary[]>('GET', `/api/v1/workflows?sourceClusterId=${SOURCE.id}&strategy=CDCSync&status=Finished`);
      expect(w.status).toBe(200);
      return w.body.data.find((x) => x.workFlowId === workFlowId);
    }, 30_000, 'the clone in the workflow list');
    expect(found).toMatchObject({ flowName: 'CloneCluster', clusterId, sourceClusterId: SOURCE.id, strategy: 'CDCSync', status: 'Finished' });
    expect(found.closeTime).toBeDefined();
    const none = await call<WorkflowSummary[]>('GET', `/api/v1/workflows?sourceClusterId=${SOURCE.id}&strategy=TopologyClone&status=Error`);
    expect(none.body.data.find((x) => x.workFlowId === workFlowId)).toBeUndefined();
    // values are checked before they reach the visibility query
    const injected = await call('GET', `/api/v1/workflows?clusterId=${encodeURIComponent("x' OR WorkflowType != 'y")}`);
    expect({ status: injected.status, code: injected.body.code }).toEqual({ status: 400, code: 10001 });
  }, 300_000);

  test('requestId: the same request twice is the same clone (one cluster row), also after it ended', async () => {
    const body = { ...request({ cloneStrategy: 'TopologyClone' }), requestId: 'api-idempotent-1' };
    const a = await clone(body);
    const b = await clone(body);
    expect(a.status).toBe(200);
    expect(b.body).toEqual(a.body);
    await untilClosed(a.body.data.workFlowId);
    const c = await clone(body);
    expect(c.body).toEqual(a.body);
    expect((await stack.store.listClusters()).filter((x) => x.name === body.clusterName)).toHaveLength(1);
    // the same name under another requestId is a new request: DUPLICATED_NAME
    await expectRejected({ ...body, requestId: 'api-idempotent-2' }, 20101, 400);
  }, 120_000);

  test('lock conflict: a second clone of a source being cloned → 20114 / 409; delete refused; cancel through the API restores the source', async () => {
    await stack.sim.addFault({ op: 'br.backup', cluster: SOURCE.id, mode: 'hang', times: 'always' });
    const first = await clone(request());
    expect(first.status).toBe(200);
    const { workFlowId, clusterId } = first.body.data;
    expect((await stack.store.getCluster(SOURCE.id))!.maintenanceStatus).toBe('BeingCloned');

    const second = request();
    const before = (await stack.store.listClusters()).length;
    const r = await clone(second);
    expect({ status: r.status, code: r.body.code, data: r.body.data }).toEqual({ status: 409, code: 20114, data: {} });
    expect((await stack.store.listClusters()).length).toBe(before);
    expect(await stack.store.findClusterByName(second.clusterName)).toBeUndefined();
    expect((await stack.store.getCluster(SOURCE.id))!).toMatchObject({ maintenanceStatus: 'BeingCloned', maintenanceHolder: workFlowId });

    // TiEM's delete is refused while the target is under maintenance
    const del = await call('DELETE', `/api/v1/clusters/${clusterId}`);
    expect({ status: del.status, code: del.body.code }).toEqual({ status: 409, code: 20114 });
    expect((await stack.store.getCluster(clusterId))!.maintenanceStatus).toBe('Cloning');

    // cancel while BR hangs: the compensation runs
    await eventually(async () => ((await stack.sim.operations({ op: 'br.backup', cluster: SOURCE.id })).some((o) => o.exitCode === undefined) ? true : undefined), 60_000, 'the BR backup');
    const cancel = await call<{ workFlowId: string }>('POST', `/api/v1/workflow/${workFlowId}/cancel`);
    expect(cancel.status).toBe(200);
    expect(cancel.body.data).toEqual({ workFlowId });
    const { final } = await untilClosed(workFlowId, 120_000);
    expect(final.info.status).toBe('Canceled');
    const status = (name: string) => final.nodes.find((n) => n.name === name)!.status;
    expect([status('startMaintenance'), status('modifySourceClusterGCTime'), status('backupSourceCluster')]).toEqual(['Compensated', 'Compensated', 'Error']);
    expect(final.info.errorCode).toBeDefined();
    expect((await stack.store.getCluster(SOURCE.id))!.maintenanceStatus).toBe('');
    expect((await stack.sim.cluster(SOURCE.id)).gcLifeTime).toBe('10m0s');
    expect((await stack.store.getCluster(clusterId))!).toMatchObject({ status: 'Failure', maintenanceStatus: '' });
    // cancelling again: it has ended
    const again = await call('POST', `/api/v1/workflow/${workFlowId}/cancel`);
    expect(again.status).toBe(409);
  }, 240_000);
});

describe('workflow detail', () => {
  test('an unknown id → 40101 / 404; a child step is not a flow', async () => {
    for (const id of ['clone-doesNotExist000000000', 'no such workflow']) {
      const r = await detail(id);
      expect({ status: r.status, code: r.body.code, data: r.body.data }).toEqual({ status: 404, code: 40101, data: {} });
    }
    const cancel = await call('POST', '/api/v1/workflow/clone-doesNotExist000000000/cancel');
    expect({ status: cancel.status, code: cancel.body.code }).toEqual({ status: 404, code: 40101 });
  });
});

describe("parameter groups (TiEM's /api/v1/param-groups)", () => {
  type Group = { paramGroupId: string; name: string; hasDefault: number; clusterVersion: string; clusterSpec: string; params: { paramId: string; defaultValue: string }[] | null };
  test('a default group for every minor from v5.0 to v8.5; detail with the parameters; a custom group is created and used', async () => {
    const defaults = await call<Group[]>('GET', '/api/v1/param-groups/?hasDefault=1&pageSize=100');
    expect(defaults.status).toBe(200);
    const versions = defaults.body.data.map((g) => g.clusterVersion);
    for (const v of ['v5.0', 'v5.2', 'v5.4', 'v6.1', 'v6.5', 'v7.1', 'v7.5', 'v7.6', 'v8.1', 'v8.5']) expect(versions).toContain(v);
    expect((defaults.body as unknown as { page: { total: number } }).page.total).toBe(25);
    expect(defaults.body.data.every((g) => g.params === null)).toBe(true);
    const one = await call<Group>('GET', '/api/v1/param-groups/default-v7.5');
    expect(one.body.data).toMatchObject({ paramGroupId: 'default-v7.5', hasDefault: 1, clusterVersion: 'v7.5' });
    expect(one.body.data.params).toEqual(expect.arrayContaining([expect.objectContaining({ paramId: 'tikv.raftstore.apply-pool-size', defaultValue: '2' })]));
    expect(await call('GET', '/api/v1/param-groups/nope')).toMatchObject({ status: 404, body: { code: 20508 } });

    const body = { name: 'api-tuned-7.5', dbType: 1, clusterVersion: 'v7.5', clusterSpec: '8C16G', groupType: 1, note: 'tuned', params: [{ paramId: 'tikv.raftstore.apply-pool-size', defaultValue: '6' }] };
    expect(await call('POST', '/api/v1/param-groups/', { json: { ...body, params: [{ paramId: 'tikv.no-such', defaultValue: '1' }] } })).toMatchObject({ status: 400, body: { code: 10001 } });
    expect(await call('POST', '/api/v1/param-groups/', { json: { ...body, params: [{ paramId: 'tikv.raftstore.apply-pool-size', defaultValue: '999' }] } })).toMatchObject({ status: 400, body: { code: 10001 } });
    const created = await call<{ paramGroupId: string }>('POST', '/api/v1/param-groups/', { json: body });
    expect(created.status).toBe(200);
    const id = created.body.data.paramGroupId;
    expect(await call('POST', '/api/v1/param-groups/', { json: body })).toMatchObject({ status: 409, body: { code: 20516 } });
    const custom = await call<Group[]>('GET', '/api/v1/param-groups/?name=tuned&hasDetail=true');
    expect(custom.body.data).toEqual([expect.objectContaining({ paramGroupId: id, hasDefault: 2, clusterSpec: '8C16G', params: [expect.objectContaining({ paramId: 'tikv.raftstore.apply-pool-size', defaultValue: '6' })] })]);
    // a clone may name it
    const pre = await clone({ ...request({ parameterGroupID: id }), dryRun: true });
    expect((pre.body.data as unknown as ClonePreflightData).plan.parameterGroupId).toBe(id);
  });
});

describe('dryRun: the pre-flight of a clone request', () => {
  test('a good request: ok, the plan with its steps and hosts, and nothing created', async () => {
    const before = { clusters: (await stack.store.listClusters()).length, hosts: await stack.store.listHosts() };
    const r = await clone({ ...request({ cloneStrategy: 'CDCSync' }), dryRun: true });
    expect(r.status).toBe(200);
    const pre = r.body.data as unknown as ClonePreflightData;
    expect(pre).toMatchObject({ dryRun: true, ok: true, problems: [] });
    expect(pre.plan).toMatchObject({ strategy: 'CDCSync', sourceClusterId: SOURCE.id, sourceVersion: SOURCE.version, targetVersion: SOURCE.version, parameterGroupId: 'default-v7.5' });
    expect(pre.plan.steps).toContain('syncIncrData');
    expect(pre.plan.hosts.map((h) => h.component).sort()).toEqual(['CDC', 'PD', 'TiDB', 'TiKV', 'TiKV', 'TiKV']);
    expect((await stack.store.listClusters()).length).toBe(before.clusters);
    expect(await stack.store.listHosts()).toEqual(before.hosts);
    expect((await stack.store.getCluster(SOURCE.id))!.maintenanceStatus).toBe('');
  });

  test('a bad request: several problems at once, and nothing created (no row, no lock, no host)', async () => {
    const taken = (await stack.store.getCluster(SOURCE.id))!.name;
    const before = { clusters: (await stack.store.listClusters()).length, hosts: await stack.store.listHosts() };
    const r = await clone({
      ...request({ sourceClusterId: OLD_SOURCE.id, clusterVersion: 'v7.1.0', cloneStrategy: 'CDCSync', clusterName: taken, parameterGroupID: 'no-such-group' }),
      copies: 5,
      dryRun: true,
    });
    expect(r.status).toBe(200);
    const pre = r.body.data as unknown as ClonePreflightData;
    expect(pre.ok).toBe(false);
    const codes = pre.problems.map((p) => p.code);
    // older target (21301), too few TiKV for 5 copies (21303), the name (20101), the group (10001)
    expect(codes).toEqual(expect.arrayContaining([21301, 21303, 20101, 10001]));
    expect(pre.problems.length).toBeGreaterThanOrEqual(4);
    expect((await stack.store.listClusters()).length).toBe(before.clusters);
    expect(await stack.store.listHosts()).toEqual(before.hosts);
    expect((await stack.store.getCluster(OLD_SOURCE.id))!.maintenanceStatus).toBe('');
  });
});

describe("TiEM's workflow API (micro-api/controller/task/flowtask/flowtask_api.go)", () => {
  test('stop pauses a clone at its next step, list and detail say Stopped, start resumes it and it finishes', async () => {
    const r = await clone(request({ cloneStrategy: 'TopologyClone' }));
    expect(r.body.code).toBe(0);
    const { workFlowId, clusterId } = r.body.data;
    expect(await call('POST', '/api/v1/workflow/stop', { json: { workFlowId } })).toMatchObject({ status: 200, body: { code: 0, data: {} } });
    const stopped = await eventually(async () => {
      const d = (await detail(workFlowId)).body.data;
      return d.info.status === 'Stopped' && !d.nodes.some((n) => n.status === 'Processing') ? d : undefined;
    }, 60_000, 'the clone to stop at a step boundary');
    const waitingAt = stopped.nodes.find((n) => n.status === 'Initializing')!.name;
    await new Promise((res) => setTimeout(res, 2000));
    const still = (await detail(workFlowId)).body.data;
    expect(still.info.status).toBe('Stopped');
    expect(still.nodes.find((n) => n.name === waitingAt)!.status).toBe('Initializing');
    // TiEM's list: {workFlows} + page, filtered by bizId and status
    const list = await call<{ workFlows: { id: string; status: string; bizId: string; name: string }[] }>('GET', `/api/v1/workflow/?bizId=${clusterId}&status=Stopped&page=1&pageSize=10`);
    expect(list.status).toBe(200);
    expect(list.body.data.workFlows).toEqual([expect.objectContaining({ id: workFlowId, status: 'Stopped', bizId: clusterId, name: 'CloneCluster', deleteTime: '0001-01-01T00:00:00Z' })]);
    expect((list.body as unknown as { page: unknown }).page).toEqual({ page: 1, pageSize: 10, total: 1 });
    const processing = await call<{ workFlows: unknown[] }>('GET', `/api/v1/workflow/?bizId=${clusterId}&status=Processing`);
    expect(processing.body.data.workFlows).toEqual([]);

    expect((await call('POST', '/api/v1/workflow/start', { json: { workFlowId } })).status).toBe(200);
    const { final } = await untilClosed(workFlowId);
    expect(final.info.status).toBe('Finished');
    // the node that waited ran after the start
    expect(Date.parse(final.nodes.find((n) => n.name === waitingAt)!.startTime)).toBeGreaterThan(Date.parse(still.info.updateTime));
    // an ended flow can be neither stopped nor started (TiEM 40106 / 40103)
    expect(await call('POST', '/api/v1/workflow/stop', { json: { workFlowId } })).toMatchObject({ status: 409, body: { code: 40106 } });
    expect(await call('POST', '/api/v1/workflow/start', { json: { workFlowId } })).toMatchObject({ status: 409, body: { code: 40103 } });
    const byName = await call<{ workFlows: { id: string }[] }>('GET', `/api/v1/workflow/?bizId=${clusterId}&flowName=Clone`);
    expect(byName.body.data.workFlows.map((w) => w.id)).toEqual([workFlowId]);
    // detail in TiEM's field names
    expect(final.info).toMatchObject({ id: workFlowId, name: 'CloneCluster', bizId: clusterId, bizType: 'cluster' });
    expect(final.nodes[0]).toEqual(expect.objectContaining({ id: `${workFlowId}/${final.nodeNames[0]}`, parameters: '', result: expect.any(String) }));
  }, 300_000);

  test('stop/start of an unknown workflow → 40101 / 404; a body without workFlowId → 10001', async () => {
    expect(await call('POST', '/api/v1/workflow/stop', { json: { workFlowId: 'clone-doesNotExist000000000' } })).toMatchObject({ status: 404, body: { code: 40101 } });
    expect((await call('POST', '/api/v1/workflow/start', { json: {} })).body.code).toBe(10001);
  });
});

describe('import: hosts and a TiUP cluster, cloned through the API, then deleted', () => {
  const hosts: HostBody[] = ['Zone1', 'Zone2', 'Zone3'].map((zone, i) => ({
    ip: `127.0.53.${i + 1}`,
    hostName: `import-${i + 1}`,
    region: IMPORT_REGION,
    zone,
    rack: 'R1',
    arch: 'X86_64',
    cpuCores: 32,
    memory: 64,
    // one disk per instance: PD, TiDB, TiKV and the monitoring share these hosts
    disks: [1, 2, 3, 4].map((d) => ({ name: `nvme${d}`, path: `/data${d}`, capacity: 2000, type: 'SSD' as const })),
  }));

  test('hosts: import, list, import again keeps the ids; invalid hosts → 10001', async () => {
    const r = await call<HostsImportData>('POST', '/api/v1/resources/hosts', { json: { hosts } });
    expect(r.status).toBe(200);
    expect(r.body.data.hostIds).toHaveLength(3);
    const again = await call<HostsImportData>('POST', '/api/v1/resources/hosts', { json: { hosts } });
    expect(again.body.data.hostIds).toEqual(r.body.data.hostIds);

    const list = await call<HostListData>('GET', '/api/v1/resources/hosts');
    const imported = list.body.data.hosts.filter((h) => h.region === IMPORT_REGION);
    expect(imported.map((h) => h.ip).sort()).toEqual(hosts.map((h) => h.ip));
    expect(imported[0]).toMatchObject({ cpuCores: 32, freeCpuCores: 32, memory: 64, freeMemory: 64, status: 'Online', loadStat: 'LoadLess', reserved: false });
    expect(imported[0]!.disks[0]).toMatchObject({ name: 'nvme1', path: '/data1', capacity: 2000, status: 'Available' });

    for (const bad of [{ hosts: [] }, { hosts: [{ ...hosts[0], ip: 'not-an-ip' }] }, { hosts: [{ ...hosts[0], disks: [] }] }, { hosts: [{ ...hosts[0], cpuCores: 0 }] }]) {
      const b = await call('POST', '/api/v1/resources/hosts', { json: bad });
      expect({ status: b.status, code: b.body.code }).toEqual({ status: 400, code: 10001 });
    }
    const wrongType = await call('POST', '/api/v1/resources/hosts', { json: { hosts: [{ ...hosts[0], cpuCores: '32' }] } });
    expect({ status: wrongType.status, code: wrongType.body.code }).toEqual({ status: 400, code: 10004 });
  });

  test('takeover: a wrong password is refused with its TiEM code; the right one registers the cluster', async () => {
    const h = (n: number) => `127.0.52.${n}`;
    await stack.sim.createCluster({
      name: LEGACY,
      version: 'v7.5.1',
      instances: [
        { role: 'pd', host: h(1) },
        { role: 'tikv', host: h(2) },
        { role: 'tikv', host: h(3) },
        { role: 'tikv', host: h(4) },
        { role: 'tidb', host: h(5) },
        { role: 'grafana', host: h(1) },
      ],
      rootPassword: LEGACY_ROOT,
      tables: [{ db: 'billing', table: 'invoices', rows: 10_000, sizeBytes: 8 * 1024 ** 2 }],
      gcLifeTime: '10m0s',
    });
    const body = { clusterName: LEGACY, dbUser: 'root', dbPassword: LEGACY_ROOT, region: IMPORT_REGION, copies: 3, tags: ['imported'] };

    const wrong = await call('POST', '/api/v1/clusters/takeover', { json: { ...body, dbPassword: 'not-the-password' } });
    expect({ status: wrong.status, code: wrong.body.code }).toEqual({ status: 500, code: 10007 });
    const unknown = await call('POST', '/api/v1/clusters/takeover', { json: { ...body, clusterName: 'no-such-tiup-cluster' } });
    expect({ status: unknown.status, code: unknown.body.code }).toEqual({ status: 404, code: 10003 });
    const invalid = await call('POST', '/api/v1/clusters/takeover', { json: { ...body, region: '' } });
    expect({ status: invalid.status, code: invalid.body.code }).toEqual({ status: 400, code: 10001 });
    // A control host no worker serves is refused at once, and no takeover waits for it.
    const nowhere = await call('POST', '/api/v1/clusters/takeover', { json: { ...body, controlHost: 'tiup-host-nobody-runs' } });
    expect({ status: nowhere.status, code: nowhere.body.code }).toEqual({ status: 400, code: 10001 });
    expect(nowhere.body.message).toContain('control host tiup-host-nobody-runs has no worker');
    expect(await stack.store.getCluster(LEGACY)).toBeUndefined();

    // Named explicitly, the control host of this deployment: bound to it.
    const r = await call<ClusterFlowData>('POST', '/api/v1/clusters/takeover', { json: { ...body, controlHost: 'local' } });
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual({ clusterId: LEGACY, workFlowId: `takeover-${LEGACY}` });
    const shown = await call<ClusterDetail>('GET', `/api/v1/clusters/${LEGACY}`);
    expect(shown.body.data).toMatchObject({ clusterId: LEGACY, clusterName: LEGACY, region: IMPORT_REGION, status: 'Running', tags: ['imported'] });
    expect(shown.body.data.instances.map((i) => i.type).sort()).toEqual(['Grafana', 'PD', 'TiDB', 'TiKV', 'TiKV', 'TiKV']);
    expect((await stack.store.getCluster(LEGACY))?.controlHost).toBe('local');
    const flow = await detail(`takeover-${LEGACY}`);
    expect(flow.body.data.info).toMatchObject({ name: 'TakeoverCluster', status: 'Finished' });
  }, 120_000);

  test('the imported cluster is cloned onto the imported hosts; the clone is deleted through the API', async () => {
    const zone = (z: string) => `${IMPORT_REGION},${z}`;
    const body = {
      ...request({ sourceClusterId: LEGACY, clusterName: 'legacy-billing-copy' }),
      region: IMPORT_REGION,
      resourceParameters: {
        instanceResource: [
          { componentType: 'PD', resource: [{ zoneCode: zone('Zone1'), specCode: '4C8G', count: 1 }] },
          { componentType: 'TiDB', resource: [{ zoneCode: zone('Zone2'), specCode: '4C8G', count: 1 }] },
          { componentType: 'TiKV', resource: ['Zone1', 'Zone2', 'Zone3'].map((z) => ({ zoneCode: zone(z), specCode: '8C16G', count: 1 })) },
        ],
      },
    };
    const r = await clone(body);
    expect(r.status).toBe(200);
    const { workFlowId, clusterId } = r.body.data;
    const { final } = await untilClosed(workFlowId);
    expect(final.info.status).toBe('Finished');
    const copy = await call<ClusterDetail>('GET', `/api/v1/clusters/${clusterId}`);
    expect(copy.body.data.instances.filter((i) => ['PD', 'TiDB', 'TiKV'].includes(i.type)).every((i) => i.hostIp.startsWith('127.0.53.'))).toBe(true);

    // delete: 404 for an unknown cluster, then the real one
    const missing = await call('DELETE', '/api/v1/clusters/noSuchCluster000000001');
    expect({ status: missing.status, code: missing.body.code }).toEqual({ status: 404, code: 10003 });
    const del = await call<ClusterFlowData>('DELETE', `/api/v1/clusters/${clusterId}?force=false`);
    expect(del.status).toBe(200);
    expect(del.body.data).toEqual({ workFlowId: `delete-${clusterId}`, clusterId });
    const deleted = await untilClosed(del.body.data.workFlowId, 120_000);
    expect(deleted.final.info).toMatchObject({ name: 'DeleteCluster', status: 'Finished', bizId: clusterId });
    expect(deleted.final.nodes.every((n) => n.status === 'Finished')).toBe(true);
    const gone = await call('GET', `/api/v1/clusters/${clusterId}`);
    expect({ status: gone.status, code: gone.body.code }).toEqual({ status: 404, code: 10003 });
    const list = await call<HostListData>('GET', '/api/v1/resources/hosts');
    expect(list.body.data.hosts.filter((h) => h.region === IMPORT_REGION).every((h) => h.freeCpuCores === h.cpuCores)).toBe(true);
  }, 300_000);
});

function placements(r: Record<string, unknown>) {
  return (r.resourceParameters as { instanceResource: { componentType: string; resource: Record<string, unknown>[] }[] }).instanceResource;
}
