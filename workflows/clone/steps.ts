// The clone's steps, grouped as the seed's workflow table groups them: the source branch, the
// target branch, the data steps after the join, and the end. Each returns what it produced;
// what an undo needs lives in the state objects (state.ts).
import { CancellationScope, ChildWorkflowCancellationType, executeChild, log, ParentClosePolicy, patched, startChild, uuid4 } from '@temporalio/workflow';
import type { AdmissionResult, BackupStarted, BrRunOutcome, ModifyParametersInput, PublicCloneRequest } from '../../activities/types.js';
import { TiemError } from '../../domain/errors.js';
import { parseGoDuration } from '../../domain/go-duration.js';
import type { CloneNodeName, ProgressTracker } from '../../domain/progress.js';
import type { CloneOptions, CloneStrategy } from '../../domain/types.js';
import type { ActivityProxies } from '../activity-options.js';
import { backupCluster, buildLogConfig, modifyParameters, restoreCluster } from '../children.js';
import { workflowIds } from '../definitions.js';
import { describe, throwIfCancelled, tiemFailure } from '../failures.js';
import { PATCHES } from '../patches.js';
import type { StepRunner } from '../handlers.js';
import { untilDone } from '../retry.js';
import type { Saga } from '../saga.js';
import type { CloneTarget, SourceGcHold } from './state.js';

/** One clone: who it is, what was asked, and where its progress and undos go. */
export interface CloneRun {
  workflowId: string;
  /** Holder of the locks, the GC hold and the allocation: the workflow id. */
  holder: string;
  sourceClusterId: string;
  targetClusterId: string;
  strategy: CloneStrategy;
  request: PublicCloneRequest;
  options: CloneOptions;
  progress: ProgressTracker;
  step: StepRunner<CloneNodeName>;
  saga: Saga;
  /** Its activities: those that reach a cluster on the source's control host, the rest on the shared queue. */
  acts: ActivityProxies;
  /** That control host's task queue, handed to the child workflows (absent: everything shared). */
  controlQueue?: string;
}

export type CloneBackup = BackupStarted & BrRunOutcome;

const settled = ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED;

/** The control host's queue for a child's activities; nothing at all for runs before routing (their inputs stay as recorded). */
const routing = (c: CloneRun): { controlQueue?: string } => (c.controlQueue ? { controlQueue: c.controlQueue } : {});

/** Source branch: hold GC → back up. Snapshot lets GC go right after (BR's own safepoint covered the backup). */
export async function backUpSource(c: CloneRun, gc: SourceGcHold): Promise<CloneBackup | undefined> {
  if (c.strategy === 'TopologyClone') return undefined;
  c.saga.add('modifySourceClusterGCTime', () => gc.release(), { untilDone: true });
  await c.step('modifySourceClusterGCTime', () => gc.hold());
  const backupId = uuid4();
  const backup = await c.step(
    'backupSourceCluster',
    async () => {
      const started = await c.acts.short.backupSourceCluster({ sourceClusterId: c.sourceClusterId, backupId });
      const outcome = await executeChild(backupCluster, {
        workflowId: workflowIds.backup(backupId),
        args: [{ backupId, report: { workflowId: c.workflowId, node: 'backupSourceCluster' as const }, ...routing(c) }],
        cancellationType: settled,
      });
      return { ...started, ...outcome };
    },
    (b) => [`do backup for source cluster ${c.sourceClusterId}, backup mode: manual`, `backup ${b.backupId}: BackupTS ${b.backupTs}, ${b.sizeBytes} bytes`],
  );
  if (c.strategy === 'Snapshot') await gc.releaseEarly();
  return backup;
}

async function runModifyParameters(c: CloneRun, params: ModifyParametersInput): Promise<string[]> {
  await executeChild(modifyParameters, {
    workflowId: workflowIds.modifyParameters(c.targetClusterId, params.purpose),
    args: [{ ...params, ...routing(c) }],
    cancellationType: settled,
  });
  return [`${params.params.length} parameter(s) ${params.mode === 'apply' ? 'applied' : 'updated'}${params.reboot ? ', reloaded' : ''}`];
}

