// Frozen: the activity proxies of clones started before the `settled-undo` patch (TRY_CANCEL on
// short activities). Replaying those histories needs exactly these options; delete this file
// with cloneCluster-v1.ts once no such clone runs (then deprecatePatch, then remove the patch).
import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { CloneActivities, ClusterActivities } from '../../activities/types.js';
import { NON_RETRYABLE_ERROR_TYPES } from '../../domain/errors.js';

const nonRetryableErrorTypes = [...NON_RETRYABLE_ERROR_TYPES];

/** Metadata and short SQL steps: seconds, a few retries with backoff. */
export const short = proxyActivities<CloneActivities & ClusterActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '20s', maximumAttempts: 5, nonRetryableErrorTypes },
});

/** TiUP runs (deploy, start, reload, destroy): heartbeating, cancellable, hours at most. */
export const tiup = proxyActivities<CloneActivities & ClusterActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 3, nonRetryableErrorTypes },
});

/** BR backup and restore: the data size sets the duration; BR's checkpoint makes retries resume. */
export const br = proxyActivities<CloneActivities & ClusterActivities>({
  startToCloseTimeout: '48 hours',
  heartbeatTimeout: '1 minute',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 5, nonRetryableErrorTypes },
});

/** Waits on the cluster (health, changefeed catch-up): TiEM allowed 30 days. */
export const wait = proxyActivities<CloneActivities & ClusterActivities>({
  startToCloseTimeout: '30 days',
  heartbeatTimeout: '1 minute',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes },
});

/** Compensation steps: must eventually succeed, so more attempts; they run non-cancellable. */
export const undo = proxyActivities<CloneActivities & ClusterActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes },
});
