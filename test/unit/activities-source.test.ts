// The source branch and the restore: GC life time, backup record, BR backup (skip when complete,
// throttled progress signals, cancellation), updateBackupRecord, restore.
import { jest } from '@jest/globals';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { createActivities } from '../../activities/index.js';
import { BrProgressReporter } from '../../activities/heartbeat.js';
import { nextBackupStorage } from '../../activities/backup.js';
import { ToolError } from '../../adapters/types.js';
import { addSource, addTarget, makeDeps, mockEnv, type Fakes } from './activities-fakes.js';

describe('source GC life time', () => {
  it('reads, extends to the clone value and recovers the saved original as the source root', async () => {
    const fakes = makeDeps();
    await addSource(fakes);
    const acts = createActivities(fakes);
    const tidb = fakes.sql.server('127.0.1.11', 4000);
    const original = await mockEnv().run(acts.readSourceClusterGCTime, { sourceClusterId: 'src-cluster' });
    expect(original).toBe('10m0s');
    await mockEnv().run(acts.modifySourceClusterGCTime, { sourceClusterId: 'src-cluster', gcLifeTime: '' });
    expect(tidb.globals.get('tidb_gc_life_time')).toBe('720h');
    // A retried modify is the same SET: the original the workflow saved is unaffected.
    await mockEnv().run(acts.modifySourceClusterGCTime, { sourceClusterId: 'src-cluster', gcLifeTime: '720h' });
    await mockEnv().run(acts.recoverSourceClusterGCTime, { sourceClusterId: 'src-cluster', gcLifeTime: original });
    expect(tidb.globals.get('tidb_gc_life_time')).toBe('10m0s');
    expect(tidb.connects.every((c) => c.user === 'root' && c.ok)).toBe(true);
  });

  it('fails with USER_NOT_FOUND when the source root account is unknown', async () => {
    const fakes = makeDeps();
    await addSource(fakes);
    fakes.store.users.clear();
    const err = (await mockEnv().run(createActivities(fakes).readSourceClusterGCTime, { sourceClusterId: 'src-cluster' }).catch((e: unknown) => e)) as ApplicationFailure;
    expect(err.type).toBe('USER_NOT_FOUND');
  });
});

