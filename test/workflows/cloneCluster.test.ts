// Workflow tests: the real workflow code on a real Temporal dev server, with mocked activities.
// They check step order, the parallel branches, strategy skips, the compensation chosen for a
// failure at each step, and cancellation during each branch.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WorkflowFailedError, WorkflowIdReusePolicy, type WorkflowHandle } from '@temporalio/client';
import { startWithAdmission } from '../../client/admission.js';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { CloneClusterInput, CloneClusterRequest, CloneStrategy } from '../../domain/types.js';
import { temporalCliPath } from '../../embedded/temporal-server.js';
import { progressQuery, SEARCH_ATTRIBUTES, startUpdate, stopUpdate } from '../../workflows/definitions.js';
import { MOCK_CONTROL_HOST, mockActivities, withMockWorkers, type MockOptions } from './mock-activities.js';
import { CONTROL_HOST_ACTIVITIES } from '../../activities/routing.js';
import { controlHostQueue } from '../../domain/control-host.js';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { writeFileSync } from 'node:fs';

/** `RECORD_HISTORIES=1 npm run test:workflows` refreshes the replay fixtures (test/fixtures/histories). */
async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  // The workflow id is part of the name: replay needs it (the target id derives from it).
  const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'histories', `${name}.${handle.workflowId}.json`);
  writeFileSync(file, historyToJSON(await handle.fetchHistory()));
}

const workflowsPath = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'workflows', 'index.ts');
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let seq = 0;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: temporalCliPath() }, searchAttributes: SEARCH_ATTRIBUTES },
  });
  bundle = await bundleWorkflowCode({ workflowsPath, logger: { log() {}, info() {}, warn() {}, error() {}, debug() {}, trace() {} } as never });
});

afterAll(async () => {
  await env?.teardown();
});

function request(strategy: CloneStrategy, over: Partial<CloneClusterRequest> = {}): CloneClusterRequest {
  return {
    sourceClusterId: 'src-cluster-1',
    cloneStrategy: strategy,
    clusterName: `clone-target-${seq}`,
    dbPassword: 'Secret-Passw0rd',
    clusterVersion: 'v7.5.1',
    region: 'Region1',
    cpuArchitecture: 'X86_64',
    resourceParameters: {
      instanceResource: [
        { componentType: 'PD', resource: [{ zoneCode: 'Region1,Zone1', specCode: '4C8G', count: 1 }] },
        { componentType: 'TiDB', resource: [{ zoneCode: 'Region1,Zone1', specCode: '4C8G', count: 1 }] },
        { componentType: 'TiKV', resource: [{ zoneCode: 'Region1,Zone1', specCode: '4C8G', count: 3 }] },
      ],
    },
    ...over,
  };
}

async function runClone(
  strategy: CloneStrategy,
  mock: MockOptions = {},
  input: Partial<CloneClusterInput> = {},
  control?: (h: WorkflowHandle, signalHang: Promise<void>) => Promise<void>,
  /** Start as the API does (update-with-start, waiting for the admission answer) in the background. */
  viaAdmission?: (answer: Promise<unknown>) => void,
) {
  seq++;
  let hung!: () => void;
  const hang = new Promise<void>((r) => (hung = r));
  const m = mockActivities({ ...mock, onHang: () => hung() });
  const taskQueue = `wf-test-${seq}`;
  const clusterId = `tgt${seq}`;
  const result = await withMockWorkers(env.nativeConnection, bundle, taskQueue, m.activities, async () => {
    const args = [{ request: request(strategy, input.request), options: input.options } satisfies CloneClusterInput];
    const workflowId = `clone-${clusterId}`;
    let handle: WorkflowHandle;
    if (viaAdmission) {
      viaAdmission(startWithAdmission(env.client, { workflowType: 'cloneCluster', workflowId, taskQueue, args, reusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE }));
      handle = env.client.workflow.getHandle(workflowId);
      while (!(await handle.describe().then(() => true, () => false))) await new Promise((res) => setTimeout(res, 20));
    } else {
      handle = await env.client.workflow.start('cloneCluster', { taskQueue, workflowId, args });
    }
    if (control) await control(handle, hang);
    let outcome: unknown;
    let error: unknown;
    try {
      outcome = await handle.result();
    } catch (err) {
      error = err;
    }
    const progress = await handle.query(progressQuery);
    return { outcome, error, progress, handle };
  });
  return { ...m, ...result, clusterId, taskQueue };
}

