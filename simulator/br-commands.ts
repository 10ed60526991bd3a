// `tiup br:<ver> backup full | restore full | validate decode` against the model and real files.
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Simulator } from './sim.js';
import { type ExecIO, type ParsedArgs, flagBool, parseArgs } from './tiup-exec.js';
import { OpRun } from './op-run.js';
import { AbortedError, ToolExit, humanBytes, sleep } from './util.js';
import { clusterChecksum, countRole, ensureTable, isUp, parseVersion, pdAvailable, splitHostPort, tableChecksum, tableKey, tikvAvailable, type ClusterModel } from './model.js';
import {
  brBackupResumes,
  brBackupTooNew,
  brChecksFreshCluster,
  brLockedStorageText,
  brRestoreResumes,
  brTikvVersionProblem,
  brWithSysTableDefault,
  privilegeTableCollation,
} from './versions.js';
import {
  readBackupMeta,
  readBackupTables,
  readBackupUsers,
  hasBackupLock,
  hasPartialSst,
  readCheckpoint,
  removeCheckpoint,
  removePartialSst,
  writeBackupLock,
  writePartialSst,
  resolveStorage,
  writeBackup,
  writeCheckpoint,
  type BackupTable,
} from './storage.js';
import { formatDurationShort } from './duration.js';
import { clientCredentialProblem } from './tls.js';

const MIB = 1024 * 1024;
const PER_TIKV_BPS = 100 * MIB;
const BR_SAFEPOINT_TTL_MS = 5 * 60_000;
const CHECKPOINT_SAFEPOINT_TTL_MS = 72 * 60_000;
/** BR logs its progress on a 2-minute ticker (br/pkg/utils/progress.go, br/pkg/glue/console_glue.go), ÷ speed. */
const PROGRESS_EVERY_MS = 120_000;

interface BrCtx {
  sim: Simulator;
  io: ExecIO;
  p: ParsedArgs;
  brVersion: string;
}

export async function runBrCommand(sim: Simulator, io: ExecIO, brVersion: string, args: string[]): Promise<number> {
  const p = parseArgs(args);
  const [cmd, sub] = p.positional;
  const op = cmd === 'backup' ? 'br.backup' : cmd === 'restore' ? 'br.restore' : cmd === 'validate' ? 'br.validate' : `br.${cmd ?? ''}`;
  const pd = p.flags.get('pd');
  const cluster = pd ? sim.fleet.findByPd(pd) : undefined;
  const rec = sim.ops.start(op, cluster?.name, ['br', ...args]);
  let code = 0;
  try {
    if (!parseVersion(brVersion)) throw new ToolExit(1, `Error: component br version ${brVersion} is not available`);
    const ctx: BrCtx = { sim, io, p, brVersion };
    if (cmd === 'backup' && sub === 'full') await backupFull(ctx, new OpRun(sim, io, sim.faults.take(op, cluster?.name)));
    else if (cmd === 'restore' && sub === 'full') await restoreFull(ctx, new OpRun(sim, io, sim.faults.take(op, cluster?.name)));
    else if (cmd === 'validate' && sub === 'decode') await validateDecode(ctx, new OpRun(sim, io, sim.faults.take(op, cluster?.name)));
    else throw new ToolExit(1, `Error: unknown command "${[cmd, sub].filter(Boolean).join(' ')}" for "br" (the simulator supports backup full, restore full, validate decode)`);
  } catch (e) {
    if (e instanceof AbortedError) {
      sim.ops.end(rec, 143);
      throw e;
    }
    if (!(e instanceof ToolExit)) throw e;
    code = e.exitCode;
    if (code !== 137 && e.message) io.err(e.message.startsWith('Error:') ? e.message : `Error: ${e.message}`);
  }
  sim.ops.end(rec, code);
  return code;
}

function brLogLine(io: ExecIO): void {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', 'T').slice(0, 15);
  io.out(`Detail BR log in ${process.env.TMPDIR ?? '/tmp'}/br.log.${stamp}`);
}

