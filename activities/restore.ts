// BR full restore of the clone backup into the target (inside the restoreCluster child).
import { brCompatibility } from '../domain/version.js';
import type { CloneActivities } from './types.js';
import type { ActivityDeps } from './deps.js';
import { requireBackupRecord } from './backup.js';
import { clusterTls, connectWithAnyPassword, pdAddress, requireCluster, tidbEndpoint } from './cluster-access.js';
import { BrProgressReporter, runWithHeartbeat } from './heartbeat.js';

type RestoreActivities = Pick<CloneActivities, 'restoreFromSrcCluster'>;

export function createRestoreActivities(deps: ActivityDeps): RestoreActivities {
  return {
    // Idempotent: a finished BR restore is recorded (restore_records) at once and never run again; an
    // interrupted one re-runs the same BR command with the same storage, which BR's checkpoint resumes.
    async restoreFromSrcCluster({ targetClusterId, backupId, report }) {
      const record = await requireBackupRecord(deps, backupId);
      const target = await requireCluster(deps, targetClusterId);
      const source = await deps.store.getCluster(record.clusterId);
      // Across the v7.5 privilege-table change BR restores user data only; reconcileAccounts sets the accounts.
      const compatibility = source ? brCompatibility(source.version, target.version) : undefined;
      const withSysTable = compatibility?.ok ? compatibility.withSysTable : undefined;
      let done = await deps.store.getRestoreRecord(targetClusterId, backupId);
      if (!done) {
        // BR reports percent only; the record's size turns it into bytes for the progress query.
        const reporter = new BrProgressReporter(deps, report, record.size > 0 ? record.size : undefined);
        const result = await runWithHeartbeat(
          'Full Restore',
          (opts) =>
            deps.br.restoreFull({
              ...opts,
              version: target.version,
              pd: pdAddress(target),
              storage: record.filePath,
              tls: clusterTls(deps, target),
              withSysTable,
              onProgress: (p) => reporter.onProgress(p),
            }),
          () => reporter.latest,
        );
        // Recorded before anything else can fail or hang (the last progress signals below): from here
        // on a retry must not run BR again (it would refuse the non-empty target).
        done = { clusterId: targetClusterId, backupId, backupTso: result.backupTs, restoredTso: '', size: result.sizeBytes, finishedAt: new Date().toISOString() };
        await deps.store.recordRestore(done);
        await reporter.flush();
      }
      if (done.restoredTso) return { backupTs: done.backupTso, sizeBytes: done.size, restoredTs: done.restoredTso };
      // Nothing else writes to the target yet (the changefeed comes later): this TSO marks the restored state.
      // After a sys-table restore (BR ≥ v7.6) root has the source's password until reconcileAccounts.
      const passwords = await Promise.all([targetClusterId, record.clusterId].map((id) => deps.store.getClusterUser(id, 'root')));
      const session = await connectWithAnyPassword(deps, tidbEndpoint(deps, target), 'root', [...passwords.map((u) => u?.password), '']);
      let restoredTs: string;
      try {
        restoredTs = await session.currentTso();
      } finally {
        await session.close().catch(() => undefined);
      }
      await deps.store.recordRestore({ ...done, restoredTso: restoredTs });
      return { backupTs: done.backupTso, sizeBytes: done.size, restoredTs };
    },
  };
}
