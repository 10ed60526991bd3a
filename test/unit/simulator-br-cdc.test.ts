// BR backup/restore/validate through the `tiup` executable, and TiCDC OpenAPI v2 over HTTP.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import mysql from 'mysql2/promise';
import { startSimulator, type StartedSimulator } from '../../simulator/launch.js';
import { SimulatorClient, type SeedClusterRequest } from '../../simulator/client.js';

let sim: StartedSimulator;
let client: SimulatorClient;
let work: string;

const GiB = 1024 ** 3;

function tiup(...args: string[]) {
  return execa(sim.tiupBin, args, { env: { ...sim.env, TIUP_HOME: path.join(work, 'tiup-home') }, cwd: work, reject: false });
}

function seed(name: string, version: string, host: string, extra: Partial<SeedClusterRequest> = {}): SeedClusterRequest {
  return {
    name,
    version,
    rootPassword: `${name}-root-pw`,
    instances: [
      { role: 'pd', host, port: 2379 },
      { role: 'tikv', host, port: 20160 },
      { role: 'tikv', host, port: 20161, statusPort: 20181 },
      { role: 'tidb', host, port: 4000 },
      { role: 'cdc', host, port: 8300 },
    ],
    tables: [],
    ...extra,
  };
}

const storage = (n: string) => `local://${path.join(work, 'backups', n)}`;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-br-test-'));
  sim = await startSimulator({ speed: 200, stateDir: path.join(work, 'state') });
  client = new SimulatorClient(sim.url);
  await client.createCluster(
    seed('src', 'v7.5.1', '127.0.12.1', {
      users: [{ user: 'app', password: 'app-pw', privileges: ['SELECT'] }],
      tables: [
        { db: 'shop', table: 'orders', rows: 100_000, sizeBytes: 2 * GiB },
        { db: 'shop', table: 'items', rows: 5_000, sizeBytes: 1 * GiB },
      ],
    }),
  );
});

afterAll(async () => {
  await sim?.stop();
});