function requireCluster(ctx: BrCtx): ClusterModel {
  const pd = ctx.p.flags.get('pd');
  if (!pd) throw new ToolExit(1, '[BR:Common:ErrInvalidArgument]the PD address is required (--pd)');
  const addr = pd.split(',')[0].trim();
  const c = ctx.sim.fleet.findByPd(addr);
  // BR talks to PD and TiKV only; stopped TiDB instances (`tiup cluster stop -R tidb`) do not matter.
  const [host, port] = splitHostPort(addr);
  const pdInst = c?.instances.find((i) => i.role === 'pd' && i.host === host && i.port === port);
  if (!c || !pdInst || !isUp(c, pdInst) || !pdAvailable(c)) {
    throw new ToolExit(1, `[PD:client:ErrClientGetMember]error:rpc error: code = Unavailable desc = connection error: dial tcp ${pd}: connect: connection refused target:${pd} status:CONNECTING`);
  }
  if (c.tls) {
    // A TLS cluster's PD takes only clients with a certificate of its CA: BR's --ca/--cert/--key
    // (pingcap/tidb br/pkg/task/common.go flagCA/flagCert/flagKey, TLSConfig.ToTLSConfig).
    const file = (f: string) => {
      const v = ctx.p.flags.get(f);
      return v ? path.resolve(ctx.io.cwd, v) : undefined;
    };
    const files = { ca: file('ca'), cert: file('cert'), key: file('key') };
    const problem = files.ca || files.cert || files.key ? clientCredentialProblem(c.tls, files) : undefined;
    if (!files.ca) {
      throw new ToolExit(1, `[PD:client:ErrClientGetMember]error:rpc error: code = Unavailable desc = connection closed before server preface received target:${pd} status:TRANSIENT_FAILURE`);
    }
    if (problem) {
      throw new ToolExit(1, `[PD:client:ErrClientGetMember]error:rpc error: code = Unavailable desc = connection error: desc = "transport: authentication handshake failed: ${problem}" target:${pd}`);
    }
  }
  const downKv = c.instances.find((i) => i.role === 'tikv' && !isUp(c, i));
  if (!tikvAvailable(c) && downKv) {
    throw new ToolExit(
      1,
      `[BR:Common:ErrFailedToConnect]failed to make gRPC channels: rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp ${downKv.host}:${downKv.port}: connect: connection refused"`,
    );
  }
  return c;
}

function checkVersion(ctx: BrCtx, c: ClusterModel): void {
  if (brTikvVersionProblem(ctx.brVersion, c.version)) {
    const tikv = c.instances.find((i) => i.role === 'tikv');
    throw new ToolExit(
      1,
      `[BR:Common:ErrVersionMismatch]version mismatch: TiKV node ${tikv ? `${tikv.host}:${tikv.port}` : 'unknown'} version ${c.version.replace(/^v/, '')} and BR ${ctx.brVersion} major version mismatch, please use the same version of BR`,
    );
  }
}

function storageArg(ctx: BrCtx): { uri: string; dir: string } {
  const uri = ctx.p.flags.get('storage') ?? '';
  if (!uri) throw new ToolExit(1, '[BR:Common:ErrInvalidArgument]the storage is required (--storage)');
  return { uri, dir: resolveStorage(uri, ctx.io.cwd, ctx.sim.stateDir) };
}

function bytesPerSec(ctx: BrCtx, tikvs: number): number {
  const rl = Number(ctx.p.flags.get('ratelimit') ?? 0);
  const perTikv = rl > 0 ? Math.min(PER_TIKV_BPS, rl * MIB) : PER_TIKV_BPS;
  return perTikv * Math.max(1, tikvs) * ctx.sim.speed;
}

function progressLine(step: string, frac: number, count: string, bps: number, elapsedMs: number, remainingMs: number): string {
  const pct = Math.min(100, Math.round(frac * 10000) / 100);
  return `[progress] [step="${step}"] [progress=${pct}%] [count="${count}"] [speed="${humanBytes(bps)}/s"] [elapsed=${formatDurationShort(elapsedMs)}] [remaining=${formatDurationShort(Math.max(0, remainingMs))}]`;
}

/**
 * Moves `done` towards `total` at `bps`, printing progress every ~0.5 s, calling `onAdvance` after each
 * step (checkpointing). A die fault exits 137 at its percentage.
 */
