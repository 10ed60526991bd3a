// A mixed fleet: a CDCSync and a Snapshot clone of a source of every LTS line, against the
// simulator playing each version's TiUP, BR, TiCDC and TiDB (simulator/versions.ts); the
// cross-version rehearsal clone v7.1 → v8.1; TiEM's own request for a v5.2.2 source.
import type { EmbeddedStack } from '../../embedded/stack.js';
import { DEMO_SOURCE, seedSourceCluster, type SourceClusterSpec } from '../../embedded/demo-fleet.js';
import { workflowIds } from '../../domain/ids.js';
import path from 'node:path';
import { createTidbSqlClient } from '../../adapters/tidb-sql.js';
import { canLogin, eventually, node, runClone, startTestStack, type CloneRun } from './helpers.js';

let stack: EmbeddedStack;

const LTS_VERSIONS = ['v5.4.3', 'v6.1.7', 'v6.5.0', 'v6.5.9', 'v7.1.5', 'v7.5.1', 'v8.1.1', 'v8.5.0'];

const MiB = 1024 ** 2;
function sourceOf(version: string, n: number): SourceClusterSpec {
  return {
    ...DEMO_SOURCE,
    id: `tidbFleet${version.replace(/\D/g, '')}`.padEnd(21, '0'),
    name: `fleet-${version.replace(/\./g, '-')}`,
    version,
    net: `127.0.${23 + n}`,
    tables: [
      { db: 'shop', table: 'orders', rows: 200_000, sizeBytes: 256 * MiB },
      { db: 'shop', table: 'customers', rows: 20_000, sizeBytes: 64 * MiB },
    ],
    writesPerSec: 5,
  };
}
/** TLS everywhere TiUP puts it, and SQL clients must use TLS too (security.require-secure-transport). */
const TLS_SOURCE: SourceClusterSpec = {
  ...sourceOf('v7.5.1', 10),
  id: 'tidbFleetTls000000001',
  name: 'fleet-tls',
  tls: true,
  serverConfigs: {
    tidb: {
      'security.ssl-ca': '/tidb-deploy/tidb-4000/tls/ca.crt',
      'security.ssl-cert': '/tidb-deploy/tidb-4000/tls/tidb.crt',
      'security.ssl-key': '/tidb-deploy/tidb-4000/tls/tidb.pem',
      'security.require-secure-transport': true,
    },
  },
};
/** Years of tuning: server_configs of every component, and global variables changed from the defaults. */
const TUNED_SOURCE: SourceClusterSpec = {
  ...sourceOf('v8.1.1', 11),
  id: 'tidbFleetTuned0000001',
  name: 'fleet-tuned',
  serverConfigs: {
    tidb: { 'performance.txn-total-size-limit': 2147483648, 'log.slow-threshold': 500 },
    tikv: { 'server.grpc-concurrency': 8, 'storage.scheduler-worker-pool-size': 6, 'server.advertise-addr': 'source-only:20160' },
    pd: { 'schedule.leader-schedule-limit': 8, 'schedule.max-store-down-time': '1h0m0s' },
  },
  globalVariables: { tidb_distsql_scan_concurrency: '30', tidb_txn_mode: 'optimistic', max_execution_time: '60000' },
};
const SOURCES = [...LTS_VERSIONS, 'v5.2.2'].map(sourceOf);
const source = (version: string) => SOURCES.find((s) => s.version === version)!;

beforeAll(async () => {
  stack = await startTestStack(21);
  for (const s of [...SOURCES, TLS_SOURCE, TUNED_SOURCE]) await seedSourceCluster(stack.sim, stack.store, s);
});

afterAll(async () => {
  await stack?.stop();
});

/** Runs `fn` over `items`, `limit` at a time. */
async function inBatches<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += limit) await Promise.all(items.slice(i, i + limit).map(fn));
}

