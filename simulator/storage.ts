// On-disk artefacts: TiUP's per-cluster meta dir, and BR's external storage (backupmeta + data files).
import fs from 'node:fs';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import YAML from 'yaml';
import type { ClusterModel } from './model.js';
import { ToolExit } from './util.js';

export function clusterDir(tiupHome: string, name: string): string {
  return path.join(tiupHome, 'storage', 'cluster', 'clusters', name);
}

export function writeTiupMeta(c: ClusterModel): void {
  const dir = clusterDir(c.tiupHome, c.name);
  fs.mkdirSync(path.join(dir, 'ssh'), { recursive: true });
  const meta = { user: c.deployUser, tidb_version: c.version, last_ops_ver: 'v1.16.1 tiup', topology: c.topology };
  fs.writeFileSync(path.join(dir, 'meta.yaml'), YAML.stringify(meta));
  const keyFile = path.join(dir, 'ssh', 'id_rsa');
  if (!fs.existsSync(keyFile)) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
    const raw = publicKey.export({ type: 'spki', format: 'der' }).subarray(-32);
    fs.writeFileSync(path.join(dir, 'ssh', 'id_rsa.pub'), `ssh-ed25519 ${raw.toString('base64')} tiup-${c.name}\n`);
  }
}

export function removeTiupMeta(c: ClusterModel): void {
  fs.rmSync(clusterDir(c.tiupHome, c.name), { recursive: true, force: true });
}

/** Maps a BR storage URI to a directory: local:///abs as is, s3://bucket/prefix under <stateDir>/s3. */
export function resolveStorage(uri: string, cwd: string, stateDir: string): string {
  const m = /^([a-z0-9]+):\/\/([^?]*)(\?.*)?$/i.exec(uri);
  if (!m) {
    if (uri.startsWith('/')) return uri;
    if (uri) return path.resolve(cwd, uri);
    throw new ToolExit(1, '[BR:Common:ErrInvalidArgument]storage is required');
  }
  const scheme = m[1].toLowerCase();
  const rest = m[2];
  if (scheme === 'local' || scheme === 'file') {
    const p = rest.startsWith('/') ? rest : path.resolve(cwd, rest);
    return p;
  }
  if (['s3', 'gcs', 'gs', 'azure', 'azblob', 'hdfs', 'noop'].includes(scheme)) {
    if (!rest.replace(/\/+$/, '')) throw new ToolExit(1, `[BR:ExternalStorage:ErrStorageInvalidConfig]bucket name is required in ${scheme} storage`);
    return path.join(stateDir, 'objectstore', scheme, rest);
  }
  throw new ToolExit(1, `[BR:ExternalStorage:ErrStorageInvalidConfig]storage ${scheme} not support yet`);
}

export interface BackupTable {
  db: string;
  table: string;
  rows: number;
  bytes: number;
  checksum: string;
  /** The table's schema has a primary key / NOT NULL unique index (absent in old files: true). */
  unique_key?: boolean;
}

export interface BackupUser {
  user: string;
  host: string;
  authString: string;
  privileges: string[];
}

export interface BackupMeta {
  format: 'tiem-simulator-backupmeta/1';
  end_version: string;
  start_version: string;
  cluster_name: string;
  cluster_version: string;
  br_version: string;
  size: number;
  total_kvs: number;
  tables: { db: string; table: string; file: string }[];
  sys_tables: string[];
  finished_at: string;
}

export interface BackupCheckpoint {
  backup_ts: string;
  cluster_name: string;
  done_bytes: number;
  total_bytes: number;
}

const META = 'backupmeta';
const CHECKPOINT = path.join('checkpoints', 'backup', 'checkpoint.json');

export function readBackupMeta(dir: string): BackupMeta | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, META), 'utf8')) as BackupMeta;
    return m.end_version ? m : undefined;
  } catch {
    return undefined;
  }
}

export function readCheckpoint(dir: string): BackupCheckpoint | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, CHECKPOINT), 'utf8')) as BackupCheckpoint;
  } catch {
    return undefined;
  }
}

export function writeCheckpoint(dir: string, cp: BackupCheckpoint): void {
  fs.mkdirSync(path.dirname(path.join(dir, CHECKPOINT)), { recursive: true });
  fs.writeFileSync(path.join(dir, CHECKPOINT), JSON.stringify(cp));
}

/** BR writes `backup.lock` before anything else (br/pkg/metautil/metafile.go LockFile, since v4.0.2) and never removes it. */
export function writeBackupLock(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  if (!hasBackupLock(dir)) fs.writeFileSync(path.join(dir, 'backup.lock'), 'DO NOT DELETE\nThis file exists to remind other backup jobs won\'t use this path');
}

export function hasBackupLock(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'backup.lock'));
}

const PARTIAL_SST = '0_partial.sst';

/** The SST files an interrupted backup without checkpoints leaves behind. */
export function writePartialSst(dir: string): void {
  fs.writeFileSync(path.join(dir, PARTIAL_SST), 'partial');
}

export function hasPartialSst(dir: string): boolean {
  return fs.existsSync(path.join(dir, PARTIAL_SST));
}

export function removePartialSst(dir: string): void {
  fs.rmSync(path.join(dir, PARTIAL_SST), { force: true });
}

export function removeCheckpoint(dir: string): void {
  fs.rmSync(path.join(dir, 'checkpoints'), { recursive: true, force: true });
}

/** Writes the data files first and the backupmeta last, so a present backupmeta means "complete". */
export function writeBackup(dir: string, meta: Omit<BackupMeta, 'tables' | 'sys_tables' | 'format'>, tables: BackupTable[], users: BackupUser[]): BackupMeta {
  fs.mkdirSync(dir, { recursive: true });
  const entries: BackupMeta['tables'] = [];
  tables.forEach((t, i) => {
    const file = `${i + 1}_${t.db}.${t.table}.sst.json`.replace(/[/\\]/g, '_');
    fs.writeFileSync(path.join(dir, file), JSON.stringify(t));
    entries.push({ db: t.db, table: t.table, file });
  });
  fs.writeFileSync(path.join(dir, 'mysql.user.sst.json'), JSON.stringify(users));
  const full: BackupMeta = { format: 'tiem-simulator-backupmeta/1', ...meta, tables: entries, sys_tables: ['mysql.user'] };
  fs.writeFileSync(path.join(dir, META), JSON.stringify(full, null, 2));
  return full;
}

export function readBackupTables(dir: string, meta: BackupMeta): BackupTable[] {
  return meta.tables.map((e) => JSON.parse(fs.readFileSync(path.join(dir, e.file), 'utf8')) as BackupTable);
}

export function readBackupUsers(dir: string): BackupUser[] {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'mysql.user.sst.json'), 'utf8')) as BackupUser[];
  } catch {
    return [];
  }
}
