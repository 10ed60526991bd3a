// End to end, the cluster life cycle around the clone (issue 3): take over a cluster TiUP already
// manages, clone it, delete the clone (TiUP destroy, resources, metadata, relations), delete
// refused under maintenance unless forced, and the delete of a CDCSync target removing the
// changefeed that replicates into it. Real Temporal server, real adapters, the simulator (net 15).
import { WorkflowFailedError, WorkflowIdReusePolicy } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TakeoverRequestBody } from '../../client/api-types.js';
import { startWithAdmission } from '../../client/admission.js';
import { followClone, startClone } from '../../client/clone.js';
import type { CloneProgress } from '../../domain/types.js';
import { DEMO_REGION, demoCloneRequest } from '../../embedded/demo-fleet.js';
import type { EmbeddedStack } from '../../embedded/stack.js';
import { workflowIds } from '../../workflows/definitions.js';
import { canLogin, runClone, SOURCE, startTestStack } from './helpers.js';

const NET = 15;
/** The cluster to take over: created straight in the simulator (TiUP knows it, we do not), on the pool's network. */
const LEGACY = 'legacy-orders';
const LEGACY_ROOT = 'Legacy-R00t-Pass!';
const legacyHost = (n: number) => `127.0.${NET + 1}.${100 + n}`;

let stack: EmbeddedStack;

