// Why: a worker killed mid-run leaves its detached tool running, and Temporal's retry would start a second one beside it; this lease keeps one run per operation.
//
// One lease file per operation key under $TIUP_HOME/tiem-leases/<key>.json, created exclusively
// before the spawn, given the tool's pgid right after it, refreshed (mtime) while the tool runs and
// removed at the end if it is still ours. It holds no argv value (argv may carry storage keys).
// A contender that finds a lease: same host → kill the holder's tool group if it still runs (that
// attempt's worker is dead or superseded), take it once the group is gone; other host → wait until
// it is released or has not been refreshed for the stale period. Taking over renames the file aside
// and checks it is the very file (inode) that was judged, so two contenders never both win.
import { randomUUID } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  ftruncateSync,
  futimesSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { abortError, groupAlive, isZombie, procStat, terminateGroup } from './process-group.js';

/** Set in the tool's environment (inherited by what it forks): finds a tool whose pgid never made it into the lease. */
export const LEASE_ENV = 'TIEM_TOOL_LEASE';

export interface LeaseTimings {
  /** A lease from another host not refreshed for this long is abandoned. Default 60 000 ms. */
  staleMs?: number;
  /** How often the holder touches its lease file. Default 10 000 ms. */
  refreshMs?: number;
  /** How often a waiting contender looks again. Default 1000 ms. */
  pollMs?: number;
}

export interface ToolLeaseSpec extends LeaseTimings {
  /** Directory of the lease files, $TIUP_HOME/tiem-leases. */
  dir: string;
  /** Operation key, e.g. `cluster-c1-deploy`: [A-Za-z0-9._-], no secrets (it is a file name). */
  key: string;
}

/** Content of a lease file. */
export interface LeaseRecord {
  version: 1;
  key: string;
  /** Display name of the tool run, e.g. "tiup cluster deploy". Never argv. */
  operation: string;
  hostname: string;
  bootId?: string;
  pidNamespace?: string;
  workerPid: number;
  workerStartTime?: number;
  /** Process group (= pid of the leader) of the tool; null until it is spawned. */
  pgid: number | null;
  toolStartTime?: number;
  startedAt: string;
  /** Random per run; also in the tool's environment as TIEM_TOOL_LEASE. */
  token: string;
}

export interface HeldLease {
  readonly token: string;
  /** Records the tool's process group (its leader's pid) right after the spawn. */
  setTool(pid: number): void;
  /** Stops refreshing and removes the lease file if it is still this one. */
  release(): void;
}

export interface AcquireOptions extends ToolLeaseSpec {
  operation: string;
  signal?: AbortSignal;
  /** Diagnostic lines (an orphan killed, a wait begun), for heartbeats and logs. */
  report?: (line: string) => void;
  /** SIGTERM→SIGKILL grace when killing an orphaned tool group. */
  killGraceMs?: number;
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

interface HostIdentity {
  hostname: string;
  bootId?: string;
  pidNamespace?: string;
}

let host: HostIdentity | undefined;
function thisHost(): HostIdentity {
  if (!host) {
    let pidNamespace: string | undefined;
    try {
      pidNamespace = readlinkSync('/proc/self/ns/pid');
    } catch {
      pidNamespace = undefined;
    }
    host = { hostname: hostname(), bootId: readText('/proc/sys/kernel/random/boot_id'), pidNamespace };
  }
  return host;
}

const hasProc = () => procStat(process.pid) !== undefined;

/** Whether `pid` runs (not a zombie) and, when `startTime` is known, is still the same process. */
function processAlive(pid: number, startTime?: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const s = procStat(pid);
  if (s) return !isZombie(s) && (startTime === undefined || s.startTime === startTime);
  if (hasProc()) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Live process groups of the tool run that `rec` describes (on this host). Never our own group. */
function toolGroups(rec: LeaseRecord): number[] {
  const groups = new Set<number>();
  const ownGroup = procStat(process.pid)?.pgrp;
  if (hasProc() && rec.token) {
    // The token in the environment finds the tool even when the worker died before recording its pgid.
    const tag = Buffer.from(`${LEASE_ENV}=${rec.token}\0`);
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const s = procStat(Number(entry));
      if (!s || isZombie(s)) continue;
      let environ: Buffer;
      try {
        environ = readFileSync(`/proc/${entry}/environ`);
      } catch {
        continue; // gone, or not ours to read
      }
      const at = environ.indexOf(tag);
      if (at === 0 || (at > 0 && environ[at - 1] === 0)) groups.add(s.pgrp);
    }
  }
  const pgid = rec.pgid;
  if (typeof pgid === 'number' && Number.isInteger(pgid) && pgid > 1 && !groups.has(pgid) && groupAlive(pgid)) {
    // A leader pid that now belongs to a younger process means the recorded group ended long ago
    // (a pid is not reused while its process group has members).
    const leader = procStat(pgid);
    const reused = leader !== undefined && rec.toolStartTime !== undefined && leader.startTime !== rec.toolStartTime;
    if (!reused) groups.add(pgid);
  }
  return [...groups].filter((g) => g > 1 && g !== ownGroup);
}

function parseRecord(text: string): LeaseRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<LeaseRecord> | null;
    if (!r || typeof r !== 'object' || typeof r.hostname !== 'string' || typeof r.workerPid !== 'number') return undefined;
    return { ...r, token: typeof r.token === 'string' ? r.token : '', pgid: typeof r.pgid === 'number' ? r.pgid : null } as LeaseRecord;
  } catch {
    return undefined;
  }
}

