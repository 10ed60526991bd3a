// Mocked activities for workflow tests: record every call, optionally fail or hang at one step.
import { ApplicationFailure } from '@temporalio/common';
import { Context, sleep } from '@temporalio/activity';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { controlHostQueue } from '../../domain/control-host.js';
import type { CloneActivities, ControlHostActivities, ModifyParametersInput } from '../../activities/types.js';

/** The control host every mocked cluster is bound to: its activities run on `<queue>@ctl-1`. */
export const MOCK_CONTROL_HOST = 'ctl-1';

type MockedName = keyof (CloneActivities & ControlHostActivities);

export interface MockOptions {
  /** Activity name that fails (non-retryable, with a TiEM type). */
  failAt?: string | string[];
  failType?: string;
  /** Activity name that runs until cancelled, heartbeating. */
  hangAt?: string;
  /** Called when the hanging activity (or `notifyAt`) starts (the test then cancels). */
  onHang?: () => void;
  /** Activity whose start calls onHang without hanging (e.g. a slow short activity to cancel mid-run). */
  notifyAt?: string;
  /** Fail the first N calls of an activity (retryable errors unless `failTimesNonRetryable`), then succeed. */
  failTimes?: Partial<Record<MockedName, number>>;
  failTimesNonRetryable?: boolean;
  /** Fail only the Nth call (1-based) of an activity. */
  failOnCall?: Partial<Record<MockedName, number>>;
  delays?: Partial<Record<MockedName, number>>;
  sourceVersion?: string;
}

export interface Call {
  name: string;
  arg: unknown;
  /** The task queue the activity ran from (the shared one, or the control host's). */
  taskQueue: string;
  start: number;
  end?: number;
}