test('backup prints progress and BackupTS; validate decode; existing backup and version mismatch refused', async () => {
  const r = await tiup('br:v7.5.1', 'backup', 'full', '--pd', '127.0.12.1:2379', '--storage', storage('b1'), '--log-file', 'br.log');
  expect(r.exitCode).toBe(0);
  expect(r.stderr).toMatch(/^Starting component `br`: .*br backup full/);
  const progress = r.stdout.split('\n').filter((l) => /^\[progress\] \[step="Full Backup"\] \[progress=[\d.]+%\]/.test(l));
  expect(progress.length).toBeGreaterThanOrEqual(2);
  expect(progress[progress.length - 1]).toContain('[progress=100%]');
  const summary = r.stdout.split('\n').find((l) => l.startsWith('[Full Backup success summary]'))!;
  const backupTs = /\[BackupTS=(\d+)\]/.exec(summary)![1];
  expect(/\[Size=(\d+)\]/.exec(summary)![1]).toBe(String(3 * GiB));
  expect(summary).toMatch(/\[total-take=.+\] .*\[total-kv=105000\]/);

  const dec = await tiup('br:v7.5.1', 'validate', 'decode', '--field=end-version', '--storage', storage('b1'));
  expect(dec.exitCode).toBe(0);
  expect(dec.stdout.trim().split('\n').pop()).toBe(backupTs);
  expect(fs.existsSync(path.join(work, 'backups', 'b1', 'backupmeta'))).toBe(true);

  const again = await tiup('br:v7.5.1', 'backup', 'full', '--pd', '127.0.12.1:2379', '--storage', storage('b1'));
  expect(again.exitCode).toBe(1);
  expect(again.stderr).toMatch(/backup meta file exists/);

  // CheckVersionForBR (br/pkg/version/version.go, v6.0+): BR may not be an older major than TiKV
  const mismatch = await tiup('br:v6.5.0', 'backup', 'full', '--pd', '127.0.12.1:2379', '--storage', storage('bx'));
  expect(mismatch.exitCode).toBe(1);
  expect(mismatch.stderr).toContain('[BR:Common:ErrVersionMismatch]');
  expect(mismatch.stderr).toContain('and BR v6.5.0 major version mismatch');

  const none = await tiup('br:v7.5.1', 'validate', 'decode', '--field=end-version', '--storage', storage('nothing'));
  expect(none.exitCode).toBe(1);

  // Restore into a fresh cluster: the target's data equals the source at BackupTS.
  await client.createCluster(seed('dst', 'v7.5.1', '127.0.12.2'));
  const res = await tiup('br:v7.5.1', 'restore', 'full', '--pd', '127.0.12.2:2379', '--storage', storage('b1'));
  expect(res.exitCode).toBe(0);
  expect(res.stdout).toMatch(/\[progress\] \[step="Full Restore"\] \[progress=100%\]/);
  expect(res.stdout).toMatch(new RegExp(`\\[Full Restore success summary\\].*\\[Size=${3 * GiB}\\].*\\[BackupTS=${backupTs}\\]`));
  const srcAt = await client.checksum('src', backupTs);
  const dst = await client.checksum('dst');
  expect(dst.checksum).toBe(srcAt.checksum);
  expect(dst.totalKvs).toBe(105_000);

  // Through SQL too: ADMIN CHECKSUM with tidb_snapshot on the source.
  const s = await mysql.createConnection({ host: '127.0.12.1', port: 4000, user: 'root', password: 'src-root-pw', supportBigNumbers: true, bigNumberStrings: true });
  const d = await mysql.createConnection({ host: '127.0.12.2', port: 4000, user: 'root', password: 'dst-root-pw', supportBigNumbers: true, bigNumberStrings: true });
  try {
    await s.query(`SET @@tidb_snapshot = '${backupTs}'`);
    const [a] = await s.query('ADMIN CHECKSUM TABLE `shop`.`orders`');
    const [b] = await d.query('ADMIN CHECKSUM TABLE `shop`.`orders`');
    expect(b).toEqual(a);
    expect((a as Record<string, string>[])[0]).toMatchObject({ Db_name: 'shop', Table_name: 'orders', Total_kvs: '100000' });
  } finally {
    await s.end();
    await d.end();
  }
  // v7.5 BR does not restore system tables by default: target accounts are untouched.
  expect((await client.cluster('dst')).users.map((u) => u.user)).toEqual(['root']);

  const nonEmpty = await tiup('br:v7.5.1', 'restore', 'full', '--pd', '127.0.12.2:2379', '--storage', storage('b1'));
  expect(nonEmpty.exitCode).toBe(1);
  // v7.3+: every first full restore checks the target is fresh (br/pkg/task/restore.go, pingcap/tidb #45014)
  expect(nonEmpty.stderr).toContain('user db/tables: shop, items, orders: [BR:Restore:ErrRestoreNotFreshCluster]cluster is not fresh');
});

test('a pre-v7.5 backup restores into v7.5 without its system tables, and is refused with them; sys-table restore on >= v7.6', async () => {
  await client.createCluster(seed('old', 'v7.1.5', '127.0.12.3', { tables: [{ db: 'a', table: 'x', rows: 10, sizeBytes: 1000 }] }));
  await client.createCluster(seed('new75', 'v7.5.2', '127.0.12.4'));
  expect((await tiup('br:v7.1.5', 'backup', 'full', '--pd', '127.0.12.3:2379', '--storage', storage('old'))).exitCode).toBe(0);
  // CheckSysTableCompatibility: mysql.db's collation changed for clusters bootstrapped at v7.5 (pkg/session/bootstrap.go @ v7.5.0)
  const bad = await tiup('br:v7.5.2', 'restore', 'full', '--pd', '127.0.12.4:2379', '--storage', storage('old'), '--with-sys-table=true');
  expect(bad.exitCode).toBe(1);
  expect(bad.stderr).toContain('incompatible column, table: db, col in cluster: DB char(64) utf8mb4_general_ci, col in backup: DB char(64) utf8_bin: [BR:Restore:ErrRestoreIncompatibleSys]');
  const dataOnly = await tiup('br:v7.5.2', 'restore', 'full', '--pd', '127.0.12.4:2379', '--storage', storage('old'), '--with-sys-table=false');
  expect(dataOnly.exitCode).toBe(0);
  expect((await client.checksum('new75')).totalKvs).toBe(10);

  await client.createCluster(
    seed('s76', 'v7.6.0', '127.0.12.5', { users: [{ user: 'app', password: 'app-pw', privileges: ['SELECT'] }], tables: [{ db: 'a', table: 'y', rows: 1, sizeBytes: 100 }] }),
  );
  await client.createCluster(seed('t76', 'v7.6.0', '127.0.12.6'));
  expect((await tiup('br:v7.6.0', 'backup', 'full', '--pd', '127.0.12.5:2379', '--storage', storage('s76'))).exitCode).toBe(0);
  expect((await tiup('br:v7.6.0', 'restore', 'full', '--pd', '127.0.12.6:2379', '--storage', storage('s76'))).exitCode).toBe(0);
  // The target's root password is now the source's; the source's accounts came along.
  await expect(mysql.createConnection({ host: '127.0.12.6', port: 4000, user: 'root', password: 't76-root-pw' })).rejects.toMatchObject({ errno: 1045 });
  const conn = await mysql.createConnection({ host: '127.0.12.6', port: 4000, user: 'root', password: 's76-root-pw' });
  await conn.end();
  expect((await client.cluster('t76')).users.map((u) => `${u.user}@${u.host}`).sort()).toEqual(['app@%', 'root@%']);
});

