// The fleet model: clusters, their data (as append-only event logs), users, variables, config,
// GC and service safepoints, changefeeds. Pure state + rules; no I/O here.
import type { ClusterTls } from './tls.js';
import { createHash, randomBytes } from 'node:crypto';
import { Tso, tsoFromMs } from './tso.js';
import { parseGoDuration } from './duration.js';

export type Role = 'pd' | 'tikv' | 'tidb' | 'tiflash' | 'cdc' | 'prometheus' | 'grafana' | 'alertmanager';
export const ROLES: Role[] = ['pd', 'tikv', 'tidb', 'tiflash', 'cdc', 'prometheus', 'grafana', 'alertmanager'];

export interface Instance {
  role: Role;
  host: string;
  port: number;
  statusPort?: number;
  peerPort?: number;
}

export interface TableEvent {
  ts: bigint;
  rowsDelta: number;
  bytesDelta: number;
  hash: bigint;
}

export interface TableModel {
  db: string;
  table: string;
  events: TableEvent[];
  /** A primary key or a NOT NULL unique index: what TiCDC needs to replicate the table. */
  uniqueKey: boolean;
}

export interface UserModel {
  user: string;
  host: string;
  /** hex of SHA1(SHA1(password)), '' for an empty password (mysql_native_password). */
  authString: string;
  privileges: string[];
}

export interface ServiceSafePoint {
  serviceId: string;
  safePoint: bigint;
  expiresAtMs: number;
}

/** TiCDC FeedState (pingcap/tiflow cdc/model/changefeed.go): `error` in the old model, `pending`/`warning` in the new. */
export type ChangefeedState = 'normal' | 'error' | 'pending' | 'warning' | 'failed' | 'stopped' | 'finished' | 'removed';

export interface ChangefeedModel {
  id: string;
  upstream: string;
  downstream: string;
  sinkUri: string;
  startTs: bigint;
  checkpointTs: bigint;
  state: ChangefeedState;
  error?: { code: string; message: string };
  createTimeMs: number;
  /** Replication applies upstream events with ts in (replicatedTs, checkpoint]. */
  replicatedTs: bigint;
  /** Tables without a unique key are skipped instead of refusing the changefeed. */
  ignoreIneligible: boolean;
  /** Since when TiCDC has been retrying an error (it gives up after a bound, see versions.ts). */
  retryingSinceMs?: number;
  /** A v5.x/v6.1 remove is asynchronous: the changefeed goes away at the next tick. */
  removing?: boolean;
}

export interface PushedFile {
  host: string;
  remotePath: string;
  localPath: string;
  content: string;
  pushedAt: string;
}

export interface WriteStream {
  writesPerSec: number;
  rowsPerWrite: number;
  bytesPerWrite: number;
  carry: number;
  next: number;
}

export interface TableChecksumValue {
  db: string;
  table: string;
  checksum: string;
  totalKvs: number;
  totalBytes: number;
}

export interface ClusterModel {
  name: string;
  version: string;
  deployUser: string;
  tiupHome: string;
  origin: 'tiup' | 'seed';
  topology: Record<string, unknown>;
  instances: Instance[];
  /** The instances whose process is running (`tiup cluster start|stop [-R] [-N]` change it per instance). */
  running: Set<Instance>;
  tables: Map<string, TableModel>;
  users: UserModel[];
  globalVars: Record<string, string>;
  config: Record<string, Record<string, string | number | boolean>>;
  gcSafePoint: bigint;
  serviceSafePoints: Map<string, ServiceSafePoint>;
  changefeeds: Map<string, ChangefeedModel>;
  pushedFiles: PushedFile[];
  /** `global.enable_tls`: TiUP's CA and certificates of the cluster (simulator/tls.ts). */
  tls?: ClusterTls;
  writeStream?: WriteStream;
  /** Interrupted restore: which backup, and which tables are already in. */
  restoreCheckpoint?: { backupKey: string; restoredTables: string[] };
}

export const DEFAULT_GLOBAL_VARS: Record<string, string> = {
  tidb_gc_life_time: '10m0s',
  tidb_gc_enable: 'ON',
  tidb_gc_run_interval: '10m0s',
  tidb_gc_concurrency: '-1',
  tidb_mem_quota_query: '1073741824',
  tidb_enable_clustered_index: 'ON',
  tidb_txn_mode: 'pessimistic',
  tidb_enable_auto_analyze: 'ON',
  tidb_ddl_reorg_worker_cnt: '4',
  tidb_distsql_scan_concurrency: '15',
  tidb_enable_1pc: 'ON',
  tidb_enable_async_commit: 'ON',
  max_connections: '0',
  max_execution_time: '0',
  sql_mode: 'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION',
  time_zone: 'SYSTEM',
  transaction_isolation: 'REPEATABLE-READ',
  tidb_snapshot: '',
};

