// deleteCluster: TiEM's delete flow (reference §2.3 end, §3, §4) for a cluster we manage, e.g. a
// failed clone target.
//
//   startMaintenance (Deleting; force overrides anything but another delete) → removeChangefeeds (INTO it)
//   → destroyCluster (tiup destroy --force when deployed) → revertResource → deleteClusterMeta → endMaintenance
//
// A failure after the lock clears it again (the cluster stays, with what is left of it) and fails.
// The `admission` update answers once the lock is taken, so the API answers DELETE synchronously.
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { CloneActivities, ClusterActivities } from '../activities/types.js';
import { NON_RETRYABLE_ERROR_TYPES } from '../domain/errors.js';
import { ProgressTracker } from '../domain/progress.js';
import { TiemClusterId } from './definitions.js';
import { describe, errorCodeOf, finalFailure } from './failures.js';
import { registerHandlers, stepRunner } from './handlers.js';

export interface DeleteClusterInput {
  clusterId: string;
  /** TiEM `force`: take `Deleting` over any other maintenance status (a running clone, …). */
  force?: boolean;
  /** Who holds the lock; default the workflow id (so a retried delete finds its own lock). */
  holder?: string;
}

export const DELETE_NODE_NAMES = ['startMaintenance', 'removeChangefeeds', 'destroyCluster', 'revertResource', 'deleteClusterMeta', 'endMaintenance'] as const;

const nonRetryableErrorTypes = [...NON_RETRYABLE_ERROR_TYPES];
type Acts = CloneActivities & ClusterActivities;

/** Metadata steps and the TiCDC calls: seconds, a few retries. */
const short = proxyActivities<Acts>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '20s', maximumAttempts: 5, nonRetryableErrorTypes },
});

/** `tiup cluster destroy`: heartbeating and cancellable. */
const tiup = proxyActivities<Acts>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '1 minute',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 3, nonRetryableErrorTypes },
});

/** Clearing the lock on failure must eventually succeed. */
const undo = proxyActivities<Acts>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes },
});

export async function deleteCluster(input: DeleteClusterInput): Promise<{ clusterId: string; progress: ReturnType<ProgressTracker['snapshot']> }> {
  const { workflowId } = workflowInfo();
  const clusterId = String(input?.clusterId ?? workflowId.replace(/^delete-/, ''));
  const holder = input?.holder || workflowId;
  const force = input?.force === true;
  // The clone's progress shape; `strategy` means nothing for a delete.
  const progress = new ProgressTracker({ workflowId, sourceClusterId: '', targetClusterId: clusterId, strategy: 'TopologyClone' }, DELETE_NODE_NAMES);
  const admission = registerHandlers(progress, { clusterId, workflowId });
  upsertSearchAttributes([{ key: TiemClusterId, value: clusterId }]);
  const step = stepRunner(progress);

  try {
    if (!input || typeof input !== 'object' || typeof input.clusterId !== 'string' || !input.clusterId) {
      throw ApplicationFailure.create({
        type: 'PARAMETER_INVALID',
        message: 'workflow input must be {"clusterId": "…", "force"?: boolean}',
        nonRetryable: true,
        details: [{ code: 10001, httpStatus: 400 }],
      });
    }
    await step('startMaintenance', () => short.startDeleteMaintenance({ clusterId, holder, force }), (r) => [
      `cluster ${r.clusterId} (${r.name}) Deleting${r.replaced && r.replaced !== 'Deleting' ? `, replacing ${r.replaced} (force)` : ''}`,
    ]);
  } catch (err) {
    progress.finish('Failed', { code: errorCodeOf(err), message: describe(err) });
    await admission.reject(err);
    throw finalFailure(err, []);
  }
  admission.accept();

  try {
    await step('removeChangefeeds', () => short.clearCDCLinks({ clusterId }));
    await step('destroyCluster', () => tiup.destroyTiupCluster({ clusterId }));
    await step('revertResource', () => short.revertResource({ clusterId }));
    await step('deleteClusterMeta', () => short.deleteClusterMeta({ clusterId }));
    await CancellationScope.nonCancellable(() =>
      step('endMaintenance', async () => {
        await short.endMaintenance({ holder, clusterIds: [clusterId] });
        return [`maintenance of ${clusterId} cleared`];
      }),
    );
  } catch (err) {
    // Compensation: clear our lock so the cluster can be handled (or deleted again) later.
    const errors: string[] = [];
    await CancellationScope.nonCancellable(async () => {
      try {
        await undo.endMaintenance({ holder, clusterIds: [clusterId] });
        progress.compensated('startMaintenance', [`maintenance Deleting of ${clusterId} cleared`]);
      } catch (undoErr) {
        const msg = `endMaintenance: ${describe(undoErr)}`;
        errors.push(msg);
        progress.compensationError(msg);
      }
    });
    progress.finish(isCancellation(err) ? 'Canceled' : 'Failed', { code: errorCodeOf(err), message: describe(err) });
    throw finalFailure(err, errors);
  }
  progress.finish('Finished');
  return { clusterId, progress: progress.snapshot() };
}
