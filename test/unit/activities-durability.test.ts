// What must survive a crash or a closed workflow: the durable GC hold (its original recorded
// before the change, never a held value), a finished restore recorded before anything can hang,
// a retried backup's real size, and the reconciler's repairs of what dead workflows left behind.
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities/index.js';
import type { WorkflowStatusName } from '../../activities/types.js';
import { addSource, addTarget, makeDeps, mockEnv, type Fakes } from './activities-fakes.js';

const gcOf = (fakes: Fakes) => fakes.sql.server('127.0.1.11', 4000).globals.get('tidb_gc_life_time');

describe('durable GC hold', () => {
  it('records the original before the change, and a second clone never takes the held value for it', async () => {
    const fakes = makeDeps();
    await addSource(fakes);
    const acts = createActivities(fakes);
    const a = { sourceClusterId: 'src-cluster', holder: 'clone-A' };
    expect(await mockEnv().run(acts.readSourceClusterGCTime, a)).toBe('10m0s');
    expect(await fakes.store.getGcHold('src-cluster', 'clone-A')).toMatchObject({ original: '10m0s' });
    await mockEnv().run(acts.modifySourceClusterGCTime, { ...a, gcLifeTime: '' });
    expect(gcOf(fakes)).toBe('720h');
    // A retried read (the workflow lost the first answer) returns the recorded original, not 720h.
    expect(await mockEnv().run(acts.readSourceClusterGCTime, a)).toBe('10m0s');
    // Clone A died without releasing: the next clone's original is A's, not the 720h A set.
    expect(await mockEnv().run(acts.readSourceClusterGCTime, { sourceClusterId: 'src-cluster', holder: 'clone-B' })).toBe('10m0s');
  });

  it('refuses to change GC without a recorded hold', async () => {
    const fakes = makeDeps();
    await addSource(fakes);
    const err = await mockEnv()
      .run(createActivities(fakes).modifySourceClusterGCTime, { sourceClusterId: 'src-cluster', gcLifeTime: '', holder: 'clone-A' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'SYSTEM_MISSING_DATA' });
    expect(gcOf(fakes)).toBe('10m0s');
  });

  it('a release puts the recorded original back once; another live hold keeps the history; a late modify does nothing', async () => {
    const fakes = makeDeps();
    await addSource(fakes);
    const acts = createActivities(fakes);
    const a = { sourceClusterId: 'src-cluster', holder: 'clone-A' };
    const b = { sourceClusterId: 'src-cluster', holder: 'clone-B' };
    await mockEnv().run(acts.readSourceClusterGCTime, a);
    await mockEnv().run(acts.modifySourceClusterGCTime, { ...a, gcLifeTime: '' });
    await mockEnv().run(acts.readSourceClusterGCTime, b);
    // The workflow's own idea of the original is ignored: the record is the truth.
    expect(await mockEnv().run(acts.recoverSourceClusterGCTime, { ...a, gcLifeTime: '720h' })).toContain('kept: still held by clone-B');
    expect(gcOf(fakes)).toBe('720h');
    expect(await mockEnv().run(acts.recoverSourceClusterGCTime, { ...b, gcLifeTime: '' })).toContain('restored to 10m0s');
    expect(gcOf(fakes)).toBe('10m0s');
    expect(await mockEnv().run(acts.recoverSourceClusterGCTime, { ...b, gcLifeTime: '' })).toContain('already released');
    await mockEnv().run(acts.modifySourceClusterGCTime, { ...b, gcLifeTime: '' });
    expect(gcOf(fakes)).toBe('10m0s');
    expect(await fakes.store.listGcHolds({ active: true })).toEqual([]);
  });

  it('a source that is gone ends the hold instead of failing forever', async () => {
    const fakes = makeDeps();
    await addSource(fakes);
    const acts = createActivities(fakes);
    const a = { sourceClusterId: 'src-cluster', holder: 'clone-A' };
    await mockEnv().run(acts.readSourceClusterGCTime, a);
    fakes.store.clusters.delete('src-cluster');
    expect(await mockEnv().run(acts.recoverSourceClusterGCTime, { ...a, gcLifeTime: '' })).toContain('is gone');
    expect(await fakes.store.listGcHolds({ active: true })).toEqual([]);
  });
});

