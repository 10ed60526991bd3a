// What each real tool version can and cannot do, as the simulator plays it. Every rule names where
// it was read in the real tool's code (repository path @ release tag, function).
import { compareVersions, parseVersion } from './model.js';

export const atLeast = (version: string, min: string): boolean => compareVersions(version, min) >= 0;
const sameMinor = (version: string, minor: string): boolean => {
  const v = parseVersion(version);
  return !!v && `v${v[0]}.${v[1]}` === minor;
};

export interface TicdcApiSurface {
  /** OpenAPI v1 (`/api/v1/...`). pingcap/tiflow cdc/http_router.go @ v5.2.0 (newRouter); still registered
   *  next to v2 by cdc/http.go @ v8.5.0 (RegisterRoutes). */
  v1: boolean;
  /** v2 POST /changefeeds, PUT, meta_info, resume, verify_table, tso: cdc/api/v2/api.go @ v6.2.0
   *  (RegisterOpenAPIV2Routes). No v2 before v6.2.0. */
  v2Create: boolean;
  /** v2 GET one / list / DELETE / pause, /health, /status, /captures: cherry-picked into v6.5.2
   *  (tiflow #8740, cdc/api/v2/api.go @ v6.5.2); absent in v6.2.0–v6.5.1. */
  v2Read: boolean;
  /** v2 GET /changefeeds/:id/synced: cdc/api/v2/api.go @ v8.1.0 (and v6.5.12). */
  v2Synced: boolean;
  /** v2 create answers 201 at v6.2.0–v6.5.1 and v6.6.x, 200 from v6.5.2 and v7.0.0 (cdc/api/v2/changefeed.go createChangefeed). */
  v2CreateStatus: 200 | 201;
  /** v2 DELETE answers 204 in v6.6.x, 200 `{}` elsewhere — also for a missing changefeed (cdc/api/v2/changefeed.go deleteChangefeed). */
  v2DeleteStatus: 200 | 204;
  /** v1 DELETE returns before the changefeed is gone up to v6.1.x; from v6.2.0 it polls until
   *  ErrChangeFeedNotExists (cdc/api/v1/api.go @ v6.2.0 RemoveChangefeed). */
  v1RemoveIsAsync: boolean;
  /** Retried errors: `error` up to v7.2 (v6.5.0–6.5.3, v7.1.0–7.1.1); `pending`/`warning` from v7.3.0,
   *  backported to v6.5.4 and v7.1.2 (cdc/model/changefeed.go FeedState, cdc/owner/feed_state_manager.go). */
  retryStates: 'error' | 'pending-warning';
}

export function ticdcApiSurface(version: string): TicdcApiSurface {
  const v66 = sameMinor(version, 'v6.6');
  return {
    v1: atLeast(version, 'v5.2.0'),
    v2Create: atLeast(version, 'v6.2.0'),
    v2Read: atLeast(version, 'v6.5.2'),
    v2Synced: atLeast(version, 'v8.1.0') || (sameMinor(version, 'v6.5') && atLeast(version, 'v6.5.12')),
    v2CreateStatus: v66 || (atLeast(version, 'v6.2.0') && !atLeast(version, 'v6.5.2')) ? 201 : 200,
    v2DeleteStatus: v66 ? 204 : 200,
    v1RemoveIsAsync: !atLeast(version, 'v6.2.0'),
    retryStates: newStateModel(version) ? 'pending-warning' : 'error',
  };
}

function newStateModel(version: string): boolean {
  if (sameMinor(version, 'v6.5')) return atLeast(version, 'v6.5.4');
  if (sameMinor(version, 'v7.1')) return atLeast(version, 'v7.1.2');
  return atLeast(version, 'v7.3.0');
}

/**
 * The text of ErrChangeFeedNotExists (cdc/owner/status_provider.go): `key: <id>` in v5.x; a
 * model.ChangeFeedID struct without String() from v6.0 (`{default <id>}`); `default/<id>` from v7.5.0.
 */
export function changefeedNotExistsText(version: string, id: string): string {
  if (!atLeast(version, 'v6.0.0')) return `changefeed not exists, key: ${id}`;
  if (!atLeast(version, 'v7.5.0')) return `changefeed not exists, {default ${id}}`;
  return `changefeed not exists, default/${id}`;
}

/**
 * How long TiCDC keeps retrying before a changefeed turns `failed`: the old model's backoff gives up
 * after 90 min (cdc/owner/feed_state_manager.go @ v7.1.0, MaxElapsedTime); the new one fails a
 * changefeed whose checkpoint is stuck longer than changefeed-error-stuck-duration, 30 min
 * (pkg/config/replica_config.go @ v7.5.0).
 */
export function ticdcRetryGiveUpMs(version: string): number {
  return newStateModel(version) ? 30 * 60_000 : 90 * 60_000;
}