async function expectCloneOf(run: CloneRun, src: SourceClusterSpec, strategy: 'Snapshot' | 'CDCSync', targetVersion = src.version) {
  expect(run.error?.cause?.message ?? run.error).toBeUndefined();
  expect(run.progress.status).toBe('Finished');
  const target = await stack.sim.cluster(run.clusterId);
  expect(target.version).toBe(targetVersion);
  expect(target.status).toBe('Up');
  // the data at the backup TS, restored
  const atBackup = await stack.sim.checksum(src.id, run.result!.backupTs);
  const restored = await stack.sim.checksum(run.clusterId, run.result!.restoredTs);
  expect(restored.checksum).toBe(atBackup.checksum);
  expect(restored.totalKvs).toBe(atBackup.totalKvs);
  // the source as it was
  const sourceNow = await stack.sim.cluster(src.id);
  expect(sourceNow.gcLifeTime).toBe('10m0s');
  expect((await stack.store.getCluster(src.id))!.maintenanceStatus).toBe('');
  expect(await stack.store.listGcHolds({ sourceClusterId: src.id, active: true })).toEqual([]);
  // accounts work with the request's password
  const tidb = target.instances.find((i) => i.role === 'tidb')!;
  expect(await canLogin(tidb.host, tidb.port, 'root', run.request.dbPassword)).toBe(true);
  for (const u of await stack.store.listClusterUsers(run.clusterId)) expect(await canLogin(tidb.host, tidb.port, u.name, u.password)).toBe(true);
  const changefeeds = sourceNow.changefeeds.filter((c) => c.downstream === run.clusterId);
  if (strategy === 'CDCSync') {
    expect(changefeeds.map((c) => [c.id, c.state])).toEqual([[run.result!.changefeedId, 'normal']]);
    expect(changefeeds[0].startTs).toBe(run.result!.backupTs);
  } else {
    expect(changefeeds).toEqual([]);
  }
}

/** Deletes a checked target (deleteCluster workflow), so the host pool serves the next clones. */
async function deleteTarget(clusterId: string) {
  await stack.client.workflow.execute('deleteCluster', {
    taskQueue: stack.config.taskQueue,
    workflowId: workflowIds.deleteCluster(clusterId),
    args: [{ clusterId, force: false }],
  });
}

test('a CDCSync and a Snapshot clone of a source of every LTS line', async () => {
  // One clone of a source at a time (the source is locked while cloned); three sources at once.
  await inBatches(LTS_VERSIONS, 3, async (v) => {
    const src = source(v);
    for (const strategy of ['CDCSync', 'Snapshot'] as const) {
      const run = await runClone(stack, strategy, { request: { sourceClusterId: src.id, clusterVersion: v } });
      await expectCloneOf(run, src, strategy);
      await deleteTarget(run.clusterId);
      // the delete removed the changefeed into it
      expect((await stack.sim.cluster(src.id)).changefeeds.filter((c) => c.downstream === run.clusterId)).toEqual([]);
    }
  });
}, 1_200_000);

test('v7.1 → v8.1: the pre-upgrade rehearsal clone restores user data across versions, then sets the accounts', async () => {
  const src = source('v7.1.5');
  const run = await runClone(stack, 'Snapshot', { request: { sourceClusterId: src.id, clusterVersion: 'v8.1.1' } });
  await expectCloneOf(run, src, 'Snapshot', 'v8.1.1');
  await deleteTarget(run.clusterId);
  // BR ran without the system tables (they are refused across the v7.5 privilege-table change)
  const restores = await stack.sim.operations({ op: 'br.restore', cluster: run.clusterId });
  expect(restores.map((r) => [r.exitCode, r.argv.includes('--with-sys-table=false')])).toEqual([[0, true]]);
  expect(node(run.progress, 'reconcileAccounts').status).toBe('done');
  expect((await stack.store.listClusterUsers(run.clusterId)).map((u) => u.name).sort()).toEqual(['CDC_Data_Sync', 'EM_Backup_Restore', 'EM_Parameter_Management', 'root']);
}, 300_000);