export function defaultConfig(): ClusterModel['config'] {
  return {
    tidb: { 'log.level': 'info', 'performance.max-procs': 0, 'prepared-plan-cache.enabled': true, new_collations_enabled_on_first_bootstrap: true },
    tikv: { 'log.level': 'info', 'storage.block-cache.capacity': '8GiB', 'raftstore.apply-pool-size': 2, 'gc.ratio-threshold': 1.1, 'server.grpc-concurrency': 5 },
    pd: { 'log.level': 'info', 'replication.max-replicas': 3, 'schedule.max-store-down-time': '30m0s', 'schedule.leader-schedule-limit': 4 },
    tiflash: { 'logger.level': 'info', 'profiles.default.max_memory_usage': 0 },
    cdc: { 'log-level': 'info', 'gc-ttl': 86400 },
  };
}

export function nativePasswordHash(password: string): string {
  if (!password) return '';
  const s1 = createHash('sha1').update(password).digest();
  return createHash('sha1').update(s1).digest('hex');
}

export function randomHash64(): bigint {
  return randomBytes(8).readBigUInt64BE();
}

export function tableKey(db: string, table: string): string {
  return `${db}.${table}`;
}

/** "v7.5.1" → [7,5,1]; tolerant of a missing "v" and suffixes. */
export function parseVersion(v: string): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a) ?? [0, 0, 0];
  const y = parseVersion(b) ?? [0, 0, 0];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

export function normalizeVersion(v: string): string {
  return v.startsWith('v') ? v : `v${v}`;
}

export class Fleet {
  readonly clusters = new Map<string, ClusterModel>();
  readonly tso = new Tso();

  get(name: string): ClusterModel | undefined {
    return this.clusters.get(name);
  }

  newCluster(a: {
    name: string;
    version: string;
    deployUser: string;
    tiupHome: string;
    origin: 'tiup' | 'seed';
    topology: Record<string, unknown>;
    instances: Instance[];
  }): ClusterModel {
    const nowTs = this.tso.next();
    const c: ClusterModel = {
      ...a,
      version: normalizeVersion(a.version),
      running: new Set(),
      tables: new Map(),
      users: [{ user: 'root', host: '%', authString: '', privileges: ['ALL PRIVILEGES'] }],
      globalVars: { ...DEFAULT_GLOBAL_VARS },
      config: defaultConfig(),
      gcSafePoint: 0n,
      serviceSafePoints: new Map(),
      changefeeds: new Map(),
      pushedFiles: [],
    };
    c.gcSafePoint = nowTs - tsoFromMs(gcLifeTimeMs(c));
    if (c.gcSafePoint < 0n) c.gcSafePoint = 0n;
    this.clusters.set(c.name, c);
    return c;
  }

  findByPd(addr: string): ClusterModel | undefined {
    const [host, port] = splitHostPort(addr);
    for (const c of this.clusters.values()) {
      if (c.instances.some((i) => i.role === 'pd' && i.host === host && i.port === port)) return c;
    }
    return undefined;
  }

  findByInstance(role: Role, host: string, port: number): ClusterModel | undefined {
    for (const c of this.clusters.values()) {
      if (c.instances.some((i) => i.role === role && i.host === host && i.port === port)) return c;
    }
    return undefined;
  }

  /** Appends one write to a table (creating it). */
  appendEvent(c: ClusterModel, db: string, table: string, rowsDelta: number, bytesDelta: number, hash = randomHash64(), ts = this.tso.next()): TableEvent {
    const t = ensureTable(c, db, table);
    const ev = { ts, rowsDelta, bytesDelta, hash };
    t.events.push(ev);
    return ev;
  }
}

export function ensureTable(c: ClusterModel, db: string, table: string): TableModel {
  const key = tableKey(db, table);
  let t = c.tables.get(key);
  if (!t) {
    t = { db, table, events: [], uniqueKey: true };
    c.tables.set(key, t);
  }
  return t;
}

export function splitHostPort(addr: string): [string, number] {
  const s = addr.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  const i = s.lastIndexOf(':');
  if (i < 0) return [s, 0];
  return [s.slice(0, i), Number(s.slice(i + 1))];
}

export function gcLifeTimeMs(c: ClusterModel): number {
  return parseGoDuration(c.globalVars.tidb_gc_life_time ?? '10m0s') ?? 600_000;
}

export function tableChecksum(t: TableModel, at?: bigint): TableChecksumValue {
  let x = 0n;
  let rows = 0;
  let bytes = 0;
  for (const e of t.events) {
    if (at !== undefined && e.ts > at) continue;
    x ^= e.hash;
    rows += e.rowsDelta;
    bytes += e.bytesDelta;
  }
  return { db: t.db, table: t.table, checksum: x.toString(), totalKvs: rows, totalBytes: bytes };
}

