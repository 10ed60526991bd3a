// deleteCluster: TiEM's delete flow (reference §2.3 end, §3, §4) for a cluster we manage, e.g. a
// failed clone target.
//
//   [force, held by a running workflow: cancel it and wait for its compensation]
//   startMaintenance (Deleting; force overrides anything but another delete) → removeChangefeeds (INTO it)
//   → destroyCluster (tiup destroy --force when deployed) → revertResource → deleteClusterMeta → endMaintenance
//
// A failure after the lock clears it again (the cluster stays, with what is left of it) and fails.
// The `admission` update answers once the lock is taken (or, when a running holder must be
// cancelled first, once it was asked to stop), so the API answers DELETE synchronously.
import {
  ApplicationFailure,
  CancellationScope,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { ProgressTracker } from '../domain/progress.js';
import { activitiesForCluster, cleanup, short, tiup, wait } from './activity-options.js';
import { TiemClusterId } from './definitions.js';
import { describe, errorCodeOf, finalFailure } from './failures.js';
import { registerHandlers, stepRunner } from './handlers.js';
import * as v1 from './legacy/activity-options-v1.js';
import { PATCHES } from './patches.js';
import { untilDone } from './retry.js';

export interface DeleteClusterInput {
  clusterId: string;
  /** TiEM `force`: take `Deleting` over any other maintenance status (a running clone, …). */
  force?: boolean;
  /** Who holds the lock; default the workflow id (so a retried delete finds its own lock). */
  holder?: string;
}

export const DELETE_NODE_NAMES = ['startMaintenance', 'removeChangefeeds', 'destroyCluster', 'revertResource', 'deleteClusterMeta', 'endMaintenance'] as const;
type DeleteNodeName = (typeof DELETE_NODE_NAMES)[number];

export async function deleteCluster(input: DeleteClusterInput): Promise<{ clusterId: string; progress: ReturnType<ProgressTracker['snapshot']> }> {
  // Histories from before the patch keep their proxies (TRY_CANCEL) and their end.
  const settled = patched(PATCHES.settledUndo);
  const acts = settled ? { short, tiup, cleanup } : { short: v1.short, tiup: v1.tiup, cleanup: v1.short };
  const { workflowId } = workflowInfo();
  const clusterId = String(input?.clusterId ?? workflowId.replace(/^delete-/, ''));
  const holder = input?.holder || workflowId;
  const force = input?.force === true;
  // The clone's progress shape; `strategy` means nothing for a delete.
  const progress = new ProgressTracker({ workflowId, sourceClusterId: '', targetClusterId: clusterId, strategy: 'TopologyClone' }, DELETE_NODE_NAMES);
  const admission = registerHandlers(progress, { clusterId, workflowId });
  upsertSearchAttributes([{ key: TiemClusterId, value: clusterId }]);
  const step = stepRunner<DeleteNodeName>(progress);
  const releaseLock = () => acts.cleanup.endMaintenance({ holder, clusterIds: [clusterId] });
  let lockTried = false;

  try {
    if (!input || typeof input !== 'object' || typeof input.clusterId !== 'string' || !input.clusterId) {
      throw ApplicationFailure.create({
        type: 'PARAMETER_INVALID',
        message: 'workflow input must be {"clusterId": "…", "force"?: boolean}',
        nonRetryable: true,
        details: [{ code: 10001, httpStatus: 400 }],
      });
    }
    if (settled && force) await stopRunningHolder(clusterId, holder, progress, () => admission.accept());
    lockTried = true;
    await step('startMaintenance', () => acts.short.startDeleteMaintenance({ clusterId, holder, force }), (r) => [
      `cluster ${r.clusterId} (${r.name}) Deleting${r.replaced && r.replaced !== 'Deleting' ? `, replacing ${r.replaced} (force)` : ''}`,
    ]);
  } catch (err) {
    // The lock may have landed although the step failed (a lost completion): clear it, holder-checked.
    if (settled && lockTried) await CancellationScope.nonCancellable(() => untilDone(releaseLock, (e) => progress.compensating('startMaintenance', e)));
    progress.finish(isCancellation(err) ? 'Canceled' : 'Failed', { code: errorCodeOf(err), message: describe(err) });
    await CancellationScope.nonCancellable(() => admission.reject(err));
    throw finalFailure(err, []);
  }
  admission.accept();

  try {
    // TiCDC and TiUP are reached from the cluster's control host.
    const onCluster = settled ? (await activitiesForCluster(clusterId)).acts : acts;
    await step('removeChangefeeds', () => onCluster.short.clearCDCLinks({ clusterId }));
    await step('destroyCluster', () => onCluster.tiup.destroyTiupCluster({ clusterId }));
    await step('revertResource', () => acts.short.revertResource({ clusterId }));
    await step('deleteClusterMeta', () => acts.short.deleteClusterMeta({ clusterId }));
    await CancellationScope.nonCancellable(() =>
      step('endMaintenance', async () => {
        if (settled) await untilDone(releaseLock, (e) => progress.compensating('endMaintenance', e));
        else await releaseLock();
        return [`maintenance of ${clusterId} cleared`];
      }),
    );
  } catch (err) {
    // Compensation: clear our lock so the cluster can be handled (or deleted again) later.
    const errors: string[] = [];
    await CancellationScope.nonCancellable(async () => {
      try {
        if (settled) await untilDone(releaseLock, (e) => progress.compensating('startMaintenance', e));
        else await v1.undo.endMaintenance({ holder, clusterIds: [clusterId] });
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

/**
 * A forced delete never pulls hosts from under a running clone (its TiUP deploy would go on onto
 * them): the running workflow that holds the cluster is cancelled, and we wait until its
 * compensation has finished before taking the lock. Another delete is never cancelled (force
 * does not override `Deleting`).
 */
async function stopRunningHolder(clusterId: string, self: string, progress: ProgressTracker, accepted: () => void): Promise<void> {
  const held = await short.describeMaintenance({ clusterId });
  if (!held || !held.holder || held.holder === self || held.status === 'Deleting' || held.holderStatus !== 'RUNNING') return;
  progress.start('startMaintenance');
  progress.addLines('startMaintenance', [`cluster ${clusterId} is ${held.status} by running ${held.holder}: cancelling it and waiting for its compensation (force)`]);
  try {
    await getExternalWorkflowHandle(held.holder).cancel();
  } catch (err) {
    // It closed meanwhile: nothing to cancel, the wait below returns at once.
    progress.addLines('startMaintenance', [`cancel of ${held.holder} not delivered: ${describe(err)}`]);
  }
  // The API answers now; the lock follows once the holder has closed.
  accepted();
  const closed = await wait.waitWorkflowClosed({ workflowId: held.holder });
  progress.addLines('startMaintenance', [`${held.holder} closed (${closed.status})`]);
}