/** Target branch: buildConfig → deploy → … → adjustParameters (seed table order). */
export async function deployTarget(c: CloneRun, target: CloneTarget, admitted: AdmissionResult, password: string): Promise<void> {
  const { targetClusterId, sourceClusterId, step } = c;
  const { topologyYaml } = await step('buildConfig', () => c.acts.short.buildConfig({ targetClusterId, sourceClusterId }), () => ['topology rendered']);
  // Cancelled while buildConfig ran: the deploy is never scheduled, so nothing is deployed to keep.
  throwIfCancelled();
  target.deploying();
  await step('deployCluster', () => c.acts.tiup.deployCluster({ targetClusterId, version: c.request.clusterVersion, topologyYaml }));
  await step('syncConnectionKey', () => c.acts.short.syncConnectionKey({ targetClusterId }));
  await step('syncTopology', () => c.acts.short.syncTopology({ targetClusterId }));
  await step('startCluster', () => c.acts.tiup.startCluster({ targetClusterId }));
  await step('setClusterOnline', () => c.acts.wait.setClusterOnline({ targetClusterId }));
  await step('initRootAccount', () => c.acts.short.initRootAccount({ targetClusterId, password }));
  await step('initAccount', () => c.acts.short.initAccount({ targetClusterId }));
  await step('persistCluster', () => c.acts.tiup.persistCluster({ targetClusterId }));
  await step('applyParameterGroup', async () =>
    runModifyParameters(c, await c.acts.short.applyParameterGroup({ targetClusterId, parameterGroupId: admitted.target.parameterGroupId })),
  );
  await step('syncBackupStrategy', () => c.acts.short.syncBackupStrategy({ sourceClusterId, targetClusterId }));
  const sameVersion = admitted.source.version === c.request.clusterVersion;
  if (patched(PATCHES.copySourceConfig)) {
    // The catalogue rows (same version), then the source's live configuration (what still exists, across versions).
    await step('syncParameters', async () => {
      const params = sameVersion ? await c.acts.short.syncParameters({ sourceClusterId, targetClusterId }) : undefined;
      const synced = params?.params.length ? await runModifyParameters(c, params) : [];
      return [...synced, ...(await c.acts.tiup.copySourceConfig({ sourceClusterId, targetClusterId, holder: c.holder }))];
    });
  } else if (sameVersion) {
    await step('syncParameters', async () => {
      const params = await c.acts.short.syncParameters({ sourceClusterId, targetClusterId });
      return params.params.length ? runModifyParameters(c, params) : ['no parameter to sync'];
    });
  } else {
    c.progress.skip('syncParameters', `target version ${c.request.clusterVersion} differs from source version ${admitted.source.version}`);
  }
  await step('adjustParameters', async () => runModifyParameters(c, await c.acts.short.adjustParameters({ targetClusterId, copies: admitted.target.copies })));
}

/** After the join: restore (child restoreCluster), then re-assert the accounts. Returns the target TSO right after BR. */
export async function restoreTarget(c: CloneRun, backup: CloneBackup): Promise<string | undefined> {
  const restored = await c.step('restoreCluster', async () => {
    const r = await executeChild(restoreCluster, {
      workflowId: workflowIds.restore(c.targetClusterId, backup.backupId),
      args: [{ targetClusterId: c.targetClusterId, backupId: backup.backupId, report: { workflowId: c.workflowId, node: 'restoreCluster' as const }, ...routing(c) }],
      cancellationType: settled,
    });
    return r;
  }, (r) => [`restore backup ${backup.backupId} (BackupTS ${r.backupTs}) into ${c.targetClusterId}`]);
  await c.step('reconcileAccounts', () => c.acts.short.reconcileAccounts({ targetClusterId: c.targetClusterId, sourceClusterId: c.sourceClusterId }));
  return restored.restoredTs;
}