describe('backup', () => {
  let fakes: Fakes;
  beforeEach(async () => {
    fakes = makeDeps({ backupStorageBase: 's3://bucket/prefix/?endpoint=http%3A%2F%2Fminio%3A9000' });
    await addSource(fakes);
  });

  it('backupSourceCluster creates one Processing record under <base>/<source>/<backupId>', async () => {
    const acts = createActivities(fakes);
    const started = await mockEnv().run(acts.backupSourceCluster, { sourceClusterId: 'src-cluster', backupId: 'b1' });
    const again = await mockEnv().run(acts.backupSourceCluster, { sourceClusterId: 'src-cluster', backupId: 'b1' });
    expect(started).toEqual({ backupId: 'b1', storage: 's3://bucket/prefix/src-cluster/b1?endpoint=http%3A%2F%2Fminio%3A9000' });
    expect(again).toEqual(started);
    expect(fakes.store.backups.get('b1')).toMatchObject({ status: 'Processing', storageType: 's3', backupMode: 'manual', clusterId: 'src-cluster' });
  });

  it('backup runs BR with the source version and first PD, and a re-run finds the complete backup instead', async () => {
    const acts = createActivities(fakes);
    const { storage } = await mockEnv().run(acts.backupSourceCluster, { sourceClusterId: 'src-cluster', backupId: 'b1' });
    const backupFull = jest.spyOn(fakes.br, 'backupFull');
    const first = await mockEnv().run(acts.backup, { backupId: 'b1' });
    expect(first).toEqual({ backupTs: '449000000000000000', sizeBytes: 1024 });
    expect(backupFull.mock.calls[0][0]).toMatchObject({ version: 'v7.5.1', pd: '127.0.1.11:2379', storage });
    await mockEnv().run(acts.updateBackupRecord, { backupId: 'b1', status: 'Finished', outcome: first });
    const second = await mockEnv().run(acts.backup, { backupId: 'b1' });
    expect(fakes.br.backupRuns).toBe(1);
    expect(second).toEqual(first);
    expect(fakes.store.backups.get('b1')).toMatchObject({ status: 'Finished', size: 1024, backupTso: '449000000000000000' });
  });

  it('backup heartbeats every BR progress line but signals the workflow only on meaningful, spaced changes', async () => {
    const acts = createActivities(fakes);
    await mockEnv().run(acts.backupSourceCluster, { sourceClusterId: 'src-cluster', backupId: 'b1' });
    fakes.br.progress = [
      ...Array.from({ length: 50 }, (_, i) => ({ step: 'Full Backup', percent: i * 2 })),
      { step: 'Checksum', percent: 100 },
    ];
    const env = mockEnv();
    const beats: unknown[] = [];
    env.on('heartbeat', (d) => beats.push(d));
    await env.run(acts.backup, { backupId: 'b1', report: { workflowId: 'clone-tgt', node: 'backupSourceCluster' } });
    expect(beats).toContainEqual({ step: 'Full Backup', percent: 98 });
    // 51 samples arrive within a second: the first is sent, the latest is flushed at the end.
    expect(fakes.signals).toEqual([
      { workflowId: 'clone-tgt', signalName: 'brProgress', arg: { node: 'backupSourceCluster', progress: { step: 'Full Backup', percent: 0 } } },
      { workflowId: 'clone-tgt', signalName: 'brProgress', arg: { node: 'backupSourceCluster', progress: { step: 'Checksum', percent: 100 } } },
    ]);
  });

  it('the progress throttle sends on ≥1% or step changes at most once a second', async () => {
    let clock = 0;
    const sent: unknown[] = [];
    const reporter = new BrProgressReporter(
      { signalWorkflow: async (_w, _s, arg) => void sent.push((arg as { progress: unknown }).progress) },
      { workflowId: 'w', node: 'restoreCluster' },
      1000,
      () => clock,
    );
    reporter.onProgress({ step: 'Full Restore', percent: 10 }); // sent (first)
    clock = 1500;
    reporter.onProgress({ step: 'Full Restore', percent: 10.5 }); // < 1%: not sent
    clock = 1600;
    reporter.onProgress({ step: 'Full Restore', percent: 12 }); // ≥ 1% and ≥ 1 s: sent
    clock = 1700;
    reporter.onProgress({ step: 'Checksum', percent: 0 }); // step change but within 1 s: held back
    await reporter.flush();
    expect(sent).toEqual([
      { step: 'Full Restore', percent: 10, bytes: 100, totalBytes: 1000 },
      { step: 'Full Restore', percent: 12, bytes: 120, totalBytes: 1000 },
      { step: 'Checksum', percent: 0, bytes: 0, totalBytes: 1000 },
    ]);
  });

  it('a hanging BR backup stops when the activity is cancelled', async () => {
    const acts = createActivities(fakes);
    await mockEnv().run(acts.backupSourceCluster, { sourceClusterId: 'src-cluster', backupId: 'b1' });
    fakes.br.hang = true;
    const env = mockEnv();
    const running = env.run(acts.backup, { backupId: 'b1' });
    await new Promise((r) => setTimeout(r, 30));
    env.cancel();
    expect(await running.catch((e: unknown) => e)).toBeInstanceOf(CancelledFailure);
  });

  it('a BR version refusal is TOOL_REJECTED and not retryable; other BR failures are retryable TASK_FAILED', async () => {
    const acts = createActivities(fakes);
    await mockEnv().run(acts.backupSourceCluster, { sourceClusterId: 'src-cluster', backupId: 'b1' });
    jest.spyOn(fakes.br, 'backupFull').mockRejectedValueOnce(
      new ToolError('tiup br backup full exited with 1', 1, '', '[BR:Common:ErrVersionMismatch]version mismatch: running BR v7.5.1 on TiKV v6.5.0'),
    );
    const refused = (await mockEnv().run(acts.backup, { backupId: 'b1' }).catch((e: unknown) => e)) as ApplicationFailure;
    expect([refused.type, refused.nonRetryable]).toEqual(['TOOL_REJECTED', true]);
    expect((refused.details as { code: number }[])[0].code).toBe(21399);

    jest.spyOn(fakes.br, 'backupFull').mockRejectedValueOnce(new ToolError('tiup br backup full exited with 1', 1, '', 'rpc error: connection reset'));
    const flaky = (await mockEnv().run(acts.backup, { backupId: 'b1' }).catch((e: unknown) => e)) as ApplicationFailure;
    expect([flaky.type, flaky.nonRetryable]).toEqual(['TASK_FAILED', false]);
    expect(flaky.message).toContain('connection reset');
  });
});

