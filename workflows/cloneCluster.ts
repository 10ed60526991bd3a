// cloneCluster: TiEM's clone flow as a DAG (spec §5.1) with a saga (spec §5.3).
//
//   startMaintenance → prepareResource
//   ├── source: modifySourceClusterGCTime → backupSourceCluster (child backupCluster)
//   └── target: buildConfig → deployCluster → … → adjustParameters (clone/steps.ts)
//   join → restoreCluster (child) → reconcileAccounts → syncIncrData (CDCSync)
//   end: recoverSourceClusterGCTime · persistCluster · endMaintenance · asyncBuildLog (abandoned child)
//
// Undos, registered before their step and run newest first, each after its step settled:
//   syncIncrData → removeChangefeed · modifySourceClusterGCTime → release the GC hold (the source
//   first, both without limit) · target → keep / destroy / release (CloneTarget) · locks → endMaintenance.
import { CancellationScope, isCancellation, patched, setHandler, upsertSearchAttributes, workflowInfo, ApplicationFailure } from '@temporalio/workflow';
import { CLONE_STRATEGIES, type CloneClusterInput, type CloneClusterRequest, type CloneResult, type CloneStrategy } from '../domain/types.js';
import { allocationRequestIdOf } from '../domain/ids.js';
import { ProgressTracker, type CloneNodeName } from '../domain/progress.js';
import { validateCloneRequestShape } from '../domain/validation.js';
import { activitiesForCluster, cleanup } from './activity-options.js';
import { backUpSource, deployTarget, endClone, inParallel, restoreTarget, syncIncrData, type CloneRun } from './clone/steps.js';
import { CloneTarget, SourceGcHold } from './clone/state.js';
import { TiemCloneStrategy, TiemClusterId, TiemSourceClusterId, brProgressSignal } from './definitions.js';
import { check, describe, errorCodeOf, finalFailure, throwIfCancelled } from './failures.js';
import { registerHandlers, stepRunner } from './handlers.js';
import { cloneClusterV1 } from './legacy/cloneCluster-v1.js';
import { PATCHES } from './patches.js';
import { Saga } from './saga.js';

export async function cloneCluster(input: CloneClusterInput): Promise<CloneResult> {
  if (!patched(PATCHES.settledUndo)) return cloneClusterV1(input);
  const { workflowId } = workflowInfo();
  if (!input || typeof input !== 'object') throw ApplicationFailure.nonRetryable('workflow input must be {"request": {…}}', 'MARSHAL_ERROR');
  const targetClusterId = input.targetClusterId ?? workflowId.replace(/^clone-/, '');
  // The progress query answers even for a request that fails validation.
  const raw = (input.request ?? {}) as Partial<CloneClusterRequest>;
  const strategyOf = CLONE_STRATEGIES.includes(raw.cloneStrategy as CloneStrategy) ? (raw.cloneStrategy as CloneStrategy) : 'Snapshot';
  const progress = new ProgressTracker({ workflowId, sourceClusterId: String(raw.sourceClusterId ?? ''), targetClusterId, strategy: strategyOf });
  const admission = registerHandlers(progress, { clusterId: targetClusterId, workflowId });
  let request: CloneClusterRequest;
  try {
    request = check(() => validateCloneRequestShape(input.request));
  } catch (err) {
    progress.finish('Failed', { code: errorCodeOf(err), message: describe(err) });
    await admission.reject(err);
    throw err;
  }
  const { dbPassword, ...publicRequest } = request;
  const { sourceClusterId, cloneStrategy: strategy } = request;
  setHandler(brProgressSignal, ({ node, progress: p }) => progress.setBr(node, p));
  upsertSearchAttributes([
    { key: TiemClusterId, value: targetClusterId },
    { key: TiemSourceClusterId, value: sourceClusterId },
    { key: TiemCloneStrategy, value: strategy },
  ]);

  const holder = workflowId;
  const step = stepRunner<CloneNodeName>(progress);
  const saga = new Saga(progress);
  // Holder-checked: safe before the lock exists, and it never clears another clone's lock.
  const locks = [sourceClusterId, targetClusterId];
  saga.add('startMaintenance', async () => (await cleanup.endMaintenance({ holder, clusterIds: locks }), ['maintenance held by this clone released']), { untilDone: true });
  try {
    // The source's control host runs everything that reaches a cluster; the target is bound to it.
    const { acts, controlQueue } = await activitiesForCluster(sourceClusterId);
    const c: CloneRun = { workflowId, holder, sourceClusterId, targetClusterId, strategy, request: publicRequest, options: input.options ?? {}, progress, step, saga, acts, controlQueue };
    const gc = new SourceGcHold({ sourceClusterId, holder }, progress, step, acts);
    const target = new CloneTarget({ targetClusterId, allocationRequestId: allocationRequestIdOf(holder) }, c.options.destroyOnFailure ?? false, progress, acts);

    const admitted = await step('startMaintenance', () => acts.short.startMaintenance({ holder, targetClusterId, request: publicRequest }), (a) => [
      `source ${a.source.id} BeingCloned, target ${a.target.id} (${a.target.name}) Cloning`,
    ]);
    admission.accept();
    // Only now is the target row ours: a refused admission must not touch a cluster it names.
    saga.add('prepareResource', () => target.undo());
    await step('prepareResource', () => acts.short.prepareResource({ holder, targetClusterId, request: publicRequest, target: admitted.target }), (r) => r.resultLines);

    const branches = await inParallel(
      () => backUpSource(c, gc),
      () => deployTarget(c, target, admitted, dbPassword),
    );
    if (!branches.ok) {
      if (branches.branch === 0 && !isCancellation(branches.error)) target.collateral();
      throw branches.error;
    }
    const [backup] = branches.values;
    const restoredTs = backup ? await restoreTarget(c, backup) : undefined;
    const changefeedId = strategy === 'CDCSync' && backup ? await syncIncrData(c, backup, gc) : undefined;

    // The commit point. A cancel that landed during the last forward step still counts; from here on
    // neither a cancellation nor a failing bookkeeping step may undo the clone.
    throwIfCancelled();
    saga.disarm();
    await CancellationScope.nonCancellable(() => step('end', () => endClone(c, gc)));
    progress.finish('Finished');
    return { clusterId: targetClusterId, sourceClusterId, strategy, backupId: backup?.backupId, backupTs: backup?.backupTs, restoredTs, changefeedId, progress: progress.snapshot() };
  } catch (err) {
    const errors = await CancellationScope.nonCancellable(() => saga.compensate());
    progress.finish(isCancellation(err) ? 'Canceled' : 'Failed', { code: errorCodeOf(err), message: describe(err) });
    await CancellationScope.nonCancellable(() => admission.reject(err));
    throw finalFailure(err, errors);
  }
}