describe('records written before anything can hang', () => {
  it('a finished restore is recorded before its last progress signals are sent', async () => {
    const fakes = makeDeps();
    await addSource(fakes);
    addTarget(fakes);
    const acts = createActivities(fakes);
    await mockEnv().run(acts.backupSourceCluster, { sourceClusterId: 'src-cluster', backupId: 'b1' });
    fakes.br.progress = [{ step: 'Full Restore', percent: 100 }];
    // The workflow does not take the signal (a worker about to die, a Temporal hiccup): it never answers.
    fakes.signalWorkflow = () => new Promise<void>(() => undefined);
    void mockEnv().run(acts.restoreFromSrcCluster, { targetClusterId: 'tgt-cluster', backupId: 'b1', report: { workflowId: 'clone-tgt', node: 'restoreCluster' } });
    await new Promise((r) => setTimeout(r, 200));
    expect(fakes.br.restoreRuns).toBe(1);
    expect(await fakes.store.getRestoreRecord('tgt-cluster', 'b1')).toMatchObject({ backupTso: '449000000000000000' });
  });

  it('a backup retried after its completion was lost reports the real size', async () => {
    const fakes = makeDeps();
    await addSource(fakes);
    const acts = createActivities(fakes);
    await mockEnv().run(acts.backupSourceCluster, { sourceClusterId: 'src-cluster', backupId: 'b1' });
    await mockEnv().run(acts.backup, { backupId: 'b1' });
    // The worker died before backupCluster marked the record: the retry finds the complete backup.
    const retried = await mockEnv().run(acts.backup, { backupId: 'b1' });
    expect(fakes.br.backupRuns).toBe(1);
    expect(retried).toEqual({ backupTs: '449000000000000000', sizeBytes: 1024 });
  });
});

describe('warnings reach the worker log', () => {
  it('a failed progress signal is logged through the SDK activity logger', async () => {
    const fakes = makeDeps();
    await addSource(fakes);
    addTarget(fakes);
    const acts = createActivities(fakes);
    await mockEnv().run(acts.backupSourceCluster, { sourceClusterId: 'src-cluster', backupId: 'b1' });
    fakes.br.progress = [{ step: 'Full Restore', percent: 100 }];
    fakes.signalWorkflow = async () => {
      throw new Error('workflow not found');
    };
    const entries: { level: string; message: string }[] = [];
    const logger = { log: (level: string, message: string) => entries.push({ level, message }), trace() {}, debug() {}, info() {}, warn: (message: string) => entries.push({ level: 'WARN', message }), error() {} };
    const env = new MockActivityEnvironment(undefined, { logger: logger as never });
    await env.run(acts.restoreFromSrcCluster, { targetClusterId: 'tgt-cluster', backupId: 'b1', report: { workflowId: 'clone-tgt', node: 'restoreCluster' as const } });
    expect(entries.some((e) => e.level === 'WARN' && e.message === 'brProgress signal failed')).toBe(true);
  });
});