function failureOf(err: unknown): ApplicationFailure | CancelledFailure | undefined {
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause as ApplicationFailure | CancelledFailure;
}

describe('cloneCluster step order', () => {
  test('Snapshot: admission, both branches, restore after the join, GC back right after the backup', async () => {
    const r = await runClone('Snapshot', { delays: { backup: 600, deployCluster: 400 } });
    expect(r.error).toBeUndefined();
    await recordHistory(r.handle, 'clone-snapshot');
    const n = r.names();
    expect(n[0]).toBe('startMaintenance');
    expect(n[1]).toBe('prepareResource');
    // the source branch and the target branch both ran, before the restore
    for (const s of ['modifySourceClusterGCTime', 'backup', 'deployCluster', 'adjustParameters']) {
      expect(r.indexOf(s)).toBeGreaterThan(1);
      expect(r.indexOf(s)).toBeLessThan(r.indexOf('restoreFromSrcCluster'));
    }
    // original GC read before it is changed; restored once after the backup, before the restore
    expect(r.indexOf('readSourceClusterGCTime')).toBeLessThan(r.indexOf('modifySourceClusterGCTime'));
    expect(r.indexOf('recoverSourceClusterGCTime')).toBeGreaterThan(r.indexOf('backup'));
    expect(r.indexOf('recoverSourceClusterGCTime')).toBeLessThan(r.indexOf('restoreFromSrcCluster'));
    expect(n.filter((x) => x === 'recoverSourceClusterGCTime')).toHaveLength(1);
    expect(r.indexOf('reconcileAccounts')).toBeGreaterThan(r.indexOf('restoreFromSrcCluster'));
    expect(r.called('syncIncrData')).toBe(false);
    // target branch order (seed table)
    const target = ['buildConfig', 'deployCluster', 'syncConnectionKey', 'syncTopology', 'startCluster', 'setClusterOnline', 'initRootAccount',
      'initAccount', 'persistCluster', 'applyParameterGroup', 'syncBackupStrategy', 'syncParameters', 'adjustParameters'];
    const idx = target.map((s) => r.indexOf(s));
    expect([...idx].sort((a, b) => a - b)).toEqual(idx);
    // end: persist, end maintenance, then the abandoned log child
    expect(n.at(-1)).toBe('collectLogConfig');
    expect(r.called('revertResourceAfterFailure')).toBe(false);
    expect(r.progress.status).toBe('Finished');
  });

  test('the backup and the deployment overlap in time (progress query)', async () => {
    const r = await runClone('Snapshot', { delays: { backup: 800, deployCluster: 800 } });
    const backup = r.progress.nodes.find((x) => x.name === 'backupSourceCluster')!;
    const deploy = r.progress.nodes.find((x) => x.name === 'deployCluster')!;
    expect(Date.parse(backup.startTime!)).toBeLessThan(Date.parse(deploy.endTime!));
    expect(Date.parse(deploy.startTime!)).toBeLessThan(Date.parse(backup.endTime!));
  });

  test('CDCSync: changefeed from the backup, GC back once it exists, then the catch-up wait', async () => {
    const r = await runClone('CDCSync');
    expect(r.error).toBeUndefined();
    await recordHistory(r.handle, 'clone-cdcsync');
    expect(r.indexOf('syncIncrData')).toBeGreaterThan(r.indexOf('reconcileAccounts'));
    expect(r.indexOf('recoverSourceClusterGCTime')).toBeGreaterThan(r.indexOf('syncIncrData'));
    expect(r.indexOf('recoverSourceClusterGCTime')).toBeLessThan(r.indexOf('waitChangefeedCatchUp'));
    const wait = r.calls.find((c) => c.name === 'waitChangefeedCatchUp')!.arg as { thresholdMs: number };
    expect(wait.thresholdMs).toBe(300_000); // half of the source's original 10m0s
    expect((r.outcome as { changefeedId: string }).changefeedId).toBe(`clone-${r.clusterId}`);
  });

  test('TopologyClone: no GC change, no backup, no restore', async () => {
    const r = await runClone('TopologyClone');
    expect(r.error).toBeUndefined();
    for (const s of ['readSourceClusterGCTime', 'modifySourceClusterGCTime', 'backupSourceCluster', 'backup', 'restoreFromSrcCluster', 'reconcileAccounts', 'syncIncrData', 'recoverSourceClusterGCTime']) {
      expect(r.called(s)).toBe(false);
    }
    expect(r.called('deployCluster')).toBe(true);
    expect(r.progress.nodes.find((x) => x.name === 'backupSourceCluster')!.status).toBe('skipped');
  });

  test("across versions the catalogue rows are not synced, the source's live configuration is (what still exists)", async () => {
    const r = await runClone('Snapshot', { sourceVersion: 'v7.5.0' });
    expect(r.error).toBeUndefined();
    await recordHistory(r.handle, 'clone-snapshot-cross-version');
    expect(r.called('syncParameters')).toBe(false);
    expect(r.calls.find((c) => c.name === 'copySourceConfig')!.arg).toEqual({ sourceClusterId: 'src-cluster-1', targetClusterId: r.clusterId, holder: `clone-${r.clusterId}` });
    expect(r.indexOf('copySourceConfig')).toBeLessThan(r.indexOf('adjustParameters'));
    expect(r.progress.nodes.find((x) => x.name === 'syncParameters')!.status).toBe('done');
  });

  test('same version: the catalogue rows, then the live configuration', async () => {
    const r = await runClone('Snapshot');
    expect(r.indexOf('syncParameters')).toBeLessThan(r.indexOf('copySourceConfig'));
    expect(r.progress.nodes.find((x) => x.name === 'syncParameters')!.result).toContain('the source runs nothing the target does not: nothing to copy');
  });

  test('bad input fails with the TiEM code before any activity runs', async () => {
    const r = await runClone('Snapshot', {}, { request: request('Snapshot', { copies: 4 }) });
    const f = failureOf(r.error) as ApplicationFailure;
    expect(f.type).toBe('PARAMETER_INVALID');
    expect(r.calls).toHaveLength(0);
  });
});