beforeAll(async () => {
  stack = await startTestStack(NET);
  await stack.sim.createCluster({
    name: LEGACY,
    version: 'v7.5.1',
    instances: [
      { role: 'pd', host: legacyHost(1) },
      { role: 'tikv', host: legacyHost(2) },
      { role: 'tikv', host: legacyHost(3) },
      { role: 'tikv', host: legacyHost(4) },
      { role: 'tidb', host: legacyHost(5) },
      { role: 'cdc', host: legacyHost(6) },
      { role: 'grafana', host: legacyHost(1) },
    ],
    rootPassword: LEGACY_ROOT,
    tables: [{ db: 'legacy', table: 'orders', rows: 100_000, sizeBytes: 64 * 1024 ** 2 }],
    gcLifeTime: '10m0s',
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

function takeoverBody(over: Partial<TakeoverRequestBody> = {}): TakeoverRequestBody {
  return { clusterName: LEGACY, dbUser: 'root', dbPassword: LEGACY_ROOT, region: DEMO_REGION, tags: ['imported'], ...over };
}

async function takeover(body: TakeoverRequestBody): Promise<{ clusterId?: string; failure?: ApplicationFailure }> {
  try {
    const r = await stack.client.workflow.execute('takeoverCluster', {
      taskQueue: stack.config.taskQueue,
      workflowId: workflowIds.takeoverCluster(body.clusterName),
      args: [body],
    });
    return { clusterId: (r as { clusterId: string }).clusterId };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError) || !(err.cause instanceof ApplicationFailure)) throw err;
    return { failure: err.cause };
  }
}

/** DELETE as the API does it: update-with-start, the admission verdict, then the outcome. */
async function deleteCluster(clusterId: string, force = false) {
  const workflowId = workflowIds.deleteCluster(clusterId);
  const admission = await startWithAdmission(stack.client, {
    workflowType: 'deleteCluster',
    workflowId,
    taskQueue: stack.config.taskQueue,
    args: [{ clusterId, force }],
    reusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
  });
  const handle = stack.client.workflow.getHandle(workflowId);
  let error: unknown;
  try {
    await handle.result();
  } catch (err) {
    error = err;
  }
  const progress = await handle.query<CloneProgress>('progress');
  return { admission, error, progress };
}

async function expectGone(clusterId: string) {
  expect((await stack.sim.clusters()).map((c) => c.name)).not.toContain(clusterId);
  const destroys = await stack.sim.operations({ op: 'tiup.cluster.destroy', cluster: clusterId });
  expect(destroys.filter((d) => d.exitCode === 0)).toHaveLength(1);
  expect(await stack.store.listAllocations(clusterId)).toEqual([]);
  expect((await stack.store.listClusters()).map((c) => c.id)).not.toContain(clusterId);
  expect(await stack.store.getCluster(clusterId)).toBeUndefined();
  expect(await stack.store.getRelations(clusterId)).toEqual({ masters: [], slaves: [] });
}

describe('takeover', () => {
  test('refusals: unknown TiUP cluster, wrong root password, a TiUP cluster registered under another name', async () => {
    const unknown = await takeover(takeoverBody({ clusterName: 'no-such-cluster' }));
    expect(unknown.failure?.type).toBe('CLUSTER_NOT_FOUND');

    const wrong = await takeover(takeoverBody({ dbPassword: 'not-the-password' }));
    expect(wrong.failure?.type).toBe('CONNECT_TIDB_ERROR');
    expect((wrong.failure?.details?.[0] as { code: number }).code).toBe(10007);
    expect(await stack.store.getCluster(LEGACY)).toBeUndefined();

    // the demo source is TiUP cluster tidbProdSource0000001, registered with the name tidb-prod
    const dup = await takeover(takeoverBody({ clusterName: SOURCE.id, dbPassword: SOURCE.rootPassword }));
    expect(dup.failure?.type).toBe('DUPLICATED_NAME');
    expect((await stack.store.getCluster(SOURCE.id))!.name).toBe(SOURCE.name);
  });

  test('registers the cluster from display and meta, with its root account; again is an update', async () => {
    const r = await takeover(takeoverBody());
    expect(r.failure).toBeUndefined();
    expect(r.clusterId).toBe(LEGACY);
    const c = (await stack.store.getCluster(LEGACY))!;
    expect(c).toMatchObject({ name: LEGACY, version: 'v7.5.1', status: 'Running', maintenanceStatus: '', copies: 3, region: DEMO_REGION, parameterGroupId: 'default-v7.5', tags: ['imported'] });
    const count = (component: string) => c.instances.filter((i) => i.component === component).length;
    expect([count('PD'), count('TiKV'), count('TiDB'), count('CDC'), count('Grafana')]).toEqual([1, 3, 1, 1, 1]);
    const tidb = c.instances.find((i) => i.component === 'TiDB')!;
    expect(tidb).toMatchObject({ hostIp: legacyHost(5), ports: [4000, 10080], status: 'Running' });
    expect(c.instances.find((i) => i.component === 'PD')!.ports).toEqual([2379, 2380]);
    expect((await stack.store.getClusterUser(LEGACY, 'root'))!.password).toBe(LEGACY_ROOT);
    const snapshot = (await stack.store.getTopologySnapshot(LEGACY))!;
    expect(snapshot.metaYaml).toContain('tidb_version');
    expect(snapshot.privateKey.length).toBeGreaterThan(0);

    const again = await takeover(takeoverBody({ tags: ['imported', 'twice'] }));
    expect(again.clusterId).toBe(LEGACY);
    const c2 = (await stack.store.getCluster(LEGACY))!;
    expect(c2.instances).toHaveLength(c.instances.length);
    expect(c2.tags).toEqual(['imported', 'twice']);
    expect((await stack.store.listClusters()).filter((x) => x.name === LEGACY)).toHaveLength(1);
  });
});

describe('clone of a taken-over cluster, then delete', () => {
  test('Snapshot clone of it succeeds; deleting the clone destroys it, frees its hosts, drops its row', async () => {
    const freeBefore = (await stack.store.listHosts()).map((h) => [h.ip, h.freeCpuCores, h.freeMemoryGb]);
    const request = demoCloneRequest({ clusterName: 'legacy-copy', cloneStrategy: 'Snapshot', sourceClusterId: LEGACY });
    const started = await startClone(stack.client, request);
    const result = await followClone(started.handle, () => undefined, 250);
    expect(result.clusterId).toBe(started.clusterId);
    // the copy holds the taken-over cluster's data at the backup TS
    const atBackup = await stack.sim.checksum(LEGACY, result.backupTs);
    const restored = await stack.sim.checksum(started.clusterId, result.restoredTs);
    expect(atBackup.totalKvs).toBeGreaterThan(0);
    expect(restored.checksum).toBe(atBackup.checksum);
    const target = await stack.sim.cluster(started.clusterId);
    const tidb = target.instances.find((i) => i.role === 'tidb')!;
    expect(await canLogin(tidb.host, tidb.port, 'root', request.dbPassword)).toBe(true);
    expect(await stack.store.listAllocations(started.clusterId)).not.toEqual([]);
    expect((await stack.store.getCluster(LEGACY))!.maintenanceStatus).toBe('');

    const d = await deleteCluster(started.clusterId);
    expect(d.admission).toEqual({ accepted: true, clusterId: started.clusterId, workflowId: workflowIds.deleteCluster(started.clusterId) });
    expect(d.error).toBeUndefined();
    expect(d.progress.status).toBe('Finished');
    expect(d.progress.nodes.every((n) => n.status === 'done')).toBe(true);
    await expectGone(started.clusterId);
    expect((await stack.store.listHosts()).map((h) => [h.ip, h.freeCpuCores, h.freeMemoryGb])).toEqual(freeBefore);
    // the source is untouched
    expect((await stack.sim.cluster(LEGACY)).status).toBe('Up');
    expect((await stack.store.getCluster(LEGACY))!.status).toBe('Running');
  });

  test('under maintenance: refused with 20114 without force (nothing changes); with force it proceeds', async () => {
    await stack.store.setMaintenanceStatus({ clusterId: LEGACY, status: 'BackUp', holder: 'backup-manual-1' });
    const refused = await deleteCluster(LEGACY);
    expect(refused.admission).toMatchObject({ accepted: false, code: 20114, httpStatus: 409, errorName: 'CLUSTER_MAINTENANCE_CONFLICT' });
    expect((refused.admission as { message: string }).message).toContain("cluster maintenance status is 'BackUp'");
    expect(refused.error).toBeInstanceOf(WorkflowFailedError);
    expect((await stack.store.getCluster(LEGACY))!).toMatchObject({ maintenanceStatus: 'BackUp', maintenanceHolder: 'backup-manual-1' });
    expect((await stack.sim.clusters()).map((c) => c.name)).toContain(LEGACY);

    const forced = await deleteCluster(LEGACY, true);
    expect(forced.admission.accepted).toBe(true);
    expect(forced.error).toBeUndefined();
    expect(forced.progress.nodes.find((n) => n.name === 'startMaintenance')!.result.join(' ')).toContain('replacing BackUp');
    await expectGone(LEGACY);

    const again = await deleteCluster(LEGACY);
    expect(again.admission).toMatchObject({ accepted: false, code: 10003, httpStatus: 404 });
  });
});

test('deleting a CDCSync target removes the changefeed replicating into it', async () => {
  const run = await runClone(stack, 'CDCSync');
  expect(run.error).toBeUndefined();
  const cfId = run.result!.changefeedId!;
  const changefeedsOfSource = async () => (await stack.sim.cluster(SOURCE.id)).changefeeds.map((c) => c.id);
  expect(await changefeedsOfSource()).toContain(cfId);
  expect((await stack.store.getRelations(SOURCE.id)).slaves.map((s) => s.objectClusterId)).toContain(run.clusterId);

  const d = await deleteCluster(run.clusterId);
  expect(d.error).toBeUndefined();
  expect(d.progress.nodes.find((n) => n.name === 'removeChangefeeds')!.result.join(' ')).toContain(`remove changefeed ${cfId}`);
  expect(await changefeedsOfSource()).not.toContain(cfId);
  expect((await stack.store.getChangefeedTask(cfId))!.status).toBe('Deleted');
  expect((await stack.store.getRelations(SOURCE.id)).slaves).toEqual([]);
  await expectGone(run.clusterId);
  // the source keeps running, unlocked
  expect((await stack.sim.cluster(SOURCE.id)).status).toBe('Up');
  expect((await stack.store.getCluster(SOURCE.id))!.maintenanceStatus).toBe('');
});