describe('backup with a BR that cannot resume (before v6.5)', () => {
  it('starts over in a fresh path, named in the record first, when BR refuses the unfinished one; a later retry keeps moving', async () => {
    const fakes = makeDeps();
    await addSource(fakes, { version: 'v6.1.7' });
    const acts = createActivities(fakes);
    const { storage } = await mockEnv().run(acts.backupSourceCluster, { sourceClusterId: 'src-cluster', backupId: 'b1' });
    const locked = (s: string) =>
      new ToolError('tiup br backup full exited with 1', 1, '', `backup lock file and sst file exist in ${s}/backup.lock, there are some backup files in the path already, please specify a correct backup directory!: [BR:Common:ErrInvalidArgument]invalid argument`);
    const backupFull = jest.spyOn(fakes.br, 'backupFull');
    backupFull.mockRejectedValueOnce(locked(storage));
    const pathWhenBrRan: string[] = [];
    backupFull.mockImplementationOnce(async (a) => {
      pathWhenBrRan.push(fakes.store.backups.get('b1')!.filePath);
      fakes.br.completedBackups.set(a.storage, fakes.br.result.backupTs);
      return fakes.br.result;
    });
    const r = await mockEnv().run(acts.backup, { backupId: 'b1' });
    expect(r.backupTs).toBe(fakes.br.result.backupTs);
    expect(backupFull.mock.calls.map((c) => c[0].storage)).toEqual([storage, `${storage}-retry-2`]);
    expect(pathWhenBrRan).toEqual([`${storage}-retry-2`]);
    expect(fakes.store.backups.get('b1')!.filePath).toBe(`${storage}-retry-2`);
    // the restore reads the backup where it was finally written
    addTarget(fakes, { version: 'v6.1.7' });
    const restoreFull = jest.spyOn(fakes.br, 'restoreFull');
    await mockEnv().run(acts.restoreFromSrcCluster, { targetClusterId: 'tgt-cluster', backupId: 'b1' });
    expect(restoreFull.mock.calls[0][0]).toMatchObject({ storage: `${storage}-retry-2` });
    expect(nextBackupStorage('s3://b/p/b1-retry-2?endpoint=x')).toBe('s3://b/p/b1-retry-3?endpoint=x');
  });

  it('any other BR failure is not taken for a locked path', async () => {
    const fakes = makeDeps();
    await addSource(fakes, { version: 'v6.1.7' });
    const acts = createActivities(fakes);
    const { storage } = await mockEnv().run(acts.backupSourceCluster, { sourceClusterId: 'src-cluster', backupId: 'b1' });
    jest.spyOn(fakes.br, 'backupFull').mockRejectedValueOnce(new ToolError('tiup br backup full exited with 1', 1, '', 'rpc error: connection reset'));
    await expect(mockEnv().run(acts.backup, { backupId: 'b1' })).rejects.toMatchObject({ type: 'TASK_FAILED' });
    expect(fakes.store.backups.get('b1')!.filePath).toBe(storage);
  });
});

describe('restore across the v7.5 privilege-table change', () => {
  it('restores user data only (--with-sys-table=false) from a pre-v7.5 source into v7.5+, BR default otherwise', async () => {
    for (const [source, target, withSysTable] of [
      ['v7.1.5', 'v8.1.1', false],
      ['v7.5.1', 'v8.1.1', undefined],
      ['v6.5.9', 'v7.1.5', undefined],
    ] as const) {
      const fakes = makeDeps();
      await addSource(fakes, { version: source });
      addTarget(fakes, { version: target });
      const acts = createActivities(fakes);
      await mockEnv().run(acts.backupSourceCluster, { sourceClusterId: 'src-cluster', backupId: 'b1' });
      const restoreFull = jest.spyOn(fakes.br, 'restoreFull');
      await mockEnv().run(acts.restoreFromSrcCluster, { targetClusterId: 'tgt-cluster', backupId: 'b1' });
      expect(restoreFull.mock.calls[0][0].withSysTable).toBe(withSysTable);
    }
  });
});