describe('control-host routing', () => {
  /** Every call on the queue it belongs to: the control host's for what reaches a cluster, the shared one for the rest. */
  function expectRouted(r: Awaited<ReturnType<typeof runClone>>) {
    const controlQueue = controlHostQueue(r.taskQueue, MOCK_CONTROL_HOST);
    const misrouted = r.calls.filter((c) => c.taskQueue !== (CONTROL_HOST_ACTIVITIES.has(c.name) ? controlQueue : r.taskQueue));
    expect(misrouted.map((c) => `${c.name} on ${c.taskQueue}`)).toEqual([]);
  }

  test('CDCSync: TiUP, BR, SQL and TiCDC on the source control host (children too); metadata on the shared queue', async () => {
    const r = await runClone('CDCSync');
    expect(r.error).toBeUndefined();
    await recordHistory(r.handle, 'clone-cdcsync-routed');
    expect(r.queueOf('controlHostOf')).toEqual([r.taskQueue]);
    expect(r.queueOf('deployCluster')).toEqual([controlHostQueue(r.taskQueue, MOCK_CONTROL_HOST)]);
    expect(r.queueOf('backup')).toEqual([controlHostQueue(r.taskQueue, MOCK_CONTROL_HOST)]);
    expect(r.queueOf('prepareResource')).toEqual([r.taskQueue]);
    expectRouted(r);
  });

  test('a failure after deploy: the undo (TiUP destroy, GC back) on the control host too', async () => {
    const r = await runClone('Snapshot', { failAt: 'initAccount' }, { options: { destroyOnFailure: true } });
    expect(r.error).toBeDefined();
    expect(r.queueOf('destroyCluster')).toEqual([controlHostQueue(r.taskQueue, MOCK_CONTROL_HOST)]);
    expectRouted(r);
  });
});