describe('reconciler', () => {
  function withWorkflows(fakes: Fakes, statuses: Record<string, WorkflowStatusName>) {
    fakes.workflows = { status: async (id) => statuses[id] ?? 'NOT_FOUND' };
    return createActivities(fakes);
  }

  async function deadClone(fakes: Fakes, opts: { deployed?: boolean; changefeed?: boolean } = {}) {
    await addSource(fakes);
    addTarget(fakes);
    const holder = 'clone-tgt-cluster';
    const acts = createActivities(fakes);
    await mockEnv().run(acts.readSourceClusterGCTime, { sourceClusterId: 'src-cluster', holder });
    await mockEnv().run(acts.modifySourceClusterGCTime, { sourceClusterId: 'src-cluster', holder, gcLifeTime: '' });
    fakes.store.clusters.get('src-cluster')!.maintenanceStatus = 'BeingCloned';
    fakes.store.clusters.get('src-cluster')!.maintenanceHolder = holder;
    Object.assign(fakes.store.clusters.get('tgt-cluster')!, { maintenanceStatus: 'Cloning', maintenanceHolder: holder });
    fakes.store.allocations.set(`${holder}/prepareResource`, { requestId: `${holder}/prepareResource`, holderId: 'tgt-cluster', instances: [], globalPorts: [] });
    if (opts.deployed) fakes.tiup.clusters.push({ name: 'tgt-cluster', user: 'tidb', version: 'v7.5.1', path: '', private_key: '' });
    if (opts.changefeed) {
      await fakes.store.upsertChangefeedTask({ id: 'clone-tgtcluster', name: 'x', clusterId: 'src-cluster', downstreamClusterId: 'tgt-cluster', startTs: '1', status: 'Normal', cdcServer: '127.0.1.11:8300' });
      fakes.cdc.feeds.set('127.0.1.11:8300/clone-tgtcluster', { id: 'clone-tgtcluster', state: 'normal', checkpoint_ts: '1', start_ts: '1' });
    }
    return holder;
  }

  it('leaves everything of a running clone alone', async () => {
    const fakes = makeDeps();
    const holder = await deadClone(fakes, { changefeed: true });
    const acts = withWorkflows(fakes, { [holder]: 'RUNNING' });
    expect(await mockEnv().run(acts.findOrphans, {})).toEqual([]);
  });

  it('repairs what a terminated clone left behind, the source first, and records every repair', async () => {
    const fakes = makeDeps();
    const holder = await deadClone(fakes, { changefeed: true });
    const acts = withWorkflows(fakes, { [holder]: 'TERMINATED' });
    const orphans = await mockEnv().run(acts.findOrphans, {});
    expect(orphans.map((o) => `${o.kind}:${o.subject}`)).toEqual([
      'gcHold:src-cluster',
      'changefeed:clone-tgtcluster',
      'allocation:clone-tgt-cluster/prepareResource',
      'maintenanceLock:src-cluster',
      'maintenanceLock:tgt-cluster',
    ]);
    for (const orphan of orphans) {
      expect(await mockEnv().run(acts.repairOrphan, { runId: 'tiem-reconciler-1', orphan })).toMatchObject({ outcome: 'repaired', holderStatus: 'TERMINATED' });
    }
    expect(gcOf(fakes)).toBe('10m0s');
    expect(fakes.cdc.feeds.size).toBe(0);
    expect(fakes.store.allocations.size).toBe(0);
    expect(fakes.store.clusters.get('src-cluster')).toMatchObject({ maintenanceStatus: '', maintenanceHolder: '' });
    expect(fakes.store.clusters.get('tgt-cluster')).toMatchObject({ maintenanceStatus: '', status: 'Failure' });
    expect(fakes.store.repairs).toHaveLength(5);
    // Nothing is left for the next run.
    expect(await mockEnv().run(acts.findOrphans, {})).toEqual([]);
    void holder;
  });

  it('keeps the hosts of a deployed target (failAfterDeploy) and the changefeed of a finished clone', async () => {
    const fakes = makeDeps();
    const holder = await deadClone(fakes, { deployed: true, changefeed: true });
    const failed = withWorkflows(fakes, { [holder]: 'FAILED' });
    expect((await mockEnv().run(failed.findOrphans, {})).map((o) => o.kind)).not.toContain('allocation');
    const finished = withWorkflows(fakes, { [holder]: 'COMPLETED' });
    const kinds = (await mockEnv().run(finished.findOrphans, {})).map((o) => o.kind);
    expect(kinds).not.toContain('changefeed');
    expect(kinds).not.toContain('allocation');
    expect(kinds).toContain('gcHold');
  });

  it('hosts: a failed clone kept them on purpose, a terminated one never decided; a deployed target keeps them either way', async () => {
    const fakes = makeDeps();
    const holder = await deadClone(fakes);
    const allocationOrphans = async (status: WorkflowStatusName) =>
      (await mockEnv().run(withWorkflows(fakes, { [holder]: status }).findOrphans, {})).filter((o) => o.kind === 'allocation').length;
    expect(await allocationOrphans('FAILED')).toBe(0);
    expect(await allocationOrphans('CANCELLED')).toBe(0);
    expect(await allocationOrphans('TERMINATED')).toBe(1);
    expect(await allocationOrphans('TIMED_OUT')).toBe(1);
    fakes.tiup.clusters.push({ name: 'tgt-cluster', user: 'tidb', version: 'v7.5.1', path: '', private_key: '' });
    expect(await allocationOrphans('TERMINATED')).toBe(0);
  });

  it('a holder that runs again is left to it', async () => {
    const fakes = makeDeps();
    const holder = await deadClone(fakes);
    const statuses: Record<string, WorkflowStatusName> = { [holder]: 'TERMINATED' };
    const acts = withWorkflows(fakes, statuses);
    const [orphan] = await mockEnv().run(acts.findOrphans, {});
    statuses[holder] = 'RUNNING';
    expect(await mockEnv().run(acts.repairOrphan, { runId: 'r', orphan })).toMatchObject({ outcome: 'failed' });
    expect(gcOf(fakes)).toBe('720h');
  });
});
