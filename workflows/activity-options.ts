// Activity proxies, one per activity class, each typed to the activities it serves, with explicit
// timeouts and retries (spec §5.4). Every proxy waits for a cancelled activity to settle
// (WAIT_CANCELLATION_COMPLETED): an undo must never run while its forward step may still land.
import { ActivityCancellationType, patched, proxyActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { CloneActivities, ClusterActivities, ControlHostActivities, ReconcileActivities } from '../activities/types.js';
import { CONTROL_HOST_ACTIVITIES } from '../activities/routing.js';
import { controlHostQueue } from '../domain/control-host.js';
import { NON_RETRYABLE_ERROR_TYPES } from '../domain/errors.js';
import { PATCHES } from './patches.js';

const nonRetryableErrorTypes = [...NON_RETRYABLE_ERROR_TYPES];
const cancellationType = ActivityCancellationType.WAIT_CANCELLATION_COMPLETED;
type Acts = CloneActivities & ClusterActivities & ControlHostActivities & ReconcileActivities;

/** Metadata and short SQL steps: seconds, a few retries with backoff. They do not heartbeat, so a cancel waits for them to end. */
type ShortActivities = Pick<
  Acts,
  | 'precheckClone'
  | 'startMaintenance'
  | 'prepareResource'
  | 'readSourceClusterGCTime'
  | 'modifySourceClusterGCTime'
  | 'recoverSourceClusterGCTime'
  | 'backupSourceCluster'
  | 'updateBackupRecord'
  | 'buildConfig'
  | 'syncConnectionKey'
  | 'syncTopology'
  | 'initRootAccount'
  | 'initAccount'
  | 'reconcileAccounts'
  | 'applyParameterGroup'
  | 'syncBackupStrategy'
  | 'syncParameters'
  | 'adjustParameters'
  | 'validationParameter'
  | 'persistParameter'
  | 'syncIncrData'
  | 'startDeleteMaintenance'
  | 'clearCDCLinks'
  | 'revertResource'
  | 'deleteClusterMeta'
  | 'describeMaintenance'
  | 'controlHostOf'
  | 'controlHostsInUse'
>;
const shortOptions: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  cancellationType,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '20s', maximumAttempts: 5, nonRetryableErrorTypes },
};
export const short = proxyActivities<ShortActivities>(shortOptions);

/** TiUP runs (deploy, start, edit-config, reload, display, push): heartbeating, cancellable, hours at most. */
type TiupActivities = Pick<
  Acts,
  'deployCluster' | 'startCluster' | 'modifyParameter' | 'refreshParameter' | 'failParameter' | 'copySourceConfig' | 'persistCluster' | 'collectLogConfig' | 'destroyTiupCluster'
>;
const tiupOptions: ActivityOptions = {
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  cancellationType,
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 3, nonRetryableErrorTypes },
};
export const tiup = proxyActivities<TiupActivities>(tiupOptions);

/** BR backup and restore: the data size sets the duration; BR's checkpoint makes retries resume. */
type BrActivities = Pick<Acts, 'backup' | 'restoreFromSrcCluster'>;
const brOptions: ActivityOptions = {
  startToCloseTimeout: '48 hours',
  heartbeatTimeout: '1 minute',
  cancellationType,
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 5, nonRetryableErrorTypes },
};
export const br = proxyActivities<BrActivities>(brOptions);

/** Waits on the cluster (health, changefeed catch-up, another workflow's end): TiEM allowed 30 days. */
type WaitActivities = Pick<Acts, 'setClusterOnline' | 'waitChangefeedCatchUp' | 'waitWorkflowClosed'>;
const waitOptions: ActivityOptions = {
  startToCloseTimeout: '30 days',
  heartbeatTimeout: '1 minute',
  cancellationType,
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes },
};
export const wait = proxyActivities<WaitActivities>(waitOptions);

/**
 * Compensation and end bookkeeping (run non-cancellable). A call makes a few quick attempts; for the
 * source (GC, changefeed, locks) `untilDone` repeats it without limit and shows the last error.
 */
type CleanupActivities = Pick<Acts, 'endMaintenance' | 'setClusterFailure' | 'revertResourceAfterFailure' | 'recoverSourceClusterGCTime' | 'removeChangefeed'>;
const cleanupOptions: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  cancellationType,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '15s', maximumAttempts: 4, nonRetryableErrorTypes },
};
export const cleanup = proxyActivities<CleanupActivities>(cleanupOptions);

/** Compensation that runs TiUP (destroy): heartbeats, so a dead worker is noticed within a minute. */
type CleanupToolActivities = Pick<Acts, 'destroyCluster'>;
const cleanupToolOptions: ActivityOptions = {
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '1 minute',
  cancellationType,
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes },
};
export const cleanupTool = proxyActivities<CleanupToolActivities>(cleanupToolOptions);

/** The proxies a clone, a delete or a child workflow calls, one per activity class. */
export interface ActivityProxies {
  short: typeof short;
  tiup: typeof tiup;
  br: typeof br;
  wait: typeof wait;
  cleanup: typeof cleanup;
  cleanupTool: typeof cleanupTool;
}

/** Everything on the shared task queue: histories from before control-host routing. */
export const sharedQueueActivities: ActivityProxies = { short, tiup, br, wait, cleanup, cleanupTool };

/** `shared` with the activities that reach a cluster sent to `queue` (its control host's). */
function routed<T extends object>(shared: T, options: ActivityOptions, queue: string): T {
  const onHost = proxyActivities<Record<string, (...args: unknown[]) => Promise<unknown>>>({ ...options, taskQueue: queue });
  return new Proxy(shared, {
    get: (target, name) => (typeof name === 'string' && CONTROL_HOST_ACTIVITIES.has(name) ? onHost[name] : Reflect.get(target, name)),
  });
}

/** The proxies of a run whose cluster is managed from the control host with task queue `queue`. */
export function controlHostActivities(queue: string): ActivityProxies {
  return {
    short: routed(short, shortOptions, queue),
    tiup: routed(tiup, tiupOptions, queue),
    br: routed(br, brOptions, queue),
    wait: routed(wait, waitOptions, queue),
    cleanup: routed(cleanup, cleanupOptions, queue),
    cleanupTool: routed(cleanupTool, cleanupToolOptions, queue),
  };
}

/**
 * The proxies for a run on `clusterId`: its control host is asked once (a recorded activity result,
 * so replay routes the same way). Runs from before routing keep everything on the shared queue.
 */
export async function activitiesForCluster(clusterId: string): Promise<{ acts: ActivityProxies; controlQueue?: string }> {
  if (!patched(PATCHES.controlHostRouting)) return { acts: sharedQueueActivities };
  const { controlHost } = await short.controlHostOf({ clusterId });
  const controlQueue = controlHostQueue(workflowInfo().taskQueue, controlHost);
  return { acts: controlHostActivities(controlQueue), controlQueue };
}