test('killing tiup br mid-way, then re-running the same command resumes from the checkpoint', async () => {
  await client.createCluster(seed('big', 'v8.1.1', '127.0.12.7', { tables: [{ db: 'd', table: 'huge', rows: 1e6, sizeBytes: 400 * GiB }] }));
  // 400 GiB / (2 TiKV × 100 MiB/s × 200) ≈ 10 s
  const first = execa(sim.tiupBin, ['br:v8.1.1', 'backup', 'full', '--pd', '127.0.12.7:2379', '--storage', storage('big')], {
    env: { ...sim.env, TIUP_HOME: path.join(work, 'tiup-home') },
    reject: false,
  });
  let lastPct = 0;
  await new Promise<void>((resolve) => {
    first.stdout!.on('data', (d: Buffer) => {
      for (const m of d.toString().matchAll(/\[progress=([\d.]+)%\]/g)) lastPct = Number(m[1]);
      if (lastPct >= 10) resolve();
    });
  });
  first.kill('SIGTERM');
  expect((await first).exitCode).toBe(143);
  const info = await client.cluster('big');
  expect(info.serviceSafePoints.some((s) => s.serviceId.startsWith('br-'))).toBe(true);

  await client.setSpeed(2000);
  const second = await tiup('br:v8.1.1', 'backup', 'full', '--pd', '127.0.12.7:2379', '--storage', storage('big'));
  await client.setSpeed(200);
  expect(second.exitCode).toBe(0);
  expect(second.stdout).toContain('resume checkpoint backup');
  const firstPct = Number(/\[progress=([\d.]+)%\]/.exec(second.stdout)![1]);
  expect(firstPct).toBeGreaterThanOrEqual(lastPct);
  const ops = await client.operations({ op: 'br.backup', cluster: 'big' });
  expect(ops.map((o) => o.exitCode)).toEqual([143, 0]);
});

test('die fault exits 137 part-way; fail fault once then success', async () => {
  await client.createCluster(seed('faulty', 'v8.1.1', '127.0.12.8', { tables: [{ db: 'd', table: 't', rows: 100, sizeBytes: 40 * GiB }] }));
  await client.addFault({ op: 'br.backup', cluster: 'faulty', mode: 'die', atPercent: 30 });
  const died = await tiup('br:v8.1.1', 'backup', 'full', '--pd', '127.0.12.8:2379', '--storage', storage('faulty'));
  expect(died.exitCode).toBe(137);
  expect(died.stdout).not.toContain('success summary');
  await client.addFault({ op: 'br.backup', cluster: 'faulty', mode: 'fail', message: 'injected: s3 throttled' });
  const failed = await tiup('br:v8.1.1', 'backup', 'full', '--pd', '127.0.12.8:2379', '--storage', storage('faulty'));
  expect(failed.exitCode).toBe(1);
  expect(failed.stderr).toContain('injected: s3 throttled');
  const ok = await tiup('br:v8.1.1', 'backup', 'full', '--pd', '127.0.12.8:2379', '--storage', storage('faulty'));
  expect(ok.exitCode).toBe(0);
  expect(ok.stdout).toContain('resume checkpoint backup');
});