async function transfer(
  ctx: BrCtx,
  run: OpRun,
  step: string,
  startDone: number,
  total: number,
  bps: number,
  units: number,
  onAdvance: (done: number) => void,
): Promise<void> {
  const started = Date.now();
  let done = startDone;
  const frac = () => (total > 0 ? done / total : 1);
  const line = () => progressLine(step, frac(), `${Math.floor(frac() * units)} / ${units}`, bps, Date.now() - started, ((total - done) / bps) * 1000);
  ctx.io.out(line());
  const dieAt = run.dieAt;
  let last = Date.now();
  while (done < total) {
    if (dieAt !== undefined && frac() >= dieAt) throw new ToolExit(137, '');
    const remainingMs = ((total - done) / bps) * 1000;
    let wait = Math.min(Math.max(50, PROGRESS_EVERY_MS / ctx.sim.speed), remainingMs);
    if (dieAt !== undefined) wait = Math.min(wait, Math.max(1, ((dieAt * total - done) / bps) * 1000));
    await sleep(wait, ctx.io.signal);
    const now = Date.now();
    done = Math.min(total, done + ((now - last) / 1000) * bps);
    if (dieAt !== undefined && frac() > dieAt) done = Math.max(done, dieAt * total);
    last = now;
    onAdvance(done);
    ctx.io.out(line());
  }
  if (dieAt !== undefined && dieAt >= 1) throw new ToolExit(137, '');
}

async function backupFull(ctx: BrCtx, run: OpRun): Promise<void> {
  const { sim, io } = ctx;
  brLogLine(io);
  const c = requireCluster(ctx);
  checkVersion(ctx, c);
  await run.preflight();
  const { uri, dir } = storageArg(ctx);
  if (readBackupMeta(dir)) {
    throw new ToolExit(1, `[BR:Common:ErrInvalidArgument]backup meta file exists in ${uri}, there may be some backup files in the path already, please specify a correct backup directory!`);
  }
  const resumable = brBackupResumes(ctx.brVersion);
  const cp = resumable ? readCheckpoint(dir) : undefined;
  if (!cp && hasBackupLock(dir)) {
    const text = brLockedStorageText(ctx.brVersion, uri, hasPartialSst(dir));
    if (text) throw new ToolExit(1, `${text}: [BR:Common:ErrInvalidArgument]invalid argument`);
  }
  writeBackupLock(dir);
  let backupTs: bigint;
  let done = 0;
  if (cp && cp.cluster_name === c.name) {
    backupTs = BigInt(cp.backup_ts);
    done = cp.done_bytes;
    io.out(`[INFO] [checkpoint] ["resume checkpoint backup"] [BackupTS=${backupTs}] [progress=${cp.total_bytes ? ((done / cp.total_bytes) * 100).toFixed(2) : 0}%]`);
  } else {
    const given = ctx.p.flags.get('backupts');
    backupTs = given && /^\d+$/.test(given) ? BigInt(given) : sim.fleet.tso.next();
  }
  if (backupTs <= c.gcSafePoint) {
    throw new ToolExit(1, `[BR:Backup:ErrBackupGCSafepointExceeded]backup GC safepoint exceeded, GC safepoint: ${c.gcSafePoint}, backup ts: ${backupTs}`);
  }
  const serviceId = `br-${randomUUID()}`;
  c.serviceSafePoints.set(serviceId, { serviceId, safePoint: backupTs - 1n, expiresAtMs: Date.now() + BR_SAFEPOINT_TTL_MS });
  const snap = clusterChecksum(c, backupTs);
  const total = snap.totalBytes;
  const bps = bytesPerSec(ctx, countRole(c, 'tikv'));
  const started = Date.now();
  // From v6.5 progress goes to a checkpoint; before, an interrupted run leaves only its SST files.
  const saveCp = (d: number) =>
    resumable ? writeCheckpoint(dir, { backup_ts: backupTs.toString(), cluster_name: c.name, done_bytes: d, total_bytes: total }) : d > 0 && writePartialSst(dir);
  saveCp(done);
  try {
    await transfer(ctx, run, 'Full Backup', done, total, bps, Math.max(1, snap.tables.length), saveCp);
  } catch (e) {
    // An interrupted backup keeps its safepoint for the checkpoint TTL, so a re-run can resume.
    const sp = c.serviceSafePoints.get(serviceId);
    if (sp && resumable) sp.expiresAtMs = Date.now() + CHECKPOINT_SAFEPOINT_TTL_MS;
    throw e;
  }
  const tables: BackupTable[] = snap.tables.map((t) => ({
    db: t.db,
    table: t.table,
    rows: t.totalKvs,
    bytes: t.totalBytes,
    checksum: t.checksum,
    unique_key: c.tables.get(tableKey(t.db, t.table))?.uniqueKey !== false,
  }));
  writeBackup(
    dir,
    {
      end_version: backupTs.toString(),
      start_version: '0',
      cluster_name: c.name,
      cluster_version: c.version,
      br_version: ctx.brVersion,
      size: total,
      total_kvs: snap.totalKvs,
      finished_at: new Date().toISOString(),
    },
    tables,
    c.users.map((u) => ({ ...u, privileges: [...u.privileges] })),
  );
  removeCheckpoint(dir);
  removePartialSst(dir);
  // BR deletes its safepoint when it finishes — nothing protects BackupTS from now on.
  for (const [id] of c.serviceSafePoints) if (id.startsWith('br-')) c.serviceSafePoints.delete(id);
  const took = Date.now() - started;
  io.out(
    `[Full Backup success summary] [total-ranges=${tables.length}] [ranges-succeed=${tables.length}] [ranges-failed=0] [backup-checksum=${formatDurationShort(5)}] ` +
      `[total-take=${formatDurationShort(took)}] [BackupTS=${backupTs}] [total-kv=${snap.totalKvs}] [total-kv-size=${humanBytes(total)}] ` +
      `[average-speed=${humanBytes(took > 0 ? (total / took) * 1000 : total)}/s] [backup-data-size(after-compressed)=${humanBytes(total)}] [Size=${total}]`,
  );
}