test("TiEM's own request: a CDCSync clone of a v5.2.2 source with parameterGroupID \"\" takes the version's default group", async () => {
  const src = source('v5.2.2');
  const run = await runClone(stack, 'CDCSync', { request: { sourceClusterId: src.id, clusterVersion: 'v5.2.2', parameterGroupID: '' } });
  await expectCloneOf(run, src, 'CDCSync');
  expect((await stack.store.getCluster(run.clusterId))!.parameterGroupId).toBe('default-v5.2');
  await deleteTarget(run.clusterId);
}, 300_000);

describe('TiCDC v6.2–v6.5.1 (v2 has no GET/DELETE of a changefeed): no changefeed left behind on any ending path', () => {
  test('the changefeed fails during the catch-up wait: the clone fails and its changefeed is removed (v1 API)', async () => {
    const src = source('v6.5.0');
    const run = await runClone(stack, 'CDCSync', {
      request: { sourceClusterId: src.id, clusterVersion: 'v6.5.0' },
      options: { cdcLagThresholdMs: 1 },
      whileRunning: async ({ clusterId }) => {
        const cf = await eventually(async () => (await stack.sim.cluster(src.id)).changefeeds.find((c) => c.downstream === clusterId), 240_000, 'the changefeed');
        await stack.sim.setChangefeedState(cf.id, 'failed', 'sink down for good', 'CDC:ErrMySQLConnectionError');
      },
    });
    expect(run.progress.status).toBe('Failed');
    expect((await stack.sim.cluster(src.id)).changefeeds.filter((c) => c.downstream === run.clusterId)).toEqual([]);
    expect((await stack.sim.cluster(src.id)).gcLifeTime).toBe('10m0s');
  }, 300_000);

  test('the clone is cancelled during the catch-up wait: its changefeed is removed', async () => {
    const src = source('v6.5.0');
    const run = await runClone(stack, 'CDCSync', {
      request: { sourceClusterId: src.id, clusterVersion: 'v6.5.0' },
      options: { cdcLagThresholdMs: 1 },
      whileRunning: async ({ clusterId, workflowId }) => {
        await eventually(async () => (await stack.sim.cluster(src.id)).changefeeds.find((c) => c.downstream === clusterId), 240_000, 'the changefeed');
        await stack.client.workflow.getHandle(workflowId).cancel();
      },
    });
    expect(run.progress.status).toBe('Canceled');
    expect((await stack.sim.cluster(src.id)).changefeeds.filter((c) => c.downstream === run.clusterId)).toEqual([]);
  }, 300_000);
});

describe('a TLS source', () => {
  const tlsFiles = async (cluster: string) => {
    const dir = path.join((await stack.sim.cluster(cluster)).tiupHome, 'storage', 'cluster', 'clusters', cluster, 'tls');
    return { caPath: path.join(dir, 'ca.crt'), certPath: path.join(dir, 'client.crt'), keyPath: path.join(dir, 'client.pem') };
  };

  test('its TiDB refuses plaintext SQL and takes TLS verified against the cluster CA', async () => {
    const tidb = (await stack.sim.cluster(TLS_SOURCE.id)).instances.find((i) => i.role === 'tidb')!;
    expect(await canLogin(tidb.host, tidb.port, 'root', TLS_SOURCE.rootPassword)).toBe(false);
    const s = await createTidbSqlClient().connect({ host: tidb.host, port: tidb.port, user: 'root', password: TLS_SOURCE.rootPassword, tls: await tlsFiles(TLS_SOURCE.id) });
    expect(s.secure).toBe(true);
    await s.close();
  });

  test.each(['CDCSync', 'Snapshot'] as const)('%s clone: BR and TiCDC get the TLS material, the copy has TLS too', async (strategy) => {
    const run = await runClone(stack, strategy, { request: { sourceClusterId: TLS_SOURCE.id, clusterVersion: TLS_SOURCE.version } });
    expect(run.error?.cause?.message ?? run.error).toBeUndefined();
    expect(run.progress.status).toBe('Finished');
    const target = await stack.sim.cluster(run.clusterId);
    expect(target.tls).toBe(true);
    const atBackup = await stack.sim.checksum(TLS_SOURCE.id, run.result!.backupTs);
    expect((await stack.sim.checksum(run.clusterId, run.result!.restoredTs)).checksum).toBe(atBackup.checksum);
    // BR ran with each cluster's own CA and client pair
    const br = [...(await stack.sim.operations({ op: 'br.backup', cluster: TLS_SOURCE.id })), ...(await stack.sim.operations({ op: 'br.restore', cluster: run.clusterId }))];
    const caOf = (argv: string[]) => argv[argv.indexOf('--ca') + 1];
    expect(br.filter((o) => o.exitCode === 0).map((o) => caOf(o.argv))).toEqual(expect.arrayContaining([(await tlsFiles(TLS_SOURCE.id)).caPath, (await tlsFiles(run.clusterId)).caPath]));
    const changefeeds = (await stack.sim.cluster(TLS_SOURCE.id)).changefeeds.filter((c) => c.downstream === run.clusterId);
    expect(changefeeds.map((c) => c.state)).toEqual(strategy === 'CDCSync' ? ['normal'] : []);
    expect((await stack.sim.cluster(TLS_SOURCE.id)).gcLifeTime).toBe('10m0s');
    await deleteTarget(run.clusterId);
    expect((await stack.sim.cluster(TLS_SOURCE.id)).changefeeds.filter((c) => c.downstream === run.clusterId)).toEqual([]);
  }, 300_000);
});