test('TiCDC changefeed replicates new writes; ErrStartTsBeforeGC after gc/advance', async () => {
  await client.createCluster(seed('up', 'v7.5.1', '127.0.12.9', { tables: [{ db: 'app', table: 'ev', rows: 10, sizeBytes: 1000 }] }));
  await client.createCluster(seed('down', 'v7.5.1', '127.0.12.10'));
  const cdc = 'http://127.0.12.9:8300';
  expect((await fetch(`${cdc}/api/v2/health`)).status).toBe(200);

  const startTs = await client.tso();
  const sink = 'mysql://root:down-root-pw@127.0.12.10:4000/';
  const create = await fetch(`${cdc}/api/v2/changefeeds`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ changefeed_id: 'clone-1', sink_uri: sink, start_ts: Number(startTs) > 0 ? startTs : 0, replica_config: {} }),
  });
  const cf = (await create.json()) as Record<string, unknown>;
  expect(create.status).toBe(200);
  expect(cf).toMatchObject({ id: 'clone-1', state: 'normal', start_ts: startTs });
  expect(String(cf.sink_uri)).not.toContain('down-root-pw');

  const dup = await fetch(`${cdc}/api/v2/changefeeds`, { method: 'POST', body: JSON.stringify({ changefeed_id: 'clone-1', sink_uri: sink, start_ts: startTs }) });
  // ErrChangeFeedAlreadyExists is not in httpBadRequestError (pingcap/tiflow cdc/api/util.go): a 500
  expect(dup.status).toBe(500);
  expect(((await dup.json()) as { error_code: string }).error_code).toBe('CDC:ErrChangeFeedAlreadyExists');

  const badAuth = await fetch(`${cdc}/api/v2/changefeeds`, { method: 'POST', body: JSON.stringify({ changefeed_id: 'clone-2', sink_uri: 'mysql://root:wrong@127.0.12.10:4000/' }) });
  expect(badAuth.status).toBe(400);

  const afterTs = await client.write('up', { db: 'app', table: 'ev', count: 25 });
  let info: Record<string, string> = {};
  await waitFor(async () => {
    info = (await (await fetch(`${cdc}/api/v2/changefeeds/clone-1`)).json()) as Record<string, string>;
    return BigInt(info.checkpoint_ts) >= BigInt(afterTs);
  });
  const up = await client.checksum('up', info.checkpoint_ts);
  const upAtStart = await client.checksum('up', startTs);
  const down = await client.checksum('down');
  // Downstream holds exactly the changes in (start_ts, checkpoint].
  expect(down.totalKvs).toBe(up.totalKvs - upAtStart.totalKvs);
  expect(BigInt(down.checksum)).toBe(BigInt(up.checksum) ^ BigInt(upAtStart.checksum));
  const upInfo = await client.cluster('up');
  expect(upInfo.serviceSafePoints.find((s) => s.serviceId === 'ticdc-default-clone-1')).toBeTruthy();

  const list = (await (await fetch(`${cdc}/api/v2/changefeeds`)).json()) as { total: number; items: { id: string }[] };
  expect(list.total).toBe(1);
  await client.setChangefeedState('clone-1', 'failed', 'injected sink error');
  expect(((await (await fetch(`${cdc}/api/v2/changefeeds/clone-1`)).json()) as { state: string }).state).toBe('failed');

  expect((await fetch(`${cdc}/api/v2/changefeeds/clone-1`, { method: 'DELETE' })).status).toBe(200);
  expect((await fetch(`${cdc}/api/v2/changefeeds/clone-1`, { method: 'DELETE' })).status).toBe(200);
  const gone = await fetch(`${cdc}/api/v2/changefeeds/clone-1`);
  // ErrChangeFeedNotExists is a bad request in TiCDC (cdc/api/util.go httpBadRequestError)
  expect(gone.status).toBe(400);
  expect(((await gone.json()) as { error_code: string }).error_code).toBe('CDC:ErrChangeFeedNotExists');

  const oldTs = await client.tso();
  const sp = await client.advanceGc('up');
  const late = await fetch(`${cdc}/api/v2/changefeeds`, { method: 'POST', body: JSON.stringify({ changefeed_id: 'clone-3', sink_uri: sink, start_ts: oldTs }) });
  expect(late.status).toBe(400);
  expect(await late.json()).toEqual({
    error_code: 'CDC:ErrStartTsBeforeGC',
    error_msg: `[CDC:ErrStartTsBeforeGC]fail to create or maintain changefeed because start-ts ${oldTs} is earlier than or equal to GC safepoint at ${sp}`,
  });
});

async function waitFor(pred: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}