describe('compensation', () => {
  // before deploy: TiEM `fail` (release resources); after: `failAfterDeploy` (keep them)
  const cases: [string, CloneStrategy, { released: boolean; gc: boolean; changefeed?: boolean }][] = [
    ['prepareResource', 'Snapshot', { released: true, gc: false }],
    ['modifySourceClusterGCTime', 'Snapshot', { released: true, gc: true }],
    ['backup', 'Snapshot', { released: true, gc: true }],
    ['buildConfig', 'Snapshot', { released: true, gc: true }],
    ['deployCluster', 'Snapshot', { released: false, gc: true }],
    ['startCluster', 'Snapshot', { released: false, gc: true }],
    ['initAccount', 'CDCSync', { released: false, gc: true }],
    ['modifyParameter', 'Snapshot', { released: false, gc: true }],
    ['restoreFromSrcCluster', 'Snapshot', { released: false, gc: true }],
    ['waitChangefeedCatchUp', 'CDCSync', { released: false, gc: true, changefeed: true }],
  ];

  test.each(cases)('failure in %s (%s)', async (failAt, strategy, expected) => {
    const r = await runClone(strategy, { failAt, delays: { backup: 300 } });
    if (failAt === 'initAccount') await recordHistory(r.handle, 'clone-cdcsync-fail-after-deploy');
    const f = failureOf(r.error) as ApplicationFailure;
    expect(f).toBeInstanceOf(ApplicationFailure);
    expect(f.type).toBe('TASK_FAILED');
    expect(f.message).toContain(`injected failure in ${failAt}`);
    expect(r.called('revertResourceAfterFailure')).toBe(expected.released);
    expect(r.called('setClusterFailure')).toBe(true);
    // a target that is only collateral of a failed source branch is destroyed, if it was deployed
    const sourceBranch = ['modifySourceClusterGCTime', 'backup'].includes(failAt);
    expect(r.called('destroyCluster')).toBe(sourceBranch && r.called('deployCluster'));
    expect(r.calls.at(-1)!.name).toBe('endMaintenance');
    const endArgs = r.calls.at(-1)!.arg as { clusterIds: string[] };
    expect(endArgs.clusterIds).toEqual(['src-cluster-1', r.clusterId]);
    if (expected.gc) {
      const recovered = r.calls.filter((c) => c.name === 'recoverSourceClusterGCTime');
      expect(recovered.length).toBeGreaterThanOrEqual(1);
      expect((recovered.at(-1)!.arg as { gcLifeTime: string }).gcLifeTime).toBe('10m0s');
    } else {
      expect(r.called('recoverSourceClusterGCTime')).toBe(false);
    }
    expect(r.called('removeChangefeed')).toBe(expected.changefeed ?? false);
    expect(r.progress.status).toBe('Failed');
    expect(r.progress.error?.code).toBe(9995);
    // the undo of admission always ran
    expect(r.progress.nodes.find((x) => x.name === 'startMaintenance')!.status).toBe('compensated');
  });

  test('failure after deploy with destroyOnFailure destroys the target and does not double-release', async () => {
    const r = await runClone('Snapshot', { failAt: 'initAccount' }, { options: { destroyOnFailure: true } });
    expect(failureOf(r.error)).toBeInstanceOf(ApplicationFailure);
    expect(r.called('destroyCluster')).toBe(true);
    expect(r.indexOf('destroyCluster')).toBeLessThan(r.indexOf('endMaintenance'));
  });

  test('a failing end action undoes nothing and never keeps the locks (each end action is independent)', async () => {
    // persistCluster runs in the target branch (call 1) and in the end (call 2).
    const r = await runClone('CDCSync', { failOnCall: { persistCluster: 2 } });
    const f = failureOf(r.error) as ApplicationFailure;
    expect(f.message).toContain('persistCluster');
    for (const undoStep of ['removeChangefeed', 'setClusterFailure', 'revertResourceAfterFailure', 'destroyCluster']) {
      expect(r.called(undoStep)).toBe(false);
    }
    expect(r.indexOf('endMaintenance')).toBeGreaterThan(r.names().lastIndexOf('persistCluster'));
    expect(r.called('collectLogConfig')).toBe(true);
    expect(r.progress.nodes.find((x) => x.name === 'syncIncrData')!.status).toBe('done');
    expect(r.progress.nodes.find((x) => x.name === 'end')!.status).toBe('failed');
  });

  test('a refused admission does not touch the cluster it names', async () => {
    const r = await runClone('Snapshot', { failAt: 'startMaintenance', failType: 'CLUSTER_MAINTENANCE_CONFLICT' });
    expect((failureOf(r.error) as ApplicationFailure).type).toBe('CLUSTER_MAINTENANCE_CONFLICT');
    expect(r.called('setClusterFailure')).toBe(false);
    expect(r.names()).toEqual(['startMaintenance', 'endMaintenance']);
  });

  test('a failing cleanup step does not stop the others and is reported', async () => {
    // The backup failed after the deploy finished: the collateral target is destroyed, and that fails.
    const r = await runClone('Snapshot', { failAt: ['backup', 'destroyCluster'], delays: { backup: 2500 } });
    const f = failureOf(r.error) as ApplicationFailure;
    expect(f.message).toContain('injected failure in backup');
    expect(f.message).toContain('cleanup errors: prepareResource: destroyCluster');
    // Not destroyed, so its hosts are not released; the lock is released anyway.
    expect(r.called('revertResourceAfterFailure')).toBe(false);
    expect(r.called('setClusterFailure')).toBe(true);
    expect(r.calls.at(-1)!.name).toBe('endMaintenance');
    expect(r.progress.compensationErrors).toHaveLength(1);
    expect(r.progress.compensationErrors[0]).toContain('injected failure in destroyCluster');
  });
});

