// At most one run of one TiUP/BR operation on one cluster, across worker crashes (issue "Two tool runs at once").
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBrClient, type BrClientOptions } from '../../adapters/br.js';
import { createTiupClient, type TiupClientOptions } from '../../adapters/tiup.js';

const fakeTiup = fileURLToPath(new URL('../fixtures/fake-tools/fake-tiup.mjs', import.meta.url));
const runner = fileURLToPath(new URL('../fixtures/lease-runner.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

let dir: string;
let tiupHome: string;
let leaseDir: string;
let runlog: string;
let recordFile: string;
const started: ChildProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tool-lease-test-'));
  tiupHome = join(dir, 'tiup-home');
  leaseDir = join(tiupHome, 'tiem-leases');
  runlog = join(dir, 'runs.log');
  recordFile = join(dir, 'calls.jsonl');
});

afterEach(() => {
  // Never leave a fake tool or a stand-in worker behind, whatever the test did.
  for (const r of runs()) for (const pid of [r.pid, ...r.children]) tryKill(pid);
  for (const c of started.splice(0)) if (c.pid) tryKill(c.pid);
  rmSync(dir, { recursive: true, force: true });
});

function tryKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 20000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('waitFor timed out');
    await sleep(25);
  }
}

/** Running, i.e. neither gone nor a zombie waiting for an init that reaps lazily. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

interface Run {
  pid: number;
  start: number;
  end?: number;
  how?: 'stop' | 'term';
  cmd: string;
  /** Pids of earlier runs (and their children) that still ran when this one started. */
  alive: number[];
  children: number[];
}

/** The fake tool's run log (see fake-tiup.mjs), one entry per tool run. */
function runs(): Run[] {
  if (!runlog || !existsSync(runlog)) return [];
  const byPid = new Map<number, Run>();
  const list: Run[] = [];
  let last: Run | undefined;
  for (const line of readFileSync(runlog, 'utf8').split('\n')) {
    let m = /^start (\d+) (\d+) (\S+ \S+) alive=(.*)$/.exec(line);
    if (m) {
      last = { pid: Number(m[1]), start: Number(m[2]), cmd: m[3], alive: m[4] ? m[4].split(',').map(Number) : [], children: [] };
      byPid.set(last.pid, last);
      list.push(last);
      continue;
    }
    if ((m = /^child (\d+)$/.exec(line)) && last) last.children.push(Number(m[1]));
    if ((m = /^(stop|term) (\d+) (\d+)$/.exec(line))) {
      const r = byPid.get(Number(m[2]));
      if (r && r.end === undefined) Object.assign(r, { how: m[1], end: Number(m[3]) });
    }
  }
  return list;
}

/** Pairs of runs whose [start, end] intervals intersect (a run without an end lasts forever). */
function overlaps(list: Run[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const [a, b] = [list[i], list[j]];
      if (a.start < (b.end ?? Infinity) && b.start < (a.end ?? Infinity)) out.push(`${a.pid}/${b.pid}`);
    }
  }
  return out;
}

const leaseFiles = () => (existsSync(leaseDir) ? readdirSync(leaseDir).sort() : []);
const invocations = () => (existsSync(recordFile) ? readFileSync(recordFile, 'utf8').trim().split('\n').filter(Boolean) : []);
const sha16 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

/** Lease timings for tests; passed through a variable so this file also compiles against a client without them. */
type LeaseTimings = { staleMs?: number; refreshMs?: number; pollMs?: number };

function tiupClient(fake: Record<string, string> = {}, lease?: LeaseTimings) {
  const o = {
    tiupBin: fakeTiup,
    tiupHome,
    sshUser: 'tidb',
    sshKeyPath: '/home/tidb/.ssh/very_private_key',
    env: { FAKE_TIUP_RUNLOG: runlog, FAKE_TIUP_RECORD: recordFile, ...fake },
    tmpDir: dir,
    ...(lease ? { lease } : {}),
  };
  return createTiupClient(o as TiupClientOptions);
}

