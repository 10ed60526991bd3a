// TiDB version arithmetic (TiEM meta.CompareTiDBVersion) and the version gates of the clone.
// Pure module: imported by workflow code.

import { TiemError } from './errors.js';

export interface TidbVersion {
  major: number;
  minor: number;
  patch: number;
}

/** CDCSync needs a source at least this new (TiEM ClonePreCheck). */
export const CDC_SYNC_MIN_SOURCE_VERSION = 'v5.2.2';
/** From this version BR restores `mysql.*` by default, replacing accounts set before the restore. */
export const BR_SYS_TABLE_DEFAULT_VERSION = 'v7.6.0';
/** EM_Backup_Restore / EM_Parameter_Management accounts exist from this version. */
export const MGMT_ACCOUNTS_MIN_VERSION = 'v5.1.0';
/** CDC_Data_Sync account exists from this version. */
export const CDC_ACCOUNT_MIN_VERSION = 'v5.2.2';
/**
 * Clusters bootstrapped from v7.5.0 create mysql.db/tables_priv/columns_priv with another collation
 * (pingcap/tidb pkg/session/bootstrap.go @ v7.5.0); BR's CheckSysTableCompatibility refuses system
 * tables from the other side of it, while user data restores across it.
 */
const BR_SYS_TABLE_BREAK_VERSION: TidbVersion = { major: 7, minor: 5, patch: 0 };

const PART = /^\d+$/;

/** Like TiEM: drop the leading 'v', exactly three integer parts. Returns undefined when invalid. */
export function tryParseVersion(version: string): TidbVersion | undefined {
  if (typeof version !== 'string' || !version.startsWith('v')) return undefined;
  const parts = version.slice(1).split('.');
  if (parts.length !== 3 || !parts.every((p) => PART.test(p))) return undefined;
  const [major, minor, patch] = parts.map((p) => Number.parseInt(p, 10));
  if (![major, minor, patch].every(Number.isSafeInteger)) return undefined;
  return { major, minor, patch };
}

/** Throws PARAMETER_INVALID "TiDB version <v> format is invalid" (TiEM's wording). */
export function parseVersion(version: string): TidbVersion {
  const parsed = tryParseVersion(version);
  if (!parsed) throw new TiemError('PARAMETER_INVALID', `TiDB version ${String(version)} format is invalid`);
  return parsed;
}

export function isValidVersion(version: string): boolean {
  return tryParseVersion(version) !== undefined;
}

function cmp(a: TidbVersion, b: TidbVersion): -1 | 0 | 1 {
  for (const k of ['major', 'minor', 'patch'] as const) {
    if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  }
  return 0;
}

/** Numeric compare, major then minor then patch. Throws on an invalid version. */
export function compareVersions(a: string, b: string): -1 | 0 | 1 {
  return cmp(parseVersion(a), parseVersion(b));
}

/** TiEM CompareTiDBVersion(v1, v2): true when v1 ≥ v2. */
export function versionAtLeast(version: string, min: string): boolean {
  return compareVersions(version, min) >= 0;
}

/** 'v7.5.1' → 'v7.5' (parameter groups are per minor version). */
export function minorOf(version: string): string {
  const v = parseVersion(version);
  return `v${v.major}.${v.minor}`;
}

export type BrCompatibility =
  | { ok: true; /** false: restore user data only, the accounts are set afterwards (reconcileAccounts). */ withSysTable?: false }
  | { ok: false; rule: string };

/**
 * Can BR restore a full backup of a `source` cluster into a `target` cluster? Never into an older
 * version (TiEM's rule for clones). Across the v7.5 change of the privilege tables, only without the
 * system tables (`--with-sys-table=false`): the pre-upgrade rehearsal clone (v7.1 → v8.1) works,
 * with the target's own accounts.
 */
export function brCompatibility(sourceVersion: string, targetVersion: string): BrCompatibility {
  const s = parseVersion(sourceVersion);
  const t = parseVersion(targetVersion);
  if (cmp(t, s) < 0) {
    return { ok: false, rule: `BR cannot restore a backup of ${sourceVersion} into ${targetVersion}: the target version is older than the source version` };
  }
  if (cmp(s, BR_SYS_TABLE_BREAK_VERSION) < 0 && cmp(t, BR_SYS_TABLE_BREAK_VERSION) >= 0) return { ok: true, withSysTable: false };
  return { ok: true };
}