/** CDCSync: changefeed from BackupTS; GC goes back once TiCDC's safepoint protects the start; wait for the lag. Returns the changefeed id. */
export async function syncIncrData(c: CloneRun, backup: CloneBackup, gc: SourceGcHold): Promise<string> {
  const { sourceClusterId, targetClusterId } = c;
  const changefeedId = workflowIds.changefeed(targetClusterId);
  c.saga.add('syncIncrData', async () => [await c.acts.cleanup.removeChangefeed({ sourceClusterId, targetClusterId, changefeedId })], { untilDone: true });
  await c.step('syncIncrData', async () => {
    const ignore = c.request.ignoreIneligibleTables ? { ignoreIneligibleTables: true } : {};
    const cf = await c.acts.short.syncIncrData({ sourceClusterId, targetClusterId, backupId: backup.backupId, changefeedId, ...ignore });
    c.progress.addLines('syncIncrData', cf.resultLines);
    await gc.releaseEarly();
    const thresholdMs = c.options.cdcLagThresholdMs ?? parseGoDuration(gc.original ?? '10m0s') / 2;
    const caughtUp = await c.acts.wait.waitChangefeedCatchUp({ changefeedId: cf.changefeedId, sourceClusterId, cdcServer: cf.cdcServer, thresholdMs });
    return caughtUp.resultLines;
  });
  return changefeedId;
}

/**
 * The end (non-cancellable, nothing is undone any more): the source's GC, the instance statuses,
 * the locks and log collection are independent — a failing one never keeps the others from
 * running, and the locks are always released. A failure is reported after all of them ran.
 */
export async function endClone(c: CloneRun, gc: SourceGcHold): Promise<string[]> {
  const { sourceClusterId, targetClusterId, holder, progress } = c;
  const lines: string[] = [];
  const failures: string[] = [];
  const retrying = (what: string) => (error: string, attempt: number) => progress.compensating('end', `${what}: ${error} (attempt ${attempt}, retrying)`);
  lines.push(...(await untilDone(() => gc.release(), retrying('recoverSourceClusterGCTime'))));
  try {
    await c.acts.tiup.persistCluster({ targetClusterId });
    lines.push('cluster persisted');
  } catch (err) {
    failures.push(`persistCluster: ${describe(err)}`);
  }
  await untilDone(() => c.acts.cleanup.endMaintenance({ holder, clusterIds: [sourceClusterId, targetClusterId] }), retrying('endMaintenance'));
  lines.push('maintenance ended');
  try {
    await startChild(buildLogConfig, {
      workflowId: workflowIds.buildLogConfig(targetClusterId),
      args: [{ clusterId: targetClusterId, ...routing(c) }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    lines.push('log collection started');
  } catch (err) {
    // asyncBuildLog never affects the clone (TiEM: errors ignored).
    log.warn('asyncBuildLog not started', { error: describe(err) });
    lines.push(`log collection not started: ${describe(err)}`);
  }
  if (failures.length) {
    progress.addLines('end', lines);
    throw tiemFailure(new TiemError('TASK_FAILED', failures.join('; ')));
  }
  return lines;
}

/**
 * Runs the branches at once; the first failure cancels the others, and all settle before we go
 * on. Returns each branch's value, or the original failure (not the cancellations it caused) and
 * its branch index.
 */
export async function inParallel<A, B>(
  a: () => Promise<A>,
  b: () => Promise<B>,
): Promise<{ ok: true; values: [A, B] } | { ok: false; branch: 0 | 1; error: unknown }> {
  const scope = new CancellationScope();
  let first: { branch: 0 | 1; error: unknown } | undefined;
  const guard = <T>(branch: 0 | 1, fn: () => Promise<T>) =>
    fn().catch((error: unknown) => {
      first ??= { branch, error };
      scope.cancel();
      throw error;
    });
  const [ra, rb] = await scope.run(() => Promise.allSettled([guard(0, a), guard(1, b)]));
  if (first) return { ok: false, ...first };
  return { ok: true, values: [(ra as PromiseFulfilledResult<A>).value, (rb as PromiseFulfilledResult<B>).value] };
}