function brClient(fake: Record<string, string> = {}, lease?: LeaseTimings) {
  const o = { tiupBin: fakeTiup, tiupHome, env: { FAKE_TIUP_RUNLOG: runlog, FAKE_TIUP_RECORD: recordFile, ...fake }, logPollMs: 50, ...(lease ? { lease } : {}) };
  return createBrClient(o as BrClientOptions);
}

/** Writes a lease as another (or a crashed) worker would have left it; `ageMs` back-dates its mtime. */
function writeLease(key: string, fields: Record<string, unknown>, ageMs = 0): string {
  mkdirSync(leaseDir, { recursive: true });
  const file = join(leaseDir, `${key}.json`);
  writeFileSync(
    file,
    JSON.stringify({ version: 1, key, operation: 'tiup cluster stop', startedAt: new Date(Date.now() - ageMs).toISOString(), token: 'foreign-token', ...fields }),
  );
  if (ageMs) {
    const t = (Date.now() - ageMs) / 1000;
    utimesSync(file, t, t);
  }
  return file;
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const c = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((r) => c.on('exit', r));
  return c.pid!;
}

describe('tool lease: a crashed worker', () => {
  it('has its orphaned tool group killed before the retry runs, and the two runs never overlap', async () => {
    // The "worker": a separate Node process running `tiup cluster deploy` through the tiup client.
    const worker = spawn(process.execPath, ['--import', 'tsx', runner, fakeTiup, tiupHome, 'deploy', 'c1'], {
      cwd: repoRoot,
      env: { ...process.env, FAKE_TIUP_RUNLOG: runlog, FAKE_TIUP_HOLD_MS: '60000', FAKE_TIUP_CHILD: 'stubborn' },
      stdio: 'ignore',
    });
    started.push(worker);
    const orphan = await waitFor(() => runs().find((r) => r.children.length > 0), 60000);

    // Crash it the hard way. The tool is in its own process group, so it and its grandchild live on.
    const gone = new Promise((r) => worker.on('exit', r));
    worker.kill('SIGKILL');
    await gone;
    await sleep(200);
    expect(alive(orphan.pid)).toBe(true);
    expect(alive(orphan.children[0])).toBe(true);

    // Temporal's retry of the activity, on another worker of this host.
    const lines: string[] = [];
    await tiupClient({ FAKE_TIUP_HOLD_MS: '300' }).deploy('c1', 'v7.5.1', 'global: {}\n', { onLine: (_s, l) => lines.push(l) });

    const all = runs();
    expect(all.map((r) => r.cmd)).toEqual(['cluster deploy', 'cluster deploy']);
    const retry = all[1];
    expect(retry.alive).toEqual([]); // neither the orphan nor its grandchild ran when the retry started
    expect(overlaps(all)).toEqual([]);
    expect(orphan.pid).toBe(all[0].pid);
    expect(all[0].how).toBe('term');
    expect(retry.start).toBeGreaterThanOrEqual(all[0].end!);
    expect(retry.how).toBe('stop');
    expect(alive(orphan.pid)).toBe(false);
    expect(alive(orphan.children[0])).toBe(false); // ignored SIGTERM: SIGKILLed after the grace period
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`killed orphan run of tiup cluster deploy left by a dead worker \\(pgid ${orphan.pid}\\)`)));
    expect(leaseFiles()).toEqual([]);
  });

  it('a stale lease whose tool group and worker are dead is taken at once', async () => {
    const dead = await deadPid();
    writeLease('cluster-c1', { hostname: hostname(), workerPid: dead, pgid: dead });
    const lines: string[] = [];
    const t0 = Date.now();
    await tiupClient().stop('c1', { onLine: (_s, l) => lines.push(l) });
    expect(Date.now() - t0).toBeLessThan(10000); // no waiting for the stale period
    expect(runs()).toHaveLength(1);
    expect(lines.join('\n')).not.toMatch(/killed orphan/);
    expect(leaseFiles()).toEqual([]);
  });

  it('finds the orphan by the lease token in its environment when the worker died before recording its pgid', async () => {
    const dead = await deadPid();
    // The tool as a crashed worker started it: own process group, lease token in its environment.
    const tool = spawn(process.execPath, [fakeTiup, 'cluster', 'stop', 'c1'], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, FAKE_TIUP_RUNLOG: runlog, FAKE_TIUP_HOLD_MS: '60000', TIEM_TOOL_LEASE: 'token-of-the-crashed-run' },
    });
    started.push(tool);
    await waitFor(() => runs()[0]);
    writeLease('cluster-c1', { hostname: hostname(), workerPid: dead, pgid: null, token: 'token-of-the-crashed-run' });
    const lines: string[] = [];
    await tiupClient().stop('c1', { onLine: (_s, l) => lines.push(l) });
    const all = runs();
    expect(all).toHaveLength(2);
    expect(all[1].alive).toEqual([]);
    expect(alive(tool.pid!)).toBe(false);
    expect(lines).toContainEqual(`killed orphan run of tiup cluster stop left by a dead worker (pgid ${tool.pid})`);
    expect(leaseFiles()).toEqual([]);
  });

  it('never kills a process group whose leader pid was reused by an unrelated process', async () => {
    const dead = await deadPid();
    const unrelated = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
    started.push(unrelated);
    await sleep(200);
    // The recorded tool started at another time than the process now holding that pid.
    writeLease('cluster-c1', { hostname: hostname(), workerPid: dead, pgid: unrelated.pid, toolStartTime: 1 });
    const lines: string[] = [];
    await tiupClient().stop('c1', { onLine: (_s, l) => lines.push(l) });
    expect(alive(unrelated.pid!)).toBe(true);
    expect(lines.join('\n')).not.toMatch(/killed orphan/);
    expect(runs()).toHaveLength(1);
  });

  it('a live worker of this host that holds the lease but has not started its tool yet is waited for', async () => {
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    started.push(holder);
    writeLease('cluster-c1', { hostname: hostname(), workerPid: holder.pid, pgid: null });
    const run = tiupClient({}, { pollMs: 100 }).start('c1');
    await sleep(1500);
    expect(invocations()).toEqual([]);
    holder.kill('SIGKILL');
    await run;
    expect(runs()).toHaveLength(1);
    expect(leaseFiles()).toEqual([]);
  });
});