describe('cancellation', () => {
  test.each([
    ['backup', 'source branch'],
    ['deployCluster', 'target branch'],
  ])('cancel while %s runs (%s): the other branch stops and compensation runs', async (hangAt) => {
    const r = await runClone('Snapshot', { hangAt, delays: { backup: 200, deployCluster: 200 } }, {}, async (h, hang) => {
      await hang;
      await h.cancel();
    });
    expect(failureOf(r.error)).toBeInstanceOf(CancelledFailure);
    if (hangAt === 'deployCluster') await recordHistory(r.handle, 'clone-snapshot-cancelled');
    expect(r.cancelled).toContain(hangAt);
    expect(r.called('setClusterFailure')).toBe(true);
    expect(r.called('recoverSourceClusterGCTime')).toBe(true);
    expect(r.calls.at(-1)!.name).toBe('endMaintenance');
    expect(r.called('restoreFromSrcCluster')).toBe(false);
    expect(r.progress.status).toBe('Canceled');
  });

  test('a failure in one branch cancels the other branch', async () => {
    const r = await runClone('Snapshot', { hangAt: 'backup', failAt: 'startCluster' });
    const f = failureOf(r.error) as ApplicationFailure;
    expect(f.message).toContain('injected failure in startCluster');
    expect(r.cancelled).toContain('backup');
    expect(r.called('updateBackupRecord')).toBe(true); // the backup record is marked Failed
  });
});

describe("TiEM's failParameter", () => {
  test('a failed parameter change re-applies the saved values, then fails the clone; a successful one never calls it', async () => {
    const failed = await runClone('TopologyClone', { failAt: 'refreshParameter' });
    expect(failureOf(failed.error)).toBeInstanceOf(ApplicationFailure);
    const restore = failed.calls.filter((c) => c.name === 'failParameter');
    expect(restore).toHaveLength(1);
    expect(restore[0]!.start).toBeGreaterThanOrEqual(failed.calls.find((c) => c.name === 'refreshParameter')!.end!);
    // the failed change is not recorded as applied
    const purpose = (restore[0]!.arg as { purpose: string }).purpose;
    expect(failed.calls.filter((c) => c.name === 'persistParameter' && (c.arg as { purpose: string }).purpose === purpose)).toEqual([]);
    const ok = await runClone('TopologyClone');
    expect(ok.error).toBeUndefined();
    expect(ok.called('failParameter')).toBe(false);
  });
});