describe('restoreFromSrcCluster', () => {
  it('restores with the TARGET version and PD and reports bytes from the record size', async () => {
    const fakes = makeDeps();
    await addSource(fakes);
    addTarget(fakes, { version: 'v8.1.0' });
    const acts = createActivities(fakes);
    await mockEnv().run(acts.backupSourceCluster, { sourceClusterId: 'src-cluster', backupId: 'b1' });
    await fakes.store.updateBackupRecord('b1', { size: 2000, backupTso: '1' });
    fakes.br.progress = [{ step: 'Full Restore', percent: 50 }];
    const restoreFull = jest.spyOn(fakes.br, 'restoreFull');
    await mockEnv().run(acts.restoreFromSrcCluster, { targetClusterId: 'tgt-cluster', backupId: 'b1', report: { workflowId: 'clone-tgt', node: 'restoreCluster' } });
    expect(restoreFull.mock.calls[0][0]).toMatchObject({ version: 'v8.1.0', pd: '127.0.2.12:10040', storage: 'local:///tmp/tiem-backups/src-cluster/b1' });
    expect(fakes.signals[0].arg).toEqual({ node: 'restoreCluster', progress: { step: 'Full Restore', percent: 50, bytes: 1000, totalBytes: 2000 } });
  });

  it('records the finished restore with the target TSO, and a retry does not run BR again', async () => {
    const fakes = makeDeps();
    await addSource(fakes);
    addTarget(fakes);
    const acts = createActivities(fakes);
    await mockEnv().run(acts.backupSourceCluster, { sourceClusterId: 'src-cluster', backupId: 'b1' });
    const restoreFull = jest.spyOn(fakes.br, 'restoreFull');
    const first = await mockEnv().run(acts.restoreFromSrcCluster, { targetClusterId: 'tgt-cluster', backupId: 'b1' });
    expect(first.restoredTs).toMatch(/^\d+$/);
    const again = await mockEnv().run(acts.restoreFromSrcCluster, { targetClusterId: 'tgt-cluster', backupId: 'b1' });
    expect(again).toEqual(first);
    expect(restoreFull).toHaveBeenCalledTimes(1);
  });

  it('a retry after BR finished but the TSO read failed does not run BR again', async () => {
    const fakes = makeDeps();
    await addSource(fakes);
    addTarget(fakes);
    const acts = createActivities(fakes);
    await mockEnv().run(acts.backupSourceCluster, { sourceClusterId: 'src-cluster', backupId: 'b1' });
    const restoreFull = jest.spyOn(fakes.br, 'restoreFull');
    fakes.sql.unreachable.add('127.0.2.11:10000');
    await expect(mockEnv().run(acts.restoreFromSrcCluster, { targetClusterId: 'tgt-cluster', backupId: 'b1' })).rejects.toMatchObject({ type: 'CONNECT_TIDB_ERROR' });
    fakes.sql.unreachable.clear();
    const retried = await mockEnv().run(acts.restoreFromSrcCluster, { targetClusterId: 'tgt-cluster', backupId: 'b1' });
    expect(retried.restoredTs).toMatch(/^\d+$/);
    expect(restoreFull).toHaveBeenCalledTimes(1);
  });

  it('fails with BACKUP_RECORD_QUERY_FAILED when the record is missing', async () => {
    const fakes = makeDeps();
    addTarget(fakes);
    const err = (await mockEnv().run(createActivities(fakes).restoreFromSrcCluster, { targetClusterId: 'tgt-cluster', backupId: 'nope' }).catch((e: unknown) => e)) as ApplicationFailure;
    expect(err.type).toBe('BACKUP_RECORD_QUERY_FAILED');
    expect(err.nonRetryable).toBe(false);
  });
});
