// Child workflows awaited by cloneCluster: TiEM's wait nodes (waitBackup, waitSyncParam,
// waitRestore) and asyncBuildLog become these.
import { CancellationScope } from '@temporalio/workflow';
import type { BrRunOutcome, ModifyParametersInput, ProgressReport } from '../activities/types.js';
import { br, short, tiup } from './activity-options.js';

/** TiEM BackupCluster: backup → updateBackupRecord; the record is marked Failed on any failure. */
export async function backupCluster(input: { backupId: string; report?: ProgressReport }): Promise<BrRunOutcome> {
  try {
    const outcome = await br.backup(input);
    await short.updateBackupRecord({ backupId: input.backupId, status: 'Finished', outcome });
    return outcome;
  } catch (err) {
    await CancellationScope.nonCancellable(() => short.updateBackupRecord({ backupId: input.backupId, status: 'Failed' }));
    throw err;
  }
}

/** TiEM RestoreExistCluster: restoreFromSrcCluster. */
export async function restoreCluster(input: { targetClusterId: string; backupId: string; report?: ProgressReport }): Promise<BrRunOutcome> {
  return br.restoreFromSrcCluster(input);
}

/** TiEM ModifyParameters: validationParameter → modifyParameter → refreshParameter → persistParameter. */
export async function modifyParameters(input: ModifyParametersInput): Promise<void> {
  await short.validationParameter(input);
  const { roles } = await tiup.modifyParameter(input);
  if (roles.length) await tiup.refreshParameter({ clusterId: input.clusterId, roles });
  await short.persistParameter(input);
}

/** TiEM BuildLogConfig, started fire-and-forget (parent close policy ABANDON): its errors never affect the clone. */
export async function buildLogConfig(input: { clusterId: string }): Promise<void> {
  await short.collectLogConfig(input);
}