async function restoreFull(ctx: BrCtx, run: OpRun): Promise<void> {
  const { sim, io } = ctx;
  brLogLine(io);
  const c = requireCluster(ctx);
  checkVersion(ctx, c);
  await run.preflight();
  const { uri, dir } = storageArg(ctx);
  const meta = readBackupMeta(dir);
  if (!meta) throw new ToolExit(1, `[BR:Common:ErrInvalidArgument]failed to read backupmeta in ${uri}: file not found, the backup may be incomplete`);
  const src = meta.cluster_version;
  if (brBackupTooNew(ctx.brVersion, src, c.version)) {
    throw new ToolExit(1, `backup with cluster version ${src} cannot be restored at cluster of version ${c.version}: major version mismatches: [BR:Restore:ErrVersionMismatch]version mismatch`);
  }
  const sysDefault = brWithSysTableDefault(ctx.brVersion);
  const withSys = sysDefault !== undefined && flagBool(ctx.p, 'with-sys-table', sysDefault);
  // CheckSysTableCompatibility: only when the system tables are restored.
  const [backupColl, clusterColl] = [privilegeTableCollation(src), privilegeTableCollation(c.version)];
  if (withSys && backupColl !== clusterColl) {
    throw new ToolExit(
      1,
      `incompatible column, table: db, col in cluster: DB char(64) ${clusterColl}, col in backup: DB char(64) ${backupColl}: [BR:Restore:ErrRestoreIncompatibleSys]incompatible system table`,
    );
  }
  const backupKey = `${dir}#${meta.end_version}`;
  const resuming = brRestoreResumes(ctx.brVersion) && c.restoreCheckpoint?.backupKey === backupKey;
  if (!resuming && brChecksFreshCluster(ctx.brVersion, withSys) && c.tables.size > 0) {
    throw new ToolExit(1, `user db/tables: ${userDbTables(c)}: [BR:Restore:ErrRestoreNotFreshCluster]cluster is not fresh`);
  }
  if (resuming) io.out(`[INFO] [checkpoint] ["resume checkpoint restore"] [restored-tables=${c.restoreCheckpoint!.restoredTables.length}]`);
  // Without a checkpoint a re-run ingests every table again: same keys, same values (gluetidb
  // CreateTable OnExistIgnore); a table holding other data fails the checksum at the end.
  const cp = resuming ? c.restoreCheckpoint! : { backupKey, restoredTables: [] as string[] };
  c.restoreCheckpoint = cp;
  const tables = readBackupTables(dir, meta);
  const total = tables.reduce((a, t) => a + t.bytes, 0);
  // Cumulative end offset of each table; a table appears in the target once progress passes it.
  let acc = 0;
  const ends = tables.map((t) => (acc += t.bytes));
  const isDone = (t: BackupTable) => cp.restoredTables.includes(tableKey(t.db, t.table));
  let checksumMismatch = false;
  const done0 = tables.reduce((a, t) => a + (isDone(t) ? t.bytes : 0), 0);
  const applyUpTo = (d: number) => {
    tables.forEach((t, i) => {
      if (isDone(t) || ends[i] > d + 1e-6) return;
      const existing = c.tables.get(tableKey(t.db, t.table));
      cp.restoredTables.push(tableKey(t.db, t.table));
      if (existing) {
        // Re-ingested over a previous run's rows: unchanged when they are the backup's.
        if (tableChecksum(existing).checksum !== t.checksum) checksumMismatch = true;
        return;
      }
      const tt = ensureTable(c, t.db, t.table);
      tt.uniqueKey = t.unique_key !== false;
      if (t.rows || t.bytes || t.checksum !== '0') tt.events.push({ ts: sim.fleet.tso.next(), rowsDelta: t.rows, bytesDelta: t.bytes, hash: BigInt(t.checksum) });
    });
  };
  const bps = bytesPerSec(ctx, countRole(c, 'tikv'));
  const started = Date.now();
  applyUpTo(done0);
  await transfer(ctx, run, 'Full Restore', done0, total, bps, Math.max(1, tables.length), applyUpTo);
  applyUpTo(total);
  if (checksumMismatch) {
    c.restoreCheckpoint = undefined;
    throw new ToolExit(1, 'failed to validate checksum: [BR:Restore:ErrRestoreChecksumMismatch]restore checksum mismatch');
  }
  if (withSys) {
    // BR clears the privilege tables (keeping cloud_admin) and loads the backup's rows.
    const keep = c.users.filter((u) => u.user === 'cloud_admin' && u.host === '%');
    const restored = readBackupUsers(dir).filter((u) => !(u.user === 'cloud_admin' && u.host === '%'));
    c.users = [...keep, ...restored.map((u) => ({ ...u, privileges: [...u.privileges] }))];
  }
  c.restoreCheckpoint = undefined;
  const took = Date.now() - started;
  const restoreTs = sim.fleet.tso.next();
  io.out(
    `[Full Restore success summary] [total-ranges=${tables.length}] [ranges-succeed=${tables.length}] [ranges-failed=0] [split-region=${formatDurationShort(3)}] ` +
      `[restore-ranges=${tables.length}] [total-take=${formatDurationShort(took)}] [restore-data-size(after-compressed)=${humanBytes(total)}] [Size=${total}] ` +
      `[BackupTS=${meta.end_version}] [RestoreTS=${restoreTs}] [total-kv=${meta.total_kvs}] [total-kv-size=${humanBytes(total)}] [average-speed=${humanBytes(took > 0 ? (total / took) * 1000 : total)}/s]`,
  );
}