export function mockActivities(opts: MockOptions = {}) {
  const calls: Call[] = [];
  const cancelled: string[] = [];

  const counts = new Map<string, number>();
  const wrap = <A, R>(name: MockedName, result: (a: A) => R) =>
    async (a: A): Promise<R> => {
      const call: Call = { name, arg: a, taskQueue: Context.current().info.taskQueue, start: Date.now() };
      calls.push(call);
      const n = (counts.get(name) ?? 0) + 1;
      counts.set(name, n);
      try {
        if (opts.notifyAt === name) opts.onHang?.();
        if (n <= (opts.failTimes?.[name] ?? 0)) {
          throw ApplicationFailure.create({ type: 'CONNECT_TIDB_ERROR', message: `injected outage in ${name} (call ${n})`, nonRetryable: opts.failTimesNonRetryable ?? false });
        }
        if (opts.failOnCall?.[name] === n) {
          throw ApplicationFailure.create({ type: 'TASK_FAILED', message: `[9995]Task failed\tinjected failure in ${name} (call ${n})`, nonRetryable: true, details: [{ code: 9995 }] });
        }
        if (opts.hangAt === name) {
          opts.onHang?.();
          for (;;) {
            Context.current().heartbeat();
            try {
              await sleep(50);
            } catch (err) {
              cancelled.push(name);
              throw err;
            }
          }
        }
        const delay = opts.delays?.[name];
        if (delay) await sleep(delay);
        if ([opts.failAt ?? []].flat().includes(name)) {
          throw ApplicationFailure.create({ type: opts.failType ?? 'TASK_FAILED', message: `[9995]Task failed\tinjected failure in ${name}`, nonRetryable: true, details: [{ code: 9995 }] });
        }
        return result(a);
      } finally {
        call.end = Date.now();
      }
    };

  const mp = (purpose: ModifyParametersInput['purpose'], clusterId: string, reboot = false): ModifyParametersInput => ({
    clusterId,
    mode: purpose === 'applyParameterGroup' ? 'apply' : 'update',
    params: [{ component: 'pd', name: 'replication.max-replicas', value: '3' }],
    reboot,
    purpose,
  });

  const activities: CloneActivities & ControlHostActivities = {
    controlHostOf: wrap('controlHostOf', () => ({ controlHost: MOCK_CONTROL_HOST })),
    controlHostsInUse: wrap('controlHostsInUse', () => [MOCK_CONTROL_HOST]),
    precheckClone: wrap('precheckClone', (a: { request: { cloneStrategy: 'Snapshot' | 'CDCSync' | 'TopologyClone'; sourceClusterId: string; clusterVersion: string } }) => ({
      ok: true,
      problems: [],
      plan: { strategy: a.request.cloneStrategy, sourceClusterId: a.request.sourceClusterId, targetVersion: a.request.clusterVersion, steps: [], hosts: [] },
    })),
    startMaintenance: wrap('startMaintenance', (a: { targetClusterId: string; request: { sourceClusterId: string; clusterName: string; clusterVersion: string } }) => ({
      source: { id: a.request.sourceClusterId, name: 'source', version: opts.sourceVersion ?? a.request.clusterVersion, parameterGroupId: 'default-v7.5' },
      target: {
        id: a.targetClusterId, name: a.request.clusterName, version: a.request.clusterVersion, copies: 3, region: 'Region1',
        cpuArchitecture: 'X86_64' as const, tags: [], tls: false, exclusive: false, vendor: 'Local', parameterGroupId: 'default-v7.5',
      },
    })),
    endMaintenance: wrap('endMaintenance', () => undefined),
    setClusterFailure: wrap('setClusterFailure', () => undefined),
    persistCluster: wrap('persistCluster', () => undefined),
    prepareResource: wrap('prepareResource', () => ({ allocationRequestId: 'r', instances: [], globalPorts: [11000, 11001], resultLines: [] })),
    revertResourceAfterFailure: wrap('revertResourceAfterFailure', () => 'released'),
    readSourceClusterGCTime: wrap('readSourceClusterGCTime', () => '10m0s'),
    modifySourceClusterGCTime: wrap('modifySourceClusterGCTime', () => '720h'),
    recoverSourceClusterGCTime: wrap('recoverSourceClusterGCTime', () => 'tidb_gc_life_time restored to 10m0s'),
    backupSourceCluster: wrap('backupSourceCluster', (a: { backupId: string }) => ({ backupId: a.backupId, storage: `local:///tmp/${a.backupId}` })),
    backup: wrap('backup', () => ({ backupTs: '449000000000000000', sizeBytes: 1024 })),
    updateBackupRecord: wrap('updateBackupRecord', () => undefined),
    buildConfig: wrap('buildConfig', () => ({ topologyYaml: 'global: {}' })),
    deployCluster: wrap('deployCluster', () => ['deployed']),
    syncConnectionKey: wrap('syncConnectionKey', () => undefined),
    syncTopology: wrap('syncTopology', () => undefined),
    startCluster: wrap('startCluster', () => ['started']),
    setClusterOnline: wrap('setClusterOnline', () => ['online']),
    destroyCluster: wrap('destroyCluster', () => ['destroyed']),
    initRootAccount: wrap('initRootAccount', () => undefined),
    initAccount: wrap('initAccount', () => ['init user EM_Backup_Restore succeed']),
    reconcileAccounts: wrap('reconcileAccounts', () => ['root re-asserted']),
    applyParameterGroup: wrap('applyParameterGroup', (a: { targetClusterId: string }) => mp('applyParameterGroup', a.targetClusterId)),
    syncBackupStrategy: wrap('syncBackupStrategy', () => 'no backup strategy'),
    syncParameters: wrap('syncParameters', (a: { targetClusterId: string }) => mp('syncParameters', a.targetClusterId)),
    adjustParameters: wrap('adjustParameters', (a: { targetClusterId: string }) => mp('adjustParameters', a.targetClusterId, true)),
    copySourceConfig: wrap('copySourceConfig', () => ['the source runs nothing the target does not: nothing to copy']),
    validationParameter: wrap('validationParameter', () => undefined),
    modifyParameter: wrap('modifyParameter', (a: ModifyParametersInput) => ({ roles: a.reboot ? ['pd'] : [], resultLines: [] })),
    refreshParameter: wrap('refreshParameter', () => undefined),
    persistParameter: wrap('persistParameter', () => undefined),
    failParameter: wrap('failParameter', () => ['restored']),
    restoreFromSrcCluster: wrap('restoreFromSrcCluster', () => ({ backupTs: '449000000000000000', sizeBytes: 1024 })),
    syncIncrData: wrap('syncIncrData', (a: { changefeedId: string }) => ({ changefeedId: a.changefeedId, cdcServer: '127.0.1.1:8300', startTs: '449000000000000000', resultLines: ['changefeed created'] })),
    waitChangefeedCatchUp: wrap('waitChangefeedCatchUp', () => ({ lagMs: 10, resultLines: ['caught up'] })),
    removeChangefeed: wrap('removeChangefeed', () => 'changefeed removed'),
    collectLogConfig: wrap('collectLogConfig', () => undefined),
  };

  // Routing is not a clone step: the step-order assertions read the clone's own activities.
  const names = () => calls.filter((c) => c.name !== 'controlHostOf').map((c) => c.name);
  const called = (name: string) => calls.some((c) => c.name === name);
  const indexOf = (name: string) => names().indexOf(name);
  const queueOf = (name: string) => calls.filter((c) => c.name === name).map((c) => c.taskQueue);
  return { activities, calls, names, called, indexOf, cancelled, queueOf };
}

/**
 * Runs `fn` with two workers on the mocks, as production splits them: the shared queue (workflows)
 * and the mocked control host's queue, both serving every mocked activity so a misrouted call
 * still runs and the test sees its queue.
 */
export async function withMockWorkers<T>(
  connection: NativeConnection,
  bundle: WorkerOptions['workflowBundle'],
  taskQueue: string,
  activities: object,
  fn: () => Promise<T>,
): Promise<T> {
  const common = { connection, activities, maxHeartbeatThrottleInterval: '100 milliseconds', defaultHeartbeatThrottleInterval: '100 milliseconds' } as const;
  const shared = await Worker.create({ ...common, taskQueue, workflowBundle: bundle });
  const controlHost = await Worker.create({ ...common, taskQueue: controlHostQueue(taskQueue, MOCK_CONTROL_HOST) });
  return shared.runUntil(() => controlHost.runUntil(fn));
}