describe('tool lease: another host', () => {
  it('is waited for, and the wait is abortable', async () => {
    const file = writeLease('cluster-c1', { hostname: 'other-host', workerPid: 4242, pgid: 4243 });
    const before = readFileSync(file, 'utf8');
    const ac = new AbortController();
    const run = tiupClient({}, { pollMs: 100 }).stop('c1', { signal: ac.signal });
    await sleep(1500);
    expect(invocations()).toEqual([]);
    ac.abort();
    const err = (await run.catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('AbortError');
    await sleep(300);
    expect(invocations()).toEqual([]);
    expect(readFileSync(file, 'utf8')).toBe(before); // someone else's lease is left alone
  });

  it('runs once the other host releases it', async () => {
    const file = writeLease('cluster-c1', { hostname: 'other-host', workerPid: 4242, pgid: 4243 });
    const run = tiupClient({}, { pollMs: 100 }).stop('c1');
    await sleep(1200);
    expect(invocations()).toEqual([]);
    const released = Date.now();
    rmSync(file);
    await run;
    expect(runs()).toHaveLength(1);
    expect(runs()[0].start).toBeGreaterThanOrEqual(released);
    expect(leaseFiles()).toEqual([]);
  });

  it('is taken over when it has not been refreshed for the stale period', async () => {
    writeLease('cluster-c1', { hostname: 'other-host', workerPid: 4242, pgid: 4243 }, 120_000);
    const t0 = Date.now();
    await tiupClient().stop('c1');
    expect(Date.now() - t0).toBeLessThan(10000);
    expect(runs()).toHaveLength(1);
    expect(leaseFiles()).toEqual([]);
  });
});

describe('tool lease: contenders and ownership', () => {
  it('two contenders for a stale lease never run the tool at the same time', async () => {
    writeLease('cluster-c1', { hostname: 'other-host' }, 120_000);
    const c = tiupClient({ FAKE_TIUP_HOLD_MS: '800' }, { pollMs: 50 });
    const results = await Promise.allSettled([c.start('c1'), c.start('c1')]);
    expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
    const all = runs();
    expect(all.length).toBeGreaterThanOrEqual(1);
    for (const r of all) expect(r.alive).toEqual([]);
    expect(overlaps(all)).toEqual([]);
    expect(leaseFiles()).toEqual([]);
  });

  it('refreshes the lease while the tool runs and, at the end, removes it only if it is still its own', async () => {
    const run = tiupClient({ FAKE_TIUP_HOLD_MS: '2000' }, { refreshMs: 200 }).stop('c1');
    const file = join(leaseDir, 'cluster-c1.json');
    await waitFor(() => runs()[0]);
    const m1 = statSync(file).mtimeMs;
    await sleep(700);
    expect(statSync(file).mtimeMs).toBeGreaterThan(m1);
    // Another worker took the lease over meanwhile: the end of this run must leave theirs in place.
    rmSync(file);
    writeLease('cluster-c1', { hostname: 'other-host' });
    await run;
    expect(JSON.parse(readFileSync(file, 'utf8')).hostname).toBe('other-host');
  });
});

describe('tool lease: what takes one and what is in it', () => {
  it('read-only commands take no lease, mutating ones do', async () => {
    const c = tiupClient({ FAKE_TIUP_HOLD_MS: '600' });
    const storage = 's3://backups/b1';
    const seen = new Set<string>();
    const watch = setInterval(() => leaseFiles().forEach((f) => seen.add(f)), 20);
    try {
      await c.display('c1');
      await c.list();
      await c.showConfig('c1');
      await brClient({ FAKE_TIUP_HOLD_MS: '600' }).decodeEndVersion({ version: 'v7.5.1', storage });
      expect([...seen]).toEqual([]);
      await c.stop('c1');
    } finally {
      clearInterval(watch);
    }
    expect([...seen]).toEqual(['cluster-c1.json']);
    expect(leaseFiles()).toEqual([]);
  });

  it('read-only commands are not blocked by a held lease', async () => {
    writeLease('cluster-c1', { hostname: 'other-host' });
    const t0 = Date.now();
    await tiupClient().display('c1');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('records the tool pgid, worker pid, host and operation, and no argv value (BR backup/restore, tiup deploy)', async () => {
    const storage = 's3://backups/b1?access-key=AKIA123&secret-access-key=TOPSECRET';
    const pd = '127.0.2.11:2379';
    const readLease = (file: string) =>
      waitFor(() => {
        try {
          const text = readFileSync(file, 'utf8');
          return typeof JSON.parse(text).pgid === 'number' ? text : undefined;
        } catch {
          return undefined;
        }
      });
    const checks: [string, string, () => Promise<unknown>][] = [
      [`br-backup-${sha16(storage)}`, 'br backup full', () => brClient({ FAKE_TIUP_HOLD_MS: '1500' }).backupFull({ version: 'v7.5.1', pd, storage })],
      [`br-restore-${sha16(pd)}`, 'br restore full', () => brClient({ FAKE_TIUP_HOLD_MS: '1500' }).restoreFull({ version: 'v7.5.1', pd, storage })],
      ['cluster-c1', 'tiup cluster deploy', () => tiupClient({ FAKE_TIUP_HOLD_MS: '1500' }).deploy('c1', 'v7.5.1', 'global: {}\n')],
    ];
    for (const [key, operation, start] of checks) {
      const before = runs().length;
      const run = start();
      const text = await readLease(join(leaseDir, `${key}.json`));
      const tool = await waitFor(() => runs()[before]);
      const lease = JSON.parse(text) as Record<string, unknown>;
      expect(lease).toMatchObject({ key, operation, hostname: hostname(), workerPid: process.pid, pgid: tool.pid });
      expect(Number.isNaN(Date.parse(String(lease.startedAt)))).toBe(false);
      for (const value of ['TOPSECRET', 'AKIA123', 's3:', 'backups', '127.0.2.11', 'v7.5.1', 'very_private_key', 'topology', '--', dir]) {
        expect(text).not.toContain(value);
      }
      await run;
      expect(leaseFiles()).toEqual([]);
    }
  });
});