interface Seen {
  dev: number;
  ino: number;
  ageMs: number;
  rec?: LeaseRecord;
}

/** Stat and content of the lease file, read through one descriptor so both describe the same file. */
function inspect(path: string): Seen | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const st = fstatSync(fd);
    const rec = parseRecord(readFileSync(fd, 'utf8'));
    return { dev: st.dev, ino: st.ino, ageMs: Date.now() - st.mtimeMs, rec };
  } finally {
    closeSync(fd);
  }
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;

/**
 * Removes the lease file at `path` if it is still the file `expected` (same inode): renames it
 * aside, checks what was moved, and puts back a file that turned out to be someone else's.
 */
function removeIfSame(path: string, expected: { dev: number; ino: number }, token: string): boolean {
  const same = (st: { dev: number; ino: number }) => st.dev === expected.dev && st.ino === expected.ino;
  try {
    if (!same(statSync(path))) return false;
  } catch (e) {
    if (errno(e) === 'ENOENT') return false;
    throw e;
  }
  const aside = `${path}.${token}.aside`;
  try {
    renameSync(path, aside);
  } catch (e) {
    if (errno(e) === 'ENOENT') return false;
    throw e;
  }
  if (same(statSync(aside))) {
    unlinkSync(aside);
    return true;
  }
  // Replaced between the check and the rename: restore it (a link keeps the inode its holder refreshes).
  try {
    linkSync(aside, path);
  } catch (e) {
    if (errno(e) !== 'EEXIST') throw e;
  }
  unlinkSync(aside);
  return false;
}