/** TIDB_CURRENT_TSO(): pingcap/tidb expression/builtin_time.go @ v6.4.0 (PR #37037), not in v6.1.x or v5.4.x. */
export function tidbHasCurrentTsoFunction(version: string): boolean {
  return atLeast(version, 'v6.4.0');
}

// ---------- BR (pingcap/tidb br/, pingcap/br before v5.2) ----------

/**
 * BR against the cluster's TiKV (br/pkg/version/version.go CheckVersionForBR): up to v5.4 the major
 * versions must be equal; from v6.0 (pingcap/tidb #32985) BR may be one major newer, never older.
 */
export function brTikvVersionProblem(brVersion: string, tikvVersion: string): boolean {
  const b = parseVersion(brVersion)!;
  const t = parseVersion(tikvVersion)!;
  if (!atLeast(brVersion, 'v6.0.0')) return b[0] !== t[0];
  return b[0] < t[0] || b[0] - t[0] > 1;
}

/**
 * A backup of a newer cluster into an older one (br/pkg/task/restore.go CheckVersionForBackup, from
 * v5.1): refused for any newer major up to v5.4; from v6.0 (pingcap/tidb #33203) only more than one major apart.
 */
export function brBackupTooNew(brVersion: string, backupClusterVersion: string, clusterVersion: string): boolean {
  const b = parseVersion(backupClusterVersion)!;
  const c = parseVersion(clusterVersion)!;
  if (!atLeast(brVersion, 'v6.0.0')) return b[0] > c[0];
  return b[0] - c[0] > 1;
}

/** `backup full` resumes from a checkpoint from v6.5.0 (br/pkg/checkpoint @ v6.5.0, hidden --use-checkpoint=true). */
export function brBackupResumes(brVersion: string): boolean {
  return atLeast(brVersion, 'v6.5.0');
}

/**
 * What BR says when the storage holds an unfinished backup (backup.lock written since v4.0.2) and it
 * cannot resume: br/pkg/backup/client.go SetStorage (v5.2–v5.3: any lock), CheckBackupStorageIsLocked
 * (v5.4+, pingcap/tidb #30218: lock and SST files), "hasn't checkpoint metadata" from v6.5.
 */
export function brLockedStorageText(brVersion: string, uri: string, hasSst: boolean): string | undefined {
  const lock = `${uri.replace(/\/+$/, '')}/backup.lock`;
  if (!atLeast(brVersion, 'v5.2.0')) return 'backup lock exists, may be some backup files in the path already';
  if (!atLeast(brVersion, 'v5.4.0')) return `backup lock file exists in ${lock}, there may be some backup files in the path already, please specify a correct backup directory!`;
  if (!hasSst) return undefined;
  const checkpoint = atLeast(brVersion, 'v6.5.0') ? ', but hasn\'t checkpoint metadata' : '';
  return `backup lock file and sst file exist in ${lock}, there are some backup files in the path already${checkpoint}, please specify a correct backup directory!`;
}

/** `restore full` resumes from a checkpoint from v7.1.0 (br/pkg/checkpoint/restore.go @ v7.1.0). */
export function brRestoreResumes(brVersion: string): boolean {
  return atLeast(brVersion, 'v7.1.0');
}

/**
 * When `restore full` requires an empty target (br/pkg/task/restore.go runRestore → CheckTargetClusterFresh):
 * never before v6.2; v6.2–v7.2 only when restoring system tables; from v7.3 (pingcap/tidb #45014) on
 * every first run (a checkpoint resume skips it).
 */
export function brChecksFreshCluster(brVersion: string, withSysTable: boolean): boolean {
  if (!atLeast(brVersion, 'v6.2.0')) return false;
  if (!atLeast(brVersion, 'v7.3.0')) return withSysTable;
  return true;
}

/** `--with-sys-table`: absent before v6.2.0, default false, true from v7.6.0 (br/pkg/task/restore.go flagWithSysTable). */
export function brWithSysTableDefault(brVersion: string): boolean | undefined {
  if (!atLeast(brVersion, 'v6.2.0')) return undefined;
  return atLeast(brVersion, 'v7.6.0');
}

/**
 * Clusters bootstrapped at v7.5.0 or later create mysql.db / tables_priv / columns_priv with
 * case-insensitive DB/Table_name/Column_name (pingcap/tidb pkg/session/bootstrap.go @ v7.5.0
 * CreateDBPrivTable); BR's CheckSysTableCompatibility (br/pkg/restore/client.go, utils.IsTypeCompatible)
 * then refuses system tables of a backup from the other side of that change.
 */
export function privilegeTableCollation(bootstrapVersion: string): 'utf8_bin' | 'utf8mb4_general_ci' {
  return atLeast(bootstrapVersion, 'v7.5.0') ? 'utf8mb4_general_ci' : 'utf8_bin';
}