export function clusterChecksum(c: ClusterModel, at?: bigint): { checksum: string; totalKvs: number; totalBytes: number; tables: TableChecksumValue[] } {
  const tables = [...c.tables.values()]
    .sort((a, b) => tableKey(a.db, a.table).localeCompare(tableKey(b.db, b.table)))
    .map((t) => tableChecksum(t, at));
  let x = 0n;
  let kvs = 0;
  let bytes = 0;
  for (const t of tables) {
    x ^= BigInt(t.checksum);
    kvs += t.totalKvs;
    bytes += t.totalBytes;
  }
  return { checksum: x.toString(), totalKvs: kvs, totalBytes: bytes, tables };
}

/** Tables that exist (have at least one event or were created) — "user tables" of the cluster. */
export function userTables(c: ClusterModel): TableModel[] {
  return [...c.tables.values()];
}

export function minServiceSafePoint(c: ClusterModel, nowMs: number): bigint | undefined {
  let min: bigint | undefined;
  for (const [id, sp] of c.serviceSafePoints) {
    if (sp.expiresAtMs <= nowMs) {
      c.serviceSafePoints.delete(id);
      continue;
    }
    if (min === undefined || sp.safePoint < min) min = sp.safePoint;
  }
  return min;
}

/** One GC round: safepoint = min(now − life time, service safepoints), never backwards; compacts history below it. */
export function advanceGc(c: ClusterModel, nowMs: number): void {
  if ((c.globalVars.tidb_gc_enable ?? 'ON').toUpperCase() !== 'ON') return;
  let candidate = tsoFromMs(nowMs - gcLifeTimeMs(c));
  const svc = minServiceSafePoint(c, nowMs);
  if (svc !== undefined && svc < candidate) candidate = svc;
  if (candidate > c.gcSafePoint) c.gcSafePoint = candidate;
  compactBelow(c, c.gcSafePoint);
}

/** Merges events at or below the safepoint: history before it is gone, like MVCC after GC. */
export function compactBelow(c: ClusterModel, safePoint: bigint): void {
  for (const t of c.tables.values()) {
    let n = 0;
    while (n < t.events.length && t.events[n].ts <= safePoint) n++;
    if (n < 2) continue;
    const merged: TableEvent = { ts: t.events[n - 1].ts, rowsDelta: 0, bytesDelta: 0, hash: 0n };
    for (let i = 0; i < n; i++) {
      merged.rowsDelta += t.events[i].rowsDelta;
      merged.bytesDelta += t.events[i].bytesDelta;
      merged.hash ^= t.events[i].hash;
    }
    t.events.splice(0, n, merged);
  }
}

export function isUp(c: ClusterModel, i: Instance): boolean {
  return c.running.has(i);
}

export function instanceId(i: Instance): string {
  return `${i.host}:${i.port}`;
}

/** Raft needs a majority: PD (etcd) answers only while more than half of its members run. */
export function pdAvailable(c: ClusterModel): boolean {
  const pds = c.instances.filter((i) => i.role === 'pd');
  return pds.length > 0 && pds.filter((i) => isUp(c, i)).length * 2 > pds.length;
}

/** Regions stay readable/writable while more than half of the TiKV stores run (3 replicas ≈ majority of stores). */
export function tikvAvailable(c: ClusterModel): boolean {
  const kvs = c.instances.filter((i) => i.role === 'tikv');
  return kvs.length > 0 && kvs.filter((i) => isUp(c, i)).length * 2 > kvs.length;
}

/** PD and TiKV are usable: what BR, TiCDC capture and SQL statements need. */
export function storageAvailable(c: ClusterModel): boolean {
  return pdAvailable(c) && tikvAvailable(c);
}

/** The TiDB instance at host:port of `c` runs and can execute statements. */
export function tidbServes(c: ClusterModel, host: string, port: number): boolean {
  const i = c.instances.find((x) => x.role === 'tidb' && x.host === host && x.port === port);
  return !!i && isUp(c, i) && storageAvailable(c);
}

/** Some TiDB of the cluster serves SQL (clients, the write stream). */
export function anyTidbServes(c: ClusterModel): boolean {
  return storageAvailable(c) && c.instances.some((i) => i.role === 'tidb' && isUp(c, i));
}

/** `Up` every instance runs, `Down` none does, `Partial` some do (after `tiup cluster stop -R/-N`). */
export function clusterStatus(c: ClusterModel): 'Up' | 'Down' | 'Partial' {
  const n = c.instances.filter((i) => isUp(c, i)).length;
  return n === 0 ? 'Down' : n === c.instances.length ? 'Up' : 'Partial';
}

export function countRole(c: ClusterModel, role: Role): number {
  return c.instances.filter((i) => i.role === role).length;
}
