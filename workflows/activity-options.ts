// Activity proxies, one per activity class, each typed to the activities it serves, with explicit
// timeouts and retries (spec §5.4). Every proxy waits for a cancelled activity to settle
// (WAIT_CANCELLATION_COMPLETED): an undo must never run while its forward step may still land.
import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { CloneActivities, ClusterActivities } from '../activities/types.js';
import { NON_RETRYABLE_ERROR_TYPES } from '../domain/errors.js';

const nonRetryableErrorTypes = [...NON_RETRYABLE_ERROR_TYPES];
const cancellationType = ActivityCancellationType.WAIT_CANCELLATION_COMPLETED;
type Acts = CloneActivities & ClusterActivities;

/** Metadata and short SQL steps: seconds, a few retries with backoff. They do not heartbeat, so a cancel waits for them to end. */
export const short = proxyActivities<
  Pick<
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
  >
>({
  startToCloseTimeout: '1 minute',
  cancellationType,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '20s', maximumAttempts: 5, nonRetryableErrorTypes },
});

/** TiUP runs (deploy, start, edit-config, reload, display, push): heartbeating, cancellable, hours at most. */
export const tiup = proxyActivities<
  Pick<
    Acts,
    'deployCluster' | 'startCluster' | 'modifyParameter' | 'refreshParameter' | 'failParameter' | 'copySourceConfig' | 'persistCluster' | 'collectLogConfig' | 'destroyTiupCluster'
  >
>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  cancellationType,
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 3, nonRetryableErrorTypes },
});

/** BR backup and restore: the data size sets the duration; BR's checkpoint makes retries resume. */
export const br = proxyActivities<Pick<Acts, 'backup' | 'restoreFromSrcCluster'>>({
  startToCloseTimeout: '48 hours',
  heartbeatTimeout: '1 minute',
  cancellationType,
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 5, nonRetryableErrorTypes },
});

/** Waits on the cluster (health, changefeed catch-up, another workflow's end): TiEM allowed 30 days. */
export const wait = proxyActivities<Pick<Acts, 'setClusterOnline' | 'waitChangefeedCatchUp' | 'waitWorkflowClosed'>>({
  startToCloseTimeout: '30 days',
  heartbeatTimeout: '1 minute',
  cancellationType,
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes },
});

/**
 * Compensation and end bookkeeping (run non-cancellable). A call makes a few quick attempts; for the
 * source (GC, changefeed, locks) `untilDone` repeats it without limit and shows the last error.
 */
export const cleanup = proxyActivities<
  Pick<Acts, 'endMaintenance' | 'setClusterFailure' | 'revertResourceAfterFailure' | 'recoverSourceClusterGCTime' | 'removeChangefeed'>
>({
  startToCloseTimeout: '2 minutes',
  cancellationType,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '15s', maximumAttempts: 4, nonRetryableErrorTypes },
});

/** Compensation that runs TiUP (destroy): heartbeats, so a dead worker is noticed within a minute. */
export const cleanupTool = proxyActivities<Pick<Acts, 'destroyCluster'>>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '1 minute',
  cancellationType,
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes },
});