test("a tuned source: the copy runs the source's settings and global variables, read back through SQL", async () => {
  const src = TUNED_SOURCE;
  const srcTidb = (await stack.sim.cluster(src.id)).instances.find((i) => i.role === 'tidb')!;
  // changed online only: in SHOW CONFIG, not in the topology
  const online = await createTidbSqlClient().connect({ host: srcTidb.host, port: srcTidb.port, user: 'root', password: src.rootPassword });
  await online.setConfig('tikv', 'gc.ratio-threshold', 1.5);
  await online.close();
  const run = await runClone(stack, 'Snapshot', { request: { sourceClusterId: src.id, clusterVersion: src.version } });
  await expectCloneOf(run, src, 'Snapshot');
  const tidb = (await stack.sim.cluster(run.clusterId)).instances.find((i) => i.role === 'tidb')!;
  const s = await createTidbSqlClient().connect({ host: tidb.host, port: tidb.port, user: 'root', password: run.request.dbPassword });
  try {
    const config = async (type: string, name: string) => [...new Set((await s.showConfig({ type, name })).map((r) => r.value))];
    expect(await config('tidb', 'performance.txn-total-size-limit')).toEqual(['2147483648']);
    expect(await config('tidb', 'log.slow-threshold')).toEqual(['500']);
    expect(await config('tikv', 'server.grpc-concurrency')).toEqual(['8']);
    expect(await config('tikv', 'storage.scheduler-worker-pool-size')).toEqual(['6']);
    expect(await config('tikv', 'gc.ratio-threshold')).toEqual(['1.5']);
    expect(await config('pd', 'schedule.leader-schedule-limit')).toEqual(['8']);
    expect(await config('pd', 'schedule.max-store-down-time')).toEqual(['1h0m0s']);
    // what must differ did not follow
    expect(await config('tikv', 'server.advertise-addr')).not.toContain('source-only:20160');
    expect(await config('pd', 'replication.max-replicas')).toEqual(['3']);
    const globals = await s.globalVariables();
    expect([globals.tidb_distsql_scan_concurrency, globals.tidb_txn_mode, globals.max_execution_time]).toEqual(['30', 'optimistic', '60000']);
    expect(globals.tidb_gc_life_time).toBe('10m0s');
  } finally {
    await s.close();
  }
  const lines = node(run.progress, 'syncParameters').result;
  expect(lines).toEqual(expect.arrayContaining(['copy tikv gc.ratio-threshold = 1.5', 'copy variable tidb_txn_mode = optimistic', 'left out tikv server.advertise-addr: an address of the source']));
  await deleteTarget(run.clusterId);
}, 300_000);