describe("TiEM's workflow stop and start", () => {
  test('stop pauses at the next step boundary (the running step goes on), start resumes and the clone finishes', async () => {
    let stoppedAt = 0;
    let progressWhileStopped: Awaited<ReturnType<WorkflowHandle['query']>> | undefined;
    const r = await runClone('TopologyClone', { notifyAt: 'buildConfig', delays: { buildConfig: 800 } }, {}, async (h, started) => {
      await started;
      await h.executeUpdate(stopUpdate, { args: [{ by: 'tester' }] });
      stoppedAt = Date.now();
      await new Promise((res) => setTimeout(res, 2000));
      progressWhileStopped = await h.query(progressQuery);
      expect(await h.executeUpdate(startUpdate)).toEqual({ stopped: false });
    });
    expect(r.error).toBeUndefined();
    expect(r.progress.status).toBe('Finished');
    expect(r.progress.stopped).toBeUndefined();
    const p = progressWhileStopped as { stopped?: { by?: string }; nodes: { name: string; status: string }[] };
    expect(p.stopped).toMatchObject({ by: 'tester' });
    // the running step finished; the next one waited
    expect(p.nodes.find((n) => n.name === 'buildConfig')!.status).toBe('done');
    expect(p.nodes.find((n) => n.name === 'deployCluster')!.status).toBe('pending');
    const deploy = r.calls.find((c) => c.name === 'deployCluster')!;
    expect(deploy.start).toBeGreaterThanOrEqual(stoppedAt + 2000);
  });

  test('a stopped clone can still be cancelled: compensation runs without waiting for a start', async () => {
    const r = await runClone('Snapshot', { notifyAt: 'buildConfig', delays: { buildConfig: 500 } }, {}, async (h, started) => {
      await started;
      await h.executeUpdate(stopUpdate, { args: [{}] });
      await new Promise((res) => setTimeout(res, 1000));
      await h.cancel();
    });
    expect(failureOf(r.error)).toBeInstanceOf(CancelledFailure);
    expect(r.progress.status).toBe('Canceled');
    expect(r.called('deployCluster')).toBe(false);
    expect(r.calls.at(-1)!.name).toBe('endMaintenance');
  });
});

