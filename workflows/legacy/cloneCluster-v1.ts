// Frozen: cloneCluster as it ran before the `settled-undo` patch (workflows/patches.ts). The
// workflow function calls this for histories without that patch marker, so clones started by
// an older worker replay and finish unchanged. Do not edit; remove once none runs.
//
// cloneCluster: TiEM's clone flow as a DAG (spec §5.1) with a saga (spec §5.3).
//
//   startMaintenance → prepareResource
//   ├── source: modifySourceClusterGCTime → backupSourceCluster (child backupCluster)
//   └── target: buildConfig → deployCluster → syncConnectionKey → syncTopology → startCluster
//               → setClusterOnline → initRootAccount → initAccount → persistCluster
//               → applyParameterGroup (child) → syncBackupStrategy → syncParameters (child)
//               → adjustParameters (child)
//   join → restoreCluster (child) → reconcileAccounts → syncIncrData (CDCSync)
//   end: recoverSourceClusterGCTime · persistCluster · endMaintenance · asyncBuildLog (abandoned child)
//
// Undo registered before each forward step, run newest first, non-cancellable:
//   startMaintenance → endMaintenance + setClusterFailure  | prepareResource → revertResourceAfterFailure
//   modifySourceClusterGCTime → recoverSourceClusterGCTime | deployCluster → keep (failAfterDeploy) or destroy
//   syncIncrData → removeChangefeed
import {
  ApplicationFailure,
  CancellationScope,
  log,
  ParentClosePolicy,
  executeChild,
  isCancellation,
  setHandler,
  startChild,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
  ChildWorkflowCancellationType,
} from '@temporalio/workflow';
import type { BackupStarted, BrRunOutcome, ModifyParametersInput } from '../../activities/types.js';
import { parseGoDuration } from '../../domain/go-duration.js';
import { ProgressTracker } from '../../domain/progress.js';
import { CLONE_STRATEGIES, type CloneClusterInput, type CloneClusterRequest, type CloneResult, type CloneStrategy } from '../../domain/types.js';
import { validateCloneRequestShape } from '../../domain/validation.js';
import { short, tiup, undo, wait } from './activity-options-v1.js';
import { backupCluster, buildLogConfig, modifyParameters, restoreCluster } from '../children.js';
import { TiemCloneStrategy, TiemClusterId, TiemSourceClusterId, brProgressSignal, workflowIds } from '../definitions.js';
import { check, describe, errorCodeOf, finalFailure } from '../failures.js';
import { registerHandlers, stepRunner } from '../handlers.js';
import { Saga } from '../saga.js';

