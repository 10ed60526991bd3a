// Child workflows awaited by cloneCluster: TiEM's wait nodes (waitBackup, waitSyncParam,
// waitRestore) and asyncBuildLog become these.
import { CancellationScope, log, patched } from '@temporalio/workflow';
import type { BrRunOutcome, ModifyParametersInput, ProgressReport } from '../activities/types.js';
import { br, controlHostActivities, short, tiup } from './activity-options.js';
import { describe } from './failures.js';
import * as v1 from './legacy/activity-options-v1.js';
import { PATCHES } from './patches.js';

/** Where a child's cluster activities go: the parent's control-host queue (absent in runs from before routing). */
interface Routed {
  controlQueue?: string;
}

/** The proxies of this execution: histories from before the patch keep their cancellation types. */
function proxies({ controlQueue }: Routed) {
  if (controlQueue) return controlHostActivities(controlQueue);
  return patched(PATCHES.settledUndo) ? { short, tiup, br } : { short: v1.short, tiup: v1.tiup, br: v1.br };
}

/** TiEM BackupCluster: backup → updateBackupRecord; the record is marked Failed on any failure. */
export async function backupCluster(input: { backupId: string; report?: ProgressReport } & Routed): Promise<BrRunOutcome> {
  const acts = proxies(input);
  const { controlQueue: _queue, ...backup } = input;
  try {
    const outcome = await acts.br.backup(backup);
    await acts.short.updateBackupRecord({ backupId: input.backupId, status: 'Finished', outcome });
    return outcome;
  } catch (err) {
    try {
      await CancellationScope.nonCancellable(() => acts.short.updateBackupRecord({ backupId: input.backupId, status: 'Failed' }));
    } catch (markErr) {
      // The backup's own failure, and its code, is what the clone must report.
      if (!patched(PATCHES.settledUndo)) throw markErr;
      log.warn('backup record not marked Failed', { backupId: input.backupId, error: describe(markErr) });
    }
    throw err;
  }
}

/** TiEM RestoreExistCluster: restoreFromSrcCluster. */
export async function restoreCluster(input: { targetClusterId: string; backupId: string; report?: ProgressReport } & Routed): Promise<BrRunOutcome> {
  const { controlQueue: _queue, ...restore } = input;
  return proxies(input).br.restoreFromSrcCluster(restore);
}

/** TiEM ModifyParameters: validationParameter → modifyParameter → refreshParameter → persistParameter. */
export async function modifyParameters(routedInput: ModifyParametersInput & Routed): Promise<void> {
  const { controlQueue: _queue, ...input } = routedInput;
  const acts = proxies(routedInput);
  await acts.short.validationParameter(input);
  try {
    const { roles } = await acts.tiup.modifyParameter(input);
    if (roles.length) await acts.tiup.refreshParameter({ clusterId: input.clusterId, roles });
  } catch (err) {
    // TiEM's failParameter: a half-applied change is put back to the saved values, then it fails.
    // Only on this path: a successful run records exactly the commands it always did.
    if (patched(PATCHES.failParameter)) {
      try {
        const lines = await CancellationScope.nonCancellable(() => acts.tiup.failParameter(input));
        log.warn('parameter change failed; saved values re-applied', { clusterId: input.clusterId, lines });
      } catch (restoreErr) {
        log.warn('parameter change failed; re-applying the saved values failed too', { clusterId: input.clusterId, error: describe(restoreErr) });
      }
    }
    throw err;
  }
  await acts.short.persistParameter(input);
}

/** TiEM BuildLogConfig, started fire-and-forget (parent close policy ABANDON): its errors never affect the clone. */
export async function buildLogConfig(input: { clusterId: string } & Routed): Promise<void> {
  // A TiUP push per host: the tool-run class (heartbeats, hours), not a one-minute metadata step.
  await (input.controlQueue ? controlHostActivities(input.controlQueue).tiup : tiup).collectLogConfig({ clusterId: input.clusterId });
}