describe('survives: undo after settle, patient cleanup of the source', () => {
  const callOf = (r: { calls: { name: string; start: number; end?: number }[] }, name: string) => r.calls.find((c) => c.name === name)!;

  test.each([
    ['syncIncrData', 'CDCSync', 'removeChangefeed'],
    ['modifySourceClusterGCTime', 'Snapshot', 'recoverSourceClusterGCTime'],
    ['prepareResource', 'Snapshot', 'revertResourceAfterFailure'],
    ['startMaintenance', 'Snapshot', 'endMaintenance'],
  ] as const)('cancelled while %s (%s) runs: %s starts only after it ended', async (slow, strategy, undoStep) => {
    const r = await runClone(strategy, { notifyAt: slow, delays: { [slow]: 1500 } }, {}, async (h, started) => {
      await started;
      await h.cancel();
    });
    expect(failureOf(r.error)).toBeInstanceOf(CancelledFailure);
    const forward = callOf(r, slow);
    const undone = r.calls.filter((c) => c.name === undoStep).at(-1)!;
    expect(undone).toBeDefined();
    expect(undone.start).toBeGreaterThanOrEqual(forward.end!);
  });

  test('a failure in the other branch waits for a short step to settle before undoing it', async () => {
    const r = await runClone('Snapshot', { failAt: 'buildConfig', delays: { modifySourceClusterGCTime: 1500, buildConfig: 200 } });
    expect(failureOf(r.error)).toBeInstanceOf(ApplicationFailure);
    expect(callOf(r, 'recoverSourceClusterGCTime').start).toBeGreaterThanOrEqual(callOf(r, 'modifySourceClusterGCTime').end!);
  });

  test('GC is put back however long the source is unreachable, and the wait is visible', async () => {
    let sawCompensating: { status: string; lastError?: string } | undefined;
    const r = await runClone('Snapshot', { failAt: 'deployCluster', failTimes: { recoverSourceClusterGCTime: 11 } }, {}, async (h) => {
      for (let i = 0; i < 600 && !sawCompensating; i++) {
        const n = (await h.query(progressQuery)).nodes.find((x) => x.name === 'modifySourceClusterGCTime')!;
        if (n.status === 'compensating') sawCompensating = n;
        else await new Promise((res) => setTimeout(res, 100));
      }
    });
    expect((failureOf(r.error) as ApplicationFailure).message).toContain('injected failure in deployCluster');
    await recordHistory(r.handle, 'clone-snapshot-gc-outage');
    expect(sawCompensating?.lastError).toContain('injected outage in recoverSourceClusterGCTime');
    // 11 failed attempts (more than the old 10-attempt budget), then the 12th put GC back.
    expect(r.calls.filter((c) => c.name === 'recoverSourceClusterGCTime')).toHaveLength(12);
    expect(r.progress.compensationErrors).toEqual([]);
    expect(r.progress.nodes.find((x) => x.name === 'modifySourceClusterGCTime')!.status).toBe('compensated');
    expect(r.calls.at(-1)!.name).toBe('endMaintenance');
  }, 180_000);

  test('a failed GC release after the backup does not fail the clone: the end releases it', async () => {
    const r = await runClone('Snapshot', { failTimes: { recoverSourceClusterGCTime: 1 }, failTimesNonRetryable: true });
    expect(r.error).toBeUndefined();
    expect(r.called('destroyCluster')).toBe(false);
    expect(r.called('restoreFromSrcCluster')).toBe(true);
    const recoveries = r.calls.filter((c) => c.name === 'recoverSourceClusterGCTime');
    expect(recoveries).toHaveLength(2);
    expect(recoveries[1].start).toBeGreaterThan(callOf(r, 'reconcileAccounts').start);
    expect(r.progress.status).toBe('Finished');
  });

  test('the backup\'s own error and code win over a failure to mark its record Failed', async () => {
    const r = await runClone('Snapshot', { failAt: ['backup', 'updateBackupRecord'] });
    const f = failureOf(r.error) as ApplicationFailure;
    expect(f.message).toContain('injected failure in backup');
    expect(f.message).not.toContain('injected failure in updateBackupRecord');
    expect(r.progress.error?.code).toBe(9995);
  });

  test('the source is put back before the collateral target is destroyed', async () => {
    const r = await runClone('Snapshot', { failAt: 'backup', delays: { backup: 2500 } });
    expect(failureOf(r.error)).toBeInstanceOf(ApplicationFailure);
    expect(r.called('destroyCluster')).toBe(true);
    expect(r.indexOf('recoverSourceClusterGCTime')).toBeLessThan(r.indexOf('destroyCluster'));
  });

  test('cancelled while admission runs: the caller still gets the verdict, and the clone is undone after it settled', async () => {
    let answer: Promise<unknown> | undefined;
    const r = await runClone(
      'Snapshot',
      { notifyAt: 'startMaintenance', delays: { startMaintenance: 1500 } },
      {},
      async (h, started) => {
        await started;
        await h.cancel();
      },
      (a) => (answer = a),
    );
    await expect(answer).resolves.toMatchObject({ accepted: true });
    expect(failureOf(r.error)).toBeInstanceOf(CancelledFailure);
    expect(r.called('prepareResource')).toBe(false);
    expect(r.called('setClusterFailure')).toBe(true);
  });

  test('cancelled while buildConfig runs: the deploy never starts, so the hosts are released', async () => {
    const r = await runClone('TopologyClone', { notifyAt: 'buildConfig', delays: { buildConfig: 1500 } }, {}, async (h, started) => {
      await started;
      await h.cancel();
    });
    expect(failureOf(r.error)).toBeInstanceOf(CancelledFailure);
    expect(r.called('deployCluster')).toBe(false);
    expect(r.called('revertResourceAfterFailure')).toBe(true);
  });

  test('cancelled during the last forward step (reconcileAccounts): the clone is cancelled, not finished', async () => {
    const r = await runClone('Snapshot', { notifyAt: 'reconcileAccounts', delays: { reconcileAccounts: 1500 } }, {}, async (h, started) => {
      await started;
      await h.cancel();
    });
    expect(failureOf(r.error)).toBeInstanceOf(CancelledFailure);
    expect(r.called('collectLogConfig')).toBe(false);
    expect(r.progress.status).toBe('Canceled');
    expect(r.called('setClusterFailure')).toBe(true);
  });
});
