// End to end: a real Temporal server, the worker with the real adapters (execa → tiup, mysql2,
// HTTP → TiCDC) and the simulated fleet. One clone per strategy, with the invariants of a
// finished clone checked through the simulator's inspection API, TiDB SQL and the metadata store.
import type { EmbeddedStack } from '../../embedded/stack.js';
import { canLogin, node, runClone, SOURCE, startTestStack, type CloneRun } from './helpers.js';

let stack: EmbeddedStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.stop();
});

async function expectFinishedClone(run: CloneRun, strategy: 'Snapshot' | 'CDCSync' | 'TopologyClone') {
  expect(run.error).toBeUndefined();
  const r = run.result!;
  expect(r.clusterId).toBe(run.clusterId);
  expect(run.progress.status).toBe('Finished');

  // the source's GC life time is back to its original value
  const source = await stack.sim.cluster(SOURCE.id);
  expect(source.gcLifeTime).toBe('10m0s');

  // the target's data equals the source's at the backup TS
  const target = await stack.sim.cluster(run.clusterId);
  if (strategy === 'TopologyClone') {
    expect(r.backupTs).toBeUndefined();
    expect(target.tables).toHaveLength(0);
  } else {
    const atBackup = await stack.sim.checksum(SOURCE.id, r.backupTs);
    const restored = await stack.sim.checksum(run.clusterId, r.restoredTs);
    expect(atBackup.totalKvs).toBeGreaterThan(0);
    expect(restored.checksum).toBe(atBackup.checksum);
    expect(restored.totalKvs).toBe(atBackup.totalKvs);
    expect(restored.tables.map((t) => `${t.db}.${t.table}`).sort()).toEqual(atBackup.tables.map((t) => `${t.db}.${t.table}`).sort());
  }

  // root and the management accounts work
  const tidb = target.instances.find((i) => i.role === 'tidb')!;
  expect(await canLogin(tidb.host, tidb.port, 'root', run.request.dbPassword)).toBe(true);
  expect(await canLogin(tidb.host, tidb.port, 'root', '')).toBe(false);
  const users = await stack.store.listClusterUsers(run.clusterId);
  expect(users.map((u) => u.name).sort()).toEqual(['CDC_Data_Sync', 'EM_Backup_Restore', 'EM_Parameter_Management', 'root']);
  for (const u of users) expect(await canLogin(tidb.host, tidb.port, u.name, u.password)).toBe(true);

  // exactly one deployment, and the cluster is up
  const deploys = await stack.sim.operations({ op: 'tiup.cluster.deploy', cluster: run.clusterId });
  expect(deploys.filter((d) => d.exitCode === 0)).toHaveLength(1);
  expect(target.status).toBe('Up');

  // resources allocated: one host per instance of the request, held by the target
  const allocations = await stack.store.listAllocations(run.clusterId);
  expect(allocations.flatMap((a) => a.instances)).toHaveLength(6);
  const meta = (await stack.store.getCluster(run.clusterId))!;
  expect(meta.instances.filter((i) => ['PD', 'TiDB', 'TiKV', 'CDC'].includes(i.component)).every((i) => i.status === 'Running')).toBe(true);

  // maintenance locks cleared, statuses right
  expect(meta.status).toBe('Running');
  expect(meta.maintenanceStatus).toBe('');
  expect((await stack.store.getCluster(SOURCE.id))!.maintenanceStatus).toBe('');

  // parameters: copies written to PD, source strategy copied
  expect(target.config.pd?.['replication.max-replicas']).toBe(3);
  expect(await stack.store.getBackupStrategy(run.clusterId)).toMatchObject({ backupDate: 'Monday,Thursday' });
}

test('Snapshot clone', async () => {
  const run = await runClone(stack, 'Snapshot');
  await expectFinishedClone(run, 'Snapshot');
  expect(node(run.progress, 'syncIncrData').status).toBe('skipped');
  // GC restored right after the backup, before the restore started
  expect(Date.parse(node(run.progress, 'recoverSourceClusterGCTime').endTime!)).toBeLessThanOrEqual(Date.parse(node(run.progress, 'restoreCluster').startTime!));
  // the backup and the deployment overlapped in time
  const backup = node(run.progress, 'backupSourceCluster');
  const deploy = node(run.progress, 'deployCluster');
  expect(Date.parse(backup.startTime!)).toBeLessThan(Date.parse(deploy.endTime!));
  expect(Date.parse(deploy.startTime!)).toBeLessThan(Date.parse(backup.endTime!));
  // BR progress reached the progress query
  expect(backup.br?.percent).toBe(100);
  expect((await stack.store.getRelations(SOURCE.id)).slaves.map((s) => s.objectClusterId)).not.toContain(run.clusterId);
});

test('CDCSync clone', async () => {
  const run = await runClone(stack, 'CDCSync');
  await expectFinishedClone(run, 'CDCSync');
  const cfId = run.result!.changefeedId!;
  expect(cfId).toBe(`clone-${run.clusterId}`);
  // StandBy relation and a normal changefeed starting at the backup TS
  const rel = await stack.store.getRelations(run.clusterId);
  expect(rel.masters).toEqual([{ relationType: 'StandBy', subjectClusterId: SOURCE.id, objectClusterId: run.clusterId, syncChangefeedTaskId: cfId }]);
  const source = await stack.sim.cluster(SOURCE.id);
  const cf = source.changefeeds.find((c) => c.id === cfId)!;
  expect(cf.state).toBe('normal');
  expect(cf.startTs).toBe(run.result!.backupTs);
  // the target keeps following the source's writes
  const mark = await stack.sim.write(SOURCE.id, { db: 'shop', table: 'orders', count: 5 });
  const caughtUp = async () => BigInt((await stack.sim.cluster(SOURCE.id)).changefeeds.find((c) => c.id === cfId)!.checkpointTs) >= BigInt(mark);
  for (let i = 0; i < 100 && !(await caughtUp()); i++) await new Promise((r) => setTimeout(r, 100));
  expect(await caughtUp()).toBe(true);
  // the target holds exactly the source's writes up to the checkpoint (compared at a moment the
  // checkpoint did not move)
  const checkpoint = async () => (await stack.sim.cluster(SOURCE.id)).changefeeds.find((c) => c.id === cfId)!.checkpointTs;
  let compared = false;
  for (let i = 0; i < 50 && !compared; i++) {
    const cp = await checkpoint();
    const tgtNow = await stack.sim.checksum(run.clusterId);
    if ((await checkpoint()) !== cp) continue;
    const srcAt = await stack.sim.checksum(SOURCE.id, cp);
    expect(tgtNow.checksum).toBe(srcAt.checksum);
    expect(tgtNow.totalKvs).toBe(srcAt.totalKvs);
    compared = true;
  }
  expect(compared).toBe(true);
  // GC went back as soon as the changefeed existed, before the catch-up wait ended
  expect(Date.parse(node(run.progress, 'recoverSourceClusterGCTime').endTime!)).toBeLessThanOrEqual(Date.parse(node(run.progress, 'syncIncrData').endTime!));
});

test('TopologyClone clone', async () => {
  const before = await stack.sim.operations({ op: 'br.backup' });
  const run = await runClone(stack, 'TopologyClone');
  await expectFinishedClone(run, 'TopologyClone');
  expect(await stack.sim.operations({ op: 'br.backup' })).toHaveLength(before.length);
  for (const name of ['modifySourceClusterGCTime', 'backupSourceCluster', 'restoreCluster', 'syncIncrData']) {
    expect(node(run.progress, name).status).toBe('skipped');
  }
});

