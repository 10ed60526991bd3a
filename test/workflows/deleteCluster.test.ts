// Workflow tests of deleteCluster (and the takeoverCluster wrapper): the real workflow code on a
// real Temporal dev server with mocked activities. Step order, the admission answer, and the
// compensation (the Deleting lock is cleared) when a step fails.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WorkflowFailedError, WorkflowIdReusePolicy } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { CloneActivities, ClusterActivities, ControlHostActivities, TakeoverInput, WorkflowStatusName } from '../../activities/types.js';
import { TiemError } from '../../domain/errors.js';
import type { CloneProgress } from '../../domain/types.js';
import { temporalCliPath } from '../../embedded/temporal-server.js';
import { startWithAdmission } from '../../client/admission.js';
import { progressQuery, SEARCH_ATTRIBUTES, workflowIds } from '../../workflows/definitions.js';
import { MOCK_CONTROL_HOST, mockActivities, withMockWorkers } from './mock-activities.js';

function cloneRequest(targetId: string) {
  return {
    sourceClusterId: 'src-cluster-1',
    cloneStrategy: 'Snapshot',
    clusterName: `clone-of-${targetId}`,
    dbPassword: 'Secret-Passw0rd',
    clusterVersion: 'v7.5.1',
    region: 'Region1',
    cpuArchitecture: 'X86_64',
    resourceParameters: {
      instanceResource: ['PD', 'TiDB', 'TiKV'].map((componentType) => ({ componentType, resource: [{ zoneCode: 'Region1,Zone1', specCode: '4C8G', count: componentType === 'TiKV' ? 3 : 1 }] })),
    },
  };
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

type Acts = Pick<CloneActivities, 'endMaintenance'> & ClusterActivities & ControlHostActivities;

/** Mocked activities; `fail` maps an activity to the TiEM error it throws (non-retryable). */
async function statusOf(workflowId: string) {
  return (await env.client.workflow.getHandle(workflowId).describe()).status.name;
}

/** cluster id → the workflow holding its maintenance status (what describeMaintenance reports). */
const holders = new Map<string, string>();

function mocks(fail: Partial<Record<keyof Acts, TiemError>> = {}) {
  const calls: { name: string; arg: unknown; taskQueue: string; start: number }[] = [];
  const wrap =
    <A, R>(name: keyof Acts, result: (a: A) => R | Promise<R>) =>
    async (a: A): Promise<R> => {
      calls.push({ name, arg: a, taskQueue: Context.current().info.taskQueue, start: Date.now() });
      const e = fail[name];
      if (e) throw ApplicationFailure.create({ type: e.errorName, message: e.message, nonRetryable: true, details: [e.details] });
      return result(a);
    };
  const activities: Acts = {
    controlHostOf: wrap('controlHostOf', () => ({ controlHost: MOCK_CONTROL_HOST })),
    controlHostsInUse: wrap('controlHostsInUse', () => [MOCK_CONTROL_HOST]),
    endMaintenance: wrap('endMaintenance', () => undefined),
    startDeleteMaintenance: wrap('startDeleteMaintenance', (a: { clusterId: string }) => ({ clusterId: a.clusterId, name: `name-${a.clusterId}`, replaced: '' })),
    clearCDCLinks: wrap('clearCDCLinks', () => ['remove changefeed clone-x']),
    destroyTiupCluster: wrap('destroyTiupCluster', () => 'destroy cluster succeed'),
    revertResource: wrap('revertResource', () => 'released 1'),
    deleteClusterMeta: wrap('deleteClusterMeta', () => 'deleted'),
    takeoverCluster: wrap('takeoverCluster', (a: TakeoverInput) => ({ clusterId: a.clusterName, resultLines: ['taken over'] })),
    // As the real ones: the lock's holder from a table the test fills, its status from Temporal.
    describeMaintenance: wrap('describeMaintenance', async (a: { clusterId: string }): Promise<Awaited<ReturnType<Acts['describeMaintenance']>>> => {
      const holder = holders.get(a.clusterId);
      return holder ? { status: 'Cloning' as const, holder, holderStatus: await statusOf(holder) } : undefined;
    }),
    waitWorkflowClosed: wrap('waitWorkflowClosed', async (a: { workflowId: string }): Promise<{ status: WorkflowStatusName }> => {
      for (;;) {
        const status = await statusOf(a.workflowId);
        if (status !== 'RUNNING') return { status };
        await new Promise((r) => setTimeout(r, 100));
      }
    }),
  };
  // Routing is not a delete step: the order assertions read the delete's own activities.
  return { activities, calls, names: () => calls.filter((c) => c.name !== 'controlHostOf').map((c) => c.name) };
}

async function withWorker<T>(m: { activities: object }, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `delete-test-${++seq}`;
  return withMockWorkers(env.nativeConnection, bundle, taskQueue, m.activities, () => fn(taskQueue));
}

/** Starts a delete the way the API does (update-with-start) and waits for its end. */
async function runDelete(m: ReturnType<typeof mocks>, clusterId: string, force = false) {
  return withWorker(m, (taskQueue) => deleteOn(taskQueue, clusterId, force));
}

async function deleteOn(taskQueue: string, clusterId: string, force: boolean) {
  const workflowId = workflowIds.deleteCluster(clusterId);
    const admission = await startWithAdmission(env.client, {
      workflowType: 'deleteCluster',
      workflowId,
      taskQueue,
      args: [{ clusterId, force }],
      reusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
    const handle = env.client.workflow.getHandle(workflowId);
    let error: unknown;
    let result: unknown;
    try {
      result = await handle.result();
    } catch (err) {
      error = err;
    }
  const progress = await handle.query<CloneProgress>(progressQuery);
  return { admission, error, result, progress };
}

function failureOf(err: unknown): ApplicationFailure {
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

const statuses = (p: CloneProgress) => Object.fromEntries(p.nodes.map((n) => [n.name, n.status]));

describe('deleteCluster', () => {
  test('accepted after the lock; TiEM order; only its own nodes in the progress', async () => {
    const m = mocks();
    const r = await runDelete(m, 'cluster-del-1', true);
    expect(r.error).toBeUndefined();
    expect(r.admission).toEqual({ accepted: true, clusterId: 'cluster-del-1', workflowId: 'delete-cluster-del-1' });
    // force: who holds the lock is asked first (nobody here).
    expect(m.names()).toEqual(['describeMaintenance', 'startDeleteMaintenance', 'clearCDCLinks', 'destroyTiupCluster', 'revertResource', 'deleteClusterMeta', 'endMaintenance']);
    expect(m.calls[1]!.arg).toEqual({ clusterId: 'cluster-del-1', holder: 'delete-cluster-del-1', force: true });
    expect(m.calls.at(-1)!.arg).toEqual({ holder: 'delete-cluster-del-1', clusterIds: ['cluster-del-1'] });
    expect(r.progress.status).toBe('Finished');
    expect(r.progress.nodes.map((n) => n.name)).toEqual(['startMaintenance', 'removeChangefeeds', 'destroyCluster', 'revertResource', 'deleteClusterMeta', 'endMaintenance']);
    expect(new Set(Object.values(statuses(r.progress)))).toEqual(new Set(['done']));
    expect(r.progress.nodes.find((n) => n.name === 'removeChangefeeds')!.result).toEqual(['remove changefeed clone-x']);
    // TiCDC and TiUP on the cluster's control host, the metadata on the shared queue.
    const onControlHost = m.calls.filter((c) => c.taskQueue.endsWith(`@${MOCK_CONTROL_HOST}`)).map((c) => c.name);
    expect(onControlHost).toEqual(['clearCDCLinks', 'destroyTiupCluster']);
  });

  test('a cluster under maintenance is rejected at admission with 20114 and nothing else runs', async () => {
    const m = mocks({ startDeleteMaintenance: new TiemError('CLUSTER_MAINTENANCE_CONFLICT', "cluster maintenance status is 'Cloning'") });
    const r = await runDelete(m, 'cluster-del-2');
    expect(r.admission).toMatchObject({ accepted: false, code: 20114, httpStatus: 409, errorName: 'CLUSTER_MAINTENANCE_CONFLICT' });
    expect((r.admission as { message: string }).message).toContain("cluster maintenance status is 'Cloning'");
    // The refusal clears only what this delete holds (nothing): holder-checked.
    expect(m.names()).toEqual(['startDeleteMaintenance', 'endMaintenance']);
    expect(m.calls[1]!.arg).toEqual({ holder: 'delete-cluster-del-2', clusterIds: ['cluster-del-2'] });
    const f = failureOf(r.error);
    expect(f.type).toBe('CLUSTER_MAINTENANCE_CONFLICT');
    expect(r.progress.status).toBe('Failed');
    expect(r.progress.error?.code).toBe(20114);
  });

  test('an unknown cluster is rejected with CLUSTER_NOT_FOUND (404)', async () => {
    const m = mocks({ startDeleteMaintenance: new TiemError('CLUSTER_NOT_FOUND', 'get cluster failed : clusterID = nope') });
    const r = await runDelete(m, 'nope-cluster');
    expect(r.admission).toMatchObject({ accepted: false, code: 10003, httpStatus: 404 });
    expect(failureOf(r.error).type).toBe('CLUSTER_NOT_FOUND');
  });

  test.each([
    ['clearCDCLinks', 'destroyTiupCluster'],
    ['destroyTiupCluster', 'revertResource'],
    ['deleteClusterMeta', undefined],
  ] as const)('a failing %s clears the Deleting lock and fails with its type; %s never runs', async (at, next) => {
    const m = mocks({ [at]: new TiemError('TASK_FAILED', `injected failure in ${at}`) });
    const r = await runDelete(m, `cluster-del-${at}`);
    expect(r.admission.accepted).toBe(true);
    const f = failureOf(r.error);
    expect(f.type).toBe('TASK_FAILED');
    expect(f.message).toContain(`injected failure in ${at}`);
    const n = m.names();
    expect(n.at(-1)).toBe('endMaintenance');
    expect(n.slice(0, -1)).not.toContain('endMaintenance');
    if (next) expect(n).not.toContain(next);
    const s = statuses(r.progress);
    expect(s.startMaintenance).toBe('compensated');
    expect(Object.values(s)).toContain('failed');
    expect(r.progress.status).toBe('Failed');
  });

  test('a malformed input fails with PARAMETER_INVALID without touching anything', async () => {
    const m = mocks();
    const error = await withWorker(m, async (taskQueue) =>
      env.client.workflow.execute('deleteCluster', { taskQueue, workflowId: `delete-bad-${seq}`, args: [{}] }).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    expect(failureOf(error).type).toBe('PARAMETER_INVALID');
    expect(m.calls).toEqual([]);
  });
});

describe('deleteCluster under a running clone, and a lock that landed although its step failed', () => {
  test('a failing startDeleteMaintenance ends the Deleting lock it may have taken', async () => {
    const m = mocks({ startDeleteMaintenance: new TiemError('TASK_FAILED', 'injected: the lock landed, the answer was lost') });
    const r = await runDelete(m, 'cluster-del-lost');
    expect(failureOf(r.error).type).toBe('TASK_FAILED');
    expect(m.names()).toEqual(['startDeleteMaintenance', 'endMaintenance']);
    expect(m.calls[1]!.arg).toEqual({ holder: 'delete-cluster-del-lost', clusterIds: ['cluster-del-lost'] });
  });

  test('force delete of a target a clone is deploying: the clone is cancelled and its compensation ends before any host is released', async () => {
    const clone = mockActivities({ hangAt: 'deployCluster' });
    const del = mocks();
    const targetId = `force${seq}`;
    const cloneId = workflowIds.clone(targetId);
    holders.set(targetId, cloneId);
    const r = await withWorker({ activities: { ...clone.activities, ...del.activities } }, async (taskQueue) => {
      const handle = await env.client.workflow.start('cloneCluster', { taskQueue, workflowId: cloneId, args: [{ request: cloneRequest(targetId) }] });
      for (let i = 0; i < 200 && !clone.called('deployCluster'); i++) await new Promise((res) => setTimeout(res, 50));
      const deleted = await deleteOn(taskQueue, targetId, true);
      const cloneOutcome = await handle.result().then(() => 'completed', (e: unknown) => e);
      return { deleted, cloneOutcome };
    });
    expect((r.cloneOutcome as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(clone.cancelled).toContain('deployCluster');
    expect(r.deleted.error).toBeUndefined();
    // The clone's own compensation (its lock released last) ran before the delete took the lock.
    const ofClone = (c: { arg: unknown }) => (c.arg as { holder?: string }).holder === cloneId;
    const deleteSteps = del.calls.filter((c) => !ofClone(c) && c.name !== 'controlHostOf').map((c) => c.name);
    expect(deleteSteps).toEqual(['describeMaintenance', 'waitWorkflowClosed', 'startDeleteMaintenance', 'clearCDCLinks', 'destroyTiupCluster', 'revertResource', 'deleteClusterMeta', 'endMaintenance']);
    const cloneUnlock = del.calls.findIndex((c) => c.name === 'endMaintenance' && ofClone(c));
    expect(cloneUnlock).toBeGreaterThan(-1);
    expect(cloneUnlock).toBeLessThan(del.calls.findIndex((c) => c.name === 'startDeleteMaintenance'));
    expect(clone.called('setClusterFailure')).toBe(true);
    expect(r.deleted.progress.nodes.find((n) => n.name === 'startMaintenance')!.result.join(' ')).toContain(`cancelling it and waiting for its compensation`);
  });
});

describe('takeoverCluster', () => {
  test('returns the cluster id; a refusal surfaces with its TiEM type', async () => {
    const ok = mocks();
    const input: TakeoverInput = { clusterName: 'legacy-1', dbPassword: 'x', region: 'Region1' };
    const r = await withWorker(ok, (taskQueue) => env.client.workflow.execute('takeoverCluster', { taskQueue, workflowId: workflowIds.takeoverCluster('legacy-1'), args: [input] }));
    expect(r).toEqual({ clusterId: 'legacy-1', resultLines: ['taken over'] });

    const bad = mocks({ takeoverCluster: new TiemError('CONNECT_TIDB_ERROR', 'access denied for user root') });
    const error = await withWorker(bad, (taskQueue) =>
      env.client.workflow.execute('takeoverCluster', { taskQueue, workflowId: workflowIds.takeoverCluster('legacy-2'), args: [{ ...input, clusterName: 'legacy-2' }] }).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    const f = failureOf(error);
    expect(f.type).toBe('CONNECT_TIDB_ERROR');
    expect((f.details?.[0] as { code: number }).code).toBe(10007);
    expect(bad.names()).toEqual(['takeoverCluster']);
  });
});
