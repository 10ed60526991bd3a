// BR full backup of the source: the record (backupSourceCluster), the BR run (backup, inside the
// backupCluster child) and the record's final state (updateBackupRecord).
import { TiemError } from '../domain/errors.js';
import type { BackupRecord } from '../metadata/types.js';
import type { CloneActivities } from './types.js';
import { isToolError, toolText } from './errors.js';
import type { ActivityDeps } from './deps.js';
import { clusterTls, pdAddress, requireCluster } from './cluster-access.js';
import { BrProgressReporter, heartbeat, runWithHeartbeat } from './heartbeat.js';

type BackupActivities = Pick<CloneActivities, 'backupSourceCluster' | 'backup' | 'updateBackupRecord'>;

/** `<base>/<sourceId>/<backupId>`, keeping a query string (S3 endpoint options) at the end. */
export function backupStorageOf(base: string, sourceClusterId: string, backupId: string): string {
  const q = base.indexOf('?');
  const path = (q < 0 ? base : base.slice(0, q)).replace(/\/+$/, '');
  const query = q < 0 ? '' : base.slice(q);
  return `${path}/${sourceClusterId}/${backupId}${query}`;
}

/** `…/b1` → `…/b1-retry-2` → `…/b1-retry-3` (query string kept at the end). */
export function nextBackupStorage(storage: string): string {
  const q = storage.indexOf('?');
  const path = q < 0 ? storage : storage.slice(0, q);
  const query = q < 0 ? '' : storage.slice(q);
  const m = /^(.*)-retry-(\d+)$/.exec(path);
  return m ? `${m[1]}-retry-${Number(m[2]) + 1}${query}` : `${path}-retry-2${query}`;
}

/**
 * BR before v6.5 cannot resume a backup: the unfinished run's `backup.lock` (and SST files) make it
 * refuse the path (br/pkg/backup/client.go CheckBackupStorageIsLocked).
 */
function isLockedStorage(err: unknown): boolean {
  const text = isToolError(err) ? toolText(err) : String(err);
  return /backup lock (file )?(and sst file )?exists?\b/i.test(text);
}

export async function requireBackupRecord(deps: Pick<ActivityDeps, 'store'>, backupId: string): Promise<BackupRecord> {
  const record = await deps.store.getBackupRecord(backupId);
  if (!record) throw new TiemError('BACKUP_RECORD_QUERY_FAILED', `backup record ${backupId} not found`);
  return record;
}

export function createBackupActivities(deps: ActivityDeps): BackupActivities {
  const { store, br, config } = deps;

  return {
    // Idempotent: createBackupRecord inserts only if absent (keyed by the workflow's backup id) and returns the stored record.
    async backupSourceCluster({ sourceClusterId, backupId }) {
      await requireCluster(deps, sourceClusterId);
      const now = new Date().toISOString();
      const record = await store.createBackupRecord({
        id: backupId,
        clusterId: sourceClusterId,
        storageType: config.backupStorageBase.startsWith('s3://') ? 's3' : 'local',
        filePath: backupStorageOf(config.backupStorageBase, sourceClusterId, backupId),
        backupType: 'full',
        backupMethod: 'physical',
        backupMode: 'manual',
        status: 'Processing',
        size: 0,
        backupTso: '0',
        startTime: now,
        endTime: now,
      });
      return { backupId: record.id, storage: record.filePath };
    },

    // Idempotent: a complete backup already at the storage path is returned (decode end-version) instead of backing up twice; an interrupted one resumes from BR's checkpoint (v6.5+) or starts over in a fresh path (before).
    async backup({ backupId, report }) {
      const record = await requireBackupRecord(deps, backupId);
      const source = await requireCluster(deps, record.clusterId);
      // Heartbeats while BR reads the storage (slow object stores, a first `tiup br` component download).
      const done = await runWithHeartbeat('validate', (opts) => br.decodeEndVersion({ ...opts, version: source.version, storage: record.filePath }));
      if (done && done !== '0') {
        heartbeat({ step: 'Full Backup', percent: 100 });
        return { backupTs: done, sizeBytes: record.size };
      }
      const reporter = new BrProgressReporter(deps, report, undefined);
      const backUpTo = (storage: string) =>
        runWithHeartbeat(
          'Full Backup',
          (opts) =>
            br.backupFull({
              ...opts,
              version: source.version,
              pd: pdAddress(source),
              storage,
              tls: clusterTls(deps, source),
              onProgress: (p) => reporter.onProgress(p),
            }),
          () => reporter.latest,
        );
      let result;
      try {
        result = await backUpTo(record.filePath);
      } catch (err) {
        if (!isLockedStorage(err)) throw err;
        // An interrupted run of a BR without checkpoints: start over in a fresh path, which the record
        // names before BR writes there (restore and the idempotency check above read it).
        const fresh = nextBackupStorage(record.filePath);
        await store.updateBackupRecord(backupId, { filePath: fresh });
        result = await backUpTo(fresh);
      }
      // Kept at once, so a retry after a lost completion reports the real size, not 0.
      await store.updateBackupRecord(backupId, { size: result.sizeBytes, backupTso: result.backupTs });
      await reporter.flush();
      return { backupTs: result.backupTs, sizeBytes: result.sizeBytes };
    },

    // Idempotent: absolute field updates of one record.
    async updateBackupRecord({ backupId, status, outcome }) {
      await requireBackupRecord(deps, backupId);
      await store.updateBackupRecord(backupId, {
        status,
        endTime: new Date().toISOString(),
        ...(outcome ? { size: outcome.sizeBytes, backupTso: outcome.backupTs } : {}),
      });
    },
  };
}