/** Creates the lease file exclusively with its full content; undefined when it exists. Returns an open descriptor. */
function tryCreate(path: string, rec: LeaseRecord): number | undefined {
  const body = JSON.stringify(rec);
  // link(2) of a fully written temp file fails with EEXIST like O_EXCL, and nobody ever reads a half-written lease.
  const tmp = `${path}.${rec.token}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, body);
    linkSync(tmp, path);
    unlinkSync(tmp);
    return fd;
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    if (errno(e) === 'EEXIST') return undefined;
    if (errno(e) !== 'EPERM' && errno(e) !== 'ENOTSUP' && errno(e) !== 'EOPNOTSUPP') throw e;
  }
  // A file system without hard links: plain O_EXCL create.
  let direct: number;
  try {
    direct = openSync(path, 'wx', 0o600);
  } catch (e) {
    if (errno(e) === 'EEXIST') return undefined;
    throw e;
  }
  writeSync(direct, body);
  return direct;
}

type Verdict = { kind: 'take' } | { kind: 'wait'; why: string } | { kind: 'orphans'; groups: number[]; workerAlive: boolean };

function judge(seen: Seen, staleMs: number): Verdict {
  const rec = seen.rec;
  const fresh = seen.ageMs <= staleMs;
  if (!rec) return fresh ? { kind: 'wait', why: 'an unreadable lease' } : { kind: 'take' };
  const me = thisHost();
  const local = rec.hostname === me.hostname && (!rec.pidNamespace || !me.pidNamespace || rec.pidNamespace === me.pidNamespace);
  // Another host (or a container with our hostname but its own pids): its processes are out of reach.
  if (!local) return fresh ? { kind: 'wait', why: `held by ${rec.hostname}` } : { kind: 'take' };
  if (rec.bootId && me.bootId && rec.bootId !== me.bootId) return { kind: 'take' }; // from before a reboot
  const workerAlive = processAlive(rec.workerPid, rec.workerStartTime);
  const groups = toolGroups(rec);
  if (groups.length > 0) return { kind: 'orphans', groups, workerAlive };
  if (rec.pgid !== null) return { kind: 'take' }; // its tool has run and is gone
  // Taken but not yet spawned: wait for that worker, unless it is dead or stuck.
  return workerAlive && fresh ? { kind: 'wait', why: `starting on worker pid ${rec.workerPid}` } : { kind: 'take' };
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Takes the lease of `key`, first killing an orphaned run of it on this host or waiting for a run
 * on another host. Throws an AbortError when `signal` aborts meanwhile.
 */
export async function acquireToolLease(o: AcquireOptions): Promise<HeldLease> {
  if (!KEY.test(o.key)) throw new Error(`invalid tool lease key: ${JSON.stringify(o.key)}`);
  const staleMs = o.staleMs ?? 60_000;
  const pollMs = o.pollMs ?? 1000;
  const refreshMs = o.refreshMs ?? 10_000;
  const report = (line: string) => {
    try {
      o.report?.(line);
    } catch {
      // a failing listener must not break the run
    }
  };
  mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  const path = join(o.dir, `${o.key}.json`);
  const me = thisHost();
  const rec: LeaseRecord = {
    version: 1,
    key: o.key,
    operation: o.operation,
    hostname: me.hostname,
    ...(me.bootId ? { bootId: me.bootId } : {}),
    ...(me.pidNamespace ? { pidNamespace: me.pidNamespace } : {}),
    workerPid: process.pid,
    workerStartTime: procStat(process.pid)?.startTime,
    pgid: null,
    startedAt: new Date().toISOString(),
    token: randomUUID(),
  };

  let waitingFor: string | undefined;
  for (;;) {
    if (o.signal?.aborted) throw abortError(o.signal);
    rec.startedAt = new Date().toISOString();
    const fd = tryCreate(path, rec);
    if (fd !== undefined) return held(fd, path, rec, refreshMs);
    const seen = inspect(path);
    if (!seen) continue; // released meanwhile
    const v = judge(seen, staleMs);
    if (v.kind === 'take') {
      removeIfSame(path, seen, rec.token);
      continue;
    }
    if (v.kind === 'orphans') {
      for (const pgid of v.groups) {
        await terminateGroup(pgid, o.killGraceMs ?? 5000);
        const by = v.workerAlive ? `a superseded attempt (worker pid ${seen.rec!.workerPid})` : 'a dead worker';
        report(`killed orphan run of ${o.operation} left by ${by} (pgid ${pgid})`);
      }
      // Re-judged at once: gone → taken; still there (unkillable for now) → killed again after a pause.
      if (v.groups.some(groupAlive)) await pause(pollMs, o.signal);
      continue;
    }
    if (waitingFor !== v.why) {
      waitingFor = v.why;
      report(`waiting for another run of ${o.operation} (${v.why}) to finish`);
    }
    await pause(pollMs, o.signal);
  }
}

function held(fd: number, path: string, rec: LeaseRecord, refreshMs: number): HeldLease {
  const { dev, ino } = fstatSync(fd);
  // Through the descriptor: touches our file whatever its name, never someone else's.
  const timer = setInterval(() => {
    try {
      const now = new Date();
      futimesSync(fd, now, now);
    } catch {
      // best effort; a missed refresh only matters to other hosts after the stale period
    }
  }, refreshMs);
  timer.unref();
  let released = false;
  return {
    token: rec.token,
    setTool(pid) {
      rec.pgid = pid;
      rec.toolStartTime = procStat(pid)?.startTime;
      // Rewritten in place (longer than before, so readers see the old or the new content).
      const buf = Buffer.from(JSON.stringify(rec));
      try {
        writeSync(fd, buf, 0, buf.length, 0);
        ftruncateSync(fd, buf.length);
      } catch {
        // The environment token still identifies the tool.
      }
    },
    release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      try {
        removeIfSame(path, { dev, ino }, rec.token);
      } finally {
        closeSync(fd);
      }
    },
  };
}