/** GetExistedUserDBs text: each user db followed by its tables, at most 10 names (br/pkg/restore/client.go CheckTargetClusterFresh). */
function userDbTables(c: ClusterModel): string {
  const names: string[] = [];
  const byDb = new Map<string, string[]>();
  for (const t of c.tables.values()) byDb.set(t.db, [...(byDb.get(t.db) ?? []), t.table]);
  for (const [db, tables] of byDb) names.push(db, ...tables);
  return names.length > 10 ? `${names.slice(0, 10).join(', ')}, ...` : names.join(', ');
}

async function validateDecode(ctx: BrCtx, run: OpRun): Promise<void> {
  brLogLine(ctx.io);
  await run.preflight();
  if (run.dieAt !== undefined) throw new ToolExit(137, '');
  const field = ctx.p.flags.get('field') ?? '';
  const { uri, dir } = storageArg(ctx);
  const meta = readBackupMeta(dir);
  if (!meta) throw new ToolExit(1, `[BR:Common:ErrInvalidArgument]failed to read backupmeta in ${uri}: file not found, the backup may be incomplete`);
  const fields: Record<string, string> = {
    'end-version': meta.end_version,
    'start-version': meta.start_version,
    'cluster-version': meta.cluster_version,
    'br-version': meta.br_version,
  };
  if (!(field in fields)) throw new ToolExit(1, `[BR:Common:ErrInvalidArgument]field '${field}' is not supported; use end-version`);
  ctx.io.out(fields[field]);
}