export async function cloneClusterV1(input: CloneClusterInput): Promise<CloneResult> {
  const { workflowId } = workflowInfo();
  if (!input || typeof input !== 'object') throw ApplicationFailure.nonRetryable('workflow input must be {"request": {…}}', 'MARSHAL_ERROR');
  const targetClusterId = input.targetClusterId ?? workflowId.replace(/^clone-/, '');
  const holder = workflowId;
  const options = input.options ?? {};
  // The progress query answers even for a request that fails validation.
  const raw = (input.request ?? {}) as Partial<CloneClusterRequest>;
  const progress = new ProgressTracker({
    workflowId,
    sourceClusterId: String(raw.sourceClusterId ?? ''),
    targetClusterId,
    strategy: CLONE_STRATEGIES.includes(raw.cloneStrategy as CloneStrategy) ? (raw.cloneStrategy as CloneStrategy) : 'Snapshot',
  });
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
  const strategy = request.cloneStrategy;
  const sourceClusterId = request.sourceClusterId;
  setHandler(brProgressSignal, ({ node, progress: p }) => progress.setBr(node, p));
  upsertSearchAttributes([
    { key: TiemClusterId, value: targetClusterId },
    { key: TiemSourceClusterId, value: sourceClusterId },
    { key: TiemCloneStrategy, value: strategy },
  ]);

  const step = stepRunner(progress);

  const saga = new Saga(progress);
  let gcOriginal: string | undefined; // saved once, before the change; never overwritten by a retry
  let gcRestored = false;
  let deployStarted = false;
  // A target that failed itself is kept for inspection (failAfterDeploy); one that is only
  // collateral of a failed backup has nothing worth inspecting and is destroyed.
  let destroyTarget = options.destroyOnFailure ?? false;
  let targetDestroyed = false;
  let backup: (BackupStarted & BrRunOutcome) | undefined;
  let changefeedId: string | undefined;
  let restoredTs: string | undefined;

  /** Puts the saved original back, once. Compensation passes the undo proxy (more patience). */
  async function recoverSourceGc(acts: typeof short = short): Promise<void> {
    if (gcOriginal === undefined || gcRestored) return;
    const original = gcOriginal;
    await step('recoverSourceClusterGCTime', () => acts.recoverSourceClusterGCTime({ sourceClusterId, gcLifeTime: original }), () => [
      `tidb_gc_life_time restored to ${original}`,
    ]);
    gcRestored = true;
  }

  async function runModifyParameters(purpose: ModifyParametersInput['purpose'], params: ModifyParametersInput): Promise<string[]> {
    await executeChild(modifyParameters, {
      workflowId: workflowIds.modifyParameters(targetClusterId, purpose),
      args: [params],
      cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
    });
    return [`${params.params.length} parameter(s) ${params.mode === 'apply' ? 'applied' : 'updated'}${params.reboot ? ', reloaded' : ''}`];
  }

  const sourceBranch = async (): Promise<void> => {
    if (strategy === 'TopologyClone') return;
    await step('modifySourceClusterGCTime', async () => {
      gcOriginal ??= await short.readSourceClusterGCTime({ sourceClusterId });
      saga.add('modifySourceClusterGCTime', () => recoverSourceGc(undo));
      // '' → the worker's configured clone value (TiEM: 720h); never shortens a longer one.
      const held = await short.modifySourceClusterGCTime({ sourceClusterId, gcLifeTime: '' });
      return [`tidb_gc_life_time ${gcOriginal} → ${held}`];
    });
    const backupId = uuid4();
    backup = await step(
      'backupSourceCluster',
      async () => {
        const started = await short.backupSourceCluster({ sourceClusterId, backupId });
        const outcome = await executeChild(backupCluster, {
          workflowId: workflowIds.backup(backupId),
          args: [{ backupId, report: { workflowId, node: 'backupSourceCluster' as const } }],
          cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
        });
        return { ...started, ...outcome };
      },
      (b) => [`do backup for source cluster ${sourceClusterId}, backup mode: manual`, `backup ${b.backupId}: BackupTS ${b.backupTs}, ${b.sizeBytes} bytes`],
    );
    // Snapshot needs no history after the backup: BR's own safepoint covered it.
    if (strategy === 'Snapshot') await recoverSourceGc();
  };

  const targetBranch = async (): Promise<void> => {
    const { topologyYaml } = await step('buildConfig', () => short.buildConfig({ targetClusterId, sourceClusterId }), () => ['topology rendered']);
    deployStarted = true;
    saga.add('deployCluster', async () => {
      if (!destroyTarget) return { kept: `target ${targetClusterId} kept for inspection (failAfterDeploy)` };
      const lines = await undo.destroyCluster({ targetClusterId });
      targetDestroyed = true;
      return lines;
    });
    await step('deployCluster', () => tiup.deployCluster({ targetClusterId, version: request.clusterVersion, topologyYaml }));
    await step('syncConnectionKey', () => short.syncConnectionKey({ targetClusterId }));
    await step('syncTopology', () => short.syncTopology({ targetClusterId }));
    await step('startCluster', () => tiup.startCluster({ targetClusterId }));
    await step('setClusterOnline', () => wait.setClusterOnline({ targetClusterId }));
    await step('initRootAccount', () => short.initRootAccount({ targetClusterId, password: dbPassword }));
    await step('initAccount', () => short.initAccount({ targetClusterId }));
    await step('persistCluster', () => short.persistCluster({ targetClusterId }));
    await step('applyParameterGroup', async () =>
      runModifyParameters('applyParameterGroup', await short.applyParameterGroup({ targetClusterId, parameterGroupId: admitted.target.parameterGroupId })),
    );
    await step('syncBackupStrategy', () => short.syncBackupStrategy({ sourceClusterId, targetClusterId }));
    if (admitted.source.version === request.clusterVersion) {
      await step('syncParameters', async () => {
        const params = await short.syncParameters({ sourceClusterId, targetClusterId });
        return params.params.length ? runModifyParameters('syncParameters', params) : ['no parameter to sync'];
      });
    } else {
      progress.skip('syncParameters', `target version ${request.clusterVersion} differs from source version ${admitted.source.version}`);
    }
    await step('adjustParameters', async () =>
      runModifyParameters('adjustParameters', await short.adjustParameters({ targetClusterId, copies: admitted.target.copies })),
    );
  };

  // Registered before startMaintenance: safe when nothing was created (holder-checked).
  saga.add('startMaintenance', async () => {
    await undo.endMaintenance({ holder, clusterIds: [sourceClusterId, targetClusterId] });
    return ['maintenance held by this clone released'];
  }, { id: 'endMaintenance' });
  let admitted: Awaited<ReturnType<typeof short.startMaintenance>>;
  try {
    admitted = await step('startMaintenance', () => short.startMaintenance({ holder, targetClusterId, request: publicRequest }), (a) => [
      `source ${a.source.id} BeingCloned, target ${a.target.id} (${a.target.name}) Cloning`,
    ]);
    admission.accept();
    // Only now is the target row ours: a refused admission must not touch a cluster it names.
    saga.add('startMaintenance', async () => {
      await undo.setClusterFailure({ targetClusterId });
      return ['target status Failure'];
    }, { id: 'setClusterFailure' });

    // Hosts of a deployed target are released only once TiUP destroyed it.
    saga.add('prepareResource', async () =>
      deployStarted && !targetDestroyed
        ? { kept: 'resources kept with the deployed target (failAfterDeploy)' }
        : [await undo.revertResourceAfterFailure({ allocationRequestId: `${holder}/prepareResource` })],
    );
    await step('prepareResource', () => short.prepareResource({ holder, targetClusterId, request: publicRequest, target: admitted.target }), (r) => r.resultLines);

    const failed = await runBranches(sourceBranch, targetBranch);
    if (failed) {
      // The backup failed first: the target is a fresh, empty cluster with nothing to inspect.
      if (failed.branch === 0 && !isCancellation(failed.error)) destroyTarget = true;
      throw failed.error;
    }

    if (backup) {
      const b = backup;
      await step('restoreCluster', async () => {
        const r = await executeChild(restoreCluster, {
          workflowId: workflowIds.restore(targetClusterId, b.backupId),
          args: [{ targetClusterId, backupId: b.backupId, report: { workflowId, node: 'restoreCluster' as const } }],
          cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
        });
        restoredTs = r.restoredTs;
        return [`restore backup ${b.backupId} (BackupTS ${r.backupTs}) into ${targetClusterId}`];
      });
      await step('reconcileAccounts', () => short.reconcileAccounts({ targetClusterId, sourceClusterId }));
    }

    if (strategy === 'CDCSync' && backup) {
      const b = backup;
      const id = workflowIds.changefeed(targetClusterId);
      await step('syncIncrData', async () => {
        saga.add('syncIncrData', async () => [await undo.removeChangefeed({ sourceClusterId, targetClusterId, changefeedId: id })]);
        const cf = await short.syncIncrData({ sourceClusterId, targetClusterId, backupId: b.backupId, changefeedId: id });
        changefeedId = cf.changefeedId;
        progress.addLines('syncIncrData', cf.resultLines);
        // TiCDC's service safepoint now protects the start point: the source needs no extra history.
        await recoverSourceGc();
        const thresholdMs = options.cdcLagThresholdMs ?? parseGoDuration(gcOriginal ?? '10m0s') / 2;
        const caughtUp = await wait.waitChangefeedCatchUp({ changefeedId: cf.changefeedId, sourceClusterId, cdcServer: cf.cdcServer, thresholdMs });
        return caughtUp.resultLines;
      });
    }

    // The clone is complete: neither a cancellation nor a failing bookkeeping step may undo it, and
    // the end steps get the patient retry policy of cleanup.
    saga.disarm();
    await CancellationScope.nonCancellable(() =>
      step('end', async () => {
        await recoverSourceGc(undo);
        await undo.persistCluster({ targetClusterId });
        await undo.endMaintenance({ holder, clusterIds: [sourceClusterId, targetClusterId] });
        try {
          await startChild(buildLogConfig, {
            workflowId: workflowIds.buildLogConfig(targetClusterId),
            args: [{ clusterId: targetClusterId }],
            parentClosePolicy: ParentClosePolicy.ABANDON,
          });
          return ['cluster persisted, maintenance ended, log collection started'];
        } catch (err) {
          // asyncBuildLog never affects the clone (TiEM: errors ignored).
          log.warn('asyncBuildLog not started', { error: describe(err) });
          return ['cluster persisted, maintenance ended', `log collection not started: ${describe(err)}`];
        }
      }),
    );
  } catch (err) {
    const errors = await CancellationScope.nonCancellable(() => saga.compensate());
    const code = errorCodeOf(err);
    progress.finish(isCancellation(err) ? 'Canceled' : 'Failed', { code, message: describe(err) });
    await CancellationScope.nonCancellable(() => admission.reject(err));
    throw finalFailure(err, errors);
  }

  progress.finish('Finished');
  return {
    clusterId: targetClusterId,
    sourceClusterId,
    strategy,
    backupId: backup?.backupId,
    backupTs: backup?.backupTs,
    restoredTs,
    changefeedId,
    progress: progress.snapshot(),
  };
}

/**
 * Runs the branches at once; the first failure cancels the others, and all settle before we go
 * on. Returns the original failure (not the cancellations it caused) and its branch index.
 */
async function runBranches(...branches: (() => Promise<void>)[]): Promise<{ branch: number; error: unknown } | undefined> {
  const scope = new CancellationScope();
  let first: { branch: number; error: unknown } | undefined;
  await scope.run(() =>
    Promise.allSettled(
      branches.map((b, branch) =>
        b().catch((error) => {
          first ??= { branch, error };
          scope.cancel();
          throw error;
        }),
      ),
    ),
  );
  return first;
}
