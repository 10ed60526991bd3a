// The simulator through the real protocols: the `tiup` executable (execa) and TiDB's MySQL protocol (mysql2).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import mysql from 'mysql2/promise';
import { startSimulator, type StartedSimulator } from '../../simulator/launch.js';
import { SimulatorClient } from '../../simulator/client.js';
import { createTiupClient } from '../../adapters/tiup.js';

const HOST = '127.0.11.1';
let sim: StartedSimulator;
let client: SimulatorClient;
let work: string;
let tiupHome: string;

function tiup(...args: string[]) {
  return execa(sim.tiupBin, args, { env: { ...sim.env, TIUP_HOME: tiupHome }, cwd: work, reject: false });
}

const topology = (host: string, tidbPort: number) => `
global:
  user: tidb
  deploy_dir: /tidb-deploy
server_configs:
  tikv:
    storage.block-cache.capacity: 4GiB
pd_servers:
  - host: ${host}
    client_port: 2379
    peer_port: 2380
tikv_servers:
  - host: ${host}
    port: 20160
    status_port: 20180
tidb_servers:
  - host: ${host}
    port: ${tidbPort}
    status_port: 10080
cdc_servers:
  - host: ${host}
    port: 8300
`;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-tiup-test-'));
  tiupHome = path.join(work, 'tiup-home');
  // seeded clusters live under this TIUP_HOME too: tiup-cluster sees only its own home's clusters
  sim = await startSimulator({ speed: 50, stateDir: path.join(work, 'state'), tiupHome });
  client = new SimulatorClient(sim.url);
  fs.writeFileSync(path.join(work, 'topo.yaml'), topology(HOST, 4000));
});

afterAll(async () => {
  await sim?.stop();
});

test('tiup without the simulator URL fails clearly', async () => {
  const r = await execa(sim.tiupBin, ['cluster', 'list'], { env: { TIEM_SIMULATOR_URL: '' }, reject: false });
  expect(r.exitCode).toBe(1);
  expect(r.stderr).toMatch(/TIEM_SIMULATOR_URL is not set/);
});

test('deploy, duplicate refused, display, start, SQL, reload, push, destroy', async () => {
  const noYes = await tiup('cluster', 'deploy', 'c1', 'v7.5.1', 'topo.yaml', '--user', 'tidb', '-i', '/dev/null');
  expect(noYes.exitCode).toBe(1);
  expect(noYes.stderr).toMatch(/operation aborted by user/);

  const dep = await tiup('cluster', 'deploy', 'c1', 'v7.5.1', 'topo.yaml', '--user', 'tidb', '-i', '/dev/null', '--yes');
  expect(dep.stderr).toMatch(/^Starting component `cluster`: .*tiup-cluster deploy c1/);
  expect(dep.exitCode).toBe(0);
  expect(dep.stdout).toMatch(/\+ Generate SSH keys \.\.\. Done/);
  expect(dep.stdout).toContain('Cluster `c1` deployed successfully, you can start it with command: `tiup cluster start c1 --init`');
  const dir = path.join(tiupHome, 'storage', 'cluster', 'clusters', 'c1');
  expect(fs.readFileSync(path.join(dir, 'meta.yaml'), 'utf8')).toMatch(/tidb_version: v7\.5\.1/);
  expect(fs.existsSync(path.join(dir, 'ssh', 'id_rsa'))).toBe(true);
  expect(fs.existsSync(path.join(dir, 'ssh', 'id_rsa.pub'))).toBe(true);

  const dup = await tiup('cluster', 'deploy', 'c1', 'v7.5.1', 'topo.yaml', '--user', 'tidb', '-i', '/dev/null', '--yes', '--format', 'json');
  expect(dup.exitCode).toBe(1);
  expect(dup.stderr).toContain("Cluster name 'c1' is duplicated");
  const last = dup.stderr.trim().split('\n').pop()!;
  expect(JSON.parse(last)).toEqual({ exit_code: 1, error: "Cluster name 'c1' is duplicated" });
  const deploys = await client.operations({ op: 'tiup.cluster.deploy', cluster: 'c1' });
  expect(deploys.filter((o) => o.exitCode === 0)).toHaveLength(1);

  const down = JSON.parse((await tiup('cluster', 'display', 'c1', '--format', 'json')).stdout);
  expect(down.cluster_meta).toMatchObject({ cluster_type: 'tidb', cluster_name: 'c1', cluster_version: 'v7.5.1', deploy_user: 'tidb', tls_enabled: false });
  expect(down.instances.map((i: { status: string }) => i.status)).toEqual(['Down', 'Down', 'Down', 'Down']);
  expect(down.instances[0]).toMatchObject({ id: `${HOST}:2379`, role: 'pd', host: HOST, ports: '2379/2380', ComponentName: 'pd', Port: 2379 });

  const list = JSON.parse((await tiup('cluster', 'list', '--format', 'json')).stdout);
  expect(list.clusters).toEqual([{ name: 'c1', user: 'tidb', version: 'v7.5.1', path: dir, private_key: path.join(dir, 'ssh', 'id_rsa') }]);

  const start = await tiup('cluster', 'start', 'c1', '--yes');
  expect(start.exitCode).toBe(0);
  expect(start.stdout).toContain('Cluster `c1` started successfully');
  const up = JSON.parse((await tiup('cluster', 'display', 'c1', '--format', 'json')).stdout);
  expect(up.instances.map((i: { role: string; status: string }) => `${i.role}:${i.status}`)).toEqual(['pd:Up|L', 'tikv:Up', 'tidb:Up', 'cdc:Up']);

  // Fresh cluster: root with an empty password.
  const conn = await mysql.createConnection({ host: HOST, port: 4000, user: 'root', password: '', supportBigNumbers: true, bigNumberStrings: true });
  try {
    const [[v]] = (await conn.query('SELECT tidb_version()')) as unknown as [Record<string, string>[]];
    expect(v['tidb_version()']).toMatch(/^Release Version: v7\.5\.1\nEdition: Community/);
    const [[ver]] = (await conn.query('SELECT VERSION() AS v')) as unknown as [{ v: string }[]];
    expect(ver.v).toBe('8.0.11-TiDB-v7.5.1');
    await conn.query("ALTER USER 'root'@'%' IDENTIFIED BY 'Secr3t-pw'");
    await conn.query("CREATE USER IF NOT EXISTS 'tiem_admin'@'%' IDENTIFIED BY 'adminpw1'");
    await expect(conn.query("CREATE USER 'tiem_admin'@'%' IDENTIFIED BY 'x'")).rejects.toMatchObject({ errno: 1396 });
    await conn.query("GRANT SELECT, INSERT, RELOAD ON *.* TO 'tiem_admin'@'%'");
    await conn.query('FLUSH PRIVILEGES');
    const [grants] = (await conn.query("SHOW GRANTS FOR 'tiem_admin'@'%'")) as unknown as [Record<string, string>[]];
    expect(Object.values(grants[0])[0]).toBe("GRANT SELECT,INSERT,RELOAD ON *.* TO 'tiem_admin'@'%'");
    const [users] = (await conn.query('SELECT user, host FROM mysql.user')) as unknown as [{ user: string; host: string }[]];
    expect(users).toEqual([{ user: 'root', host: '%' }, { user: 'tiem_admin', host: '%' }]);

    await conn.query("SET GLOBAL tidb_gc_life_time = '720h'");
    const [gv] = (await conn.execute('SELECT VARIABLE_VALUE FROM mysql.GLOBAL_VARIABLES WHERE VARIABLE_NAME = ?', ['tidb_gc_life_time'])) as unknown as [{ VARIABLE_VALUE: string }[]];
    expect(gv).toEqual([{ VARIABLE_VALUE: '720h0m0s' }]);
    await expect(conn.query("SET GLOBAL tidb_gc_life_time = '5m'")).rejects.toMatchObject({ errno: 1231 });
    const [[tso1]] = (await conn.query('SELECT TIDB_CURRENT_TSO() AS tso')) as unknown as [{ tso: string }[]];
    const [[tso2]] = (await conn.query('SELECT TIDB_CURRENT_TSO() AS tso')) as unknown as [{ tso: string }[]];
    expect(BigInt(tso2.tso)).toBeGreaterThan(BigInt(tso1.tso));
    expect(Number(BigInt(tso1.tso) >> 18n)).toBeGreaterThan(Date.now() - 60_000);
    // @@tidb_current_ts: 0 outside a transaction, the start ts inside (pingcap/tidb sessionctx/variable/sysvar.go)
    const [[outside]] = (await conn.query('SELECT @@tidb_current_ts AS tso')) as unknown as [{ tso: string }[]];
    expect(outside.tso).toBe('0');
    await conn.query('BEGIN');
    const [[inside]] = (await conn.query('SELECT @@tidb_current_ts AS tso')) as unknown as [{ tso: string }[]];
    await conn.query('ROLLBACK');
    expect(BigInt(inside.tso)).toBeGreaterThan(BigInt(tso2.tso));
    const [[sp]] = (await conn.query("SELECT VARIABLE_VALUE FROM mysql.tidb WHERE VARIABLE_NAME='tikv_gc_safe_point'")) as unknown as [{ VARIABLE_VALUE: string }[]];
    expect(sp.VARIABLE_VALUE).toMatch(/^\d{8}-\d{2}:\d{2}:\d{2}\.\d{3} \+0000$/);

    await conn.query("SET CONFIG tikv `raftstore.apply-pool-size` = 4");
    const [warnings] = (await conn.query('SHOW WARNINGS')) as unknown as [unknown[]];
    expect(warnings).toEqual([]);
    const [cfg] = (await conn.query("SHOW CONFIG WHERE type='tikv' AND name='raftstore.apply-pool-size'")) as unknown as [Record<string, string>[]];
    expect(cfg).toEqual([{ Type: 'tikv', Instance: `${HOST}:20180`, Name: 'raftstore.apply-pool-size', Value: '4' }]);
    await expect(conn.query('FROBNICATE THE CLUSTER')).rejects.toMatchObject({ errno: 1064 });
  } finally {
    await conn.end();
  }
  await expect(mysql.createConnection({ host: HOST, port: 4000, user: 'root', password: '' })).rejects.toMatchObject({ errno: 1045 });

  // edit-config + reload apply server_configs to the live config.
  fs.writeFileSync(path.join(work, 'topo2.yaml'), topology(HOST, 4000).replace('4GiB', '6GiB'));
  expect((await tiup('cluster', 'edit-config', 'c1', '--topology-file', 'topo2.yaml', '--yes')).exitCode).toBe(0);
  expect((await tiup('cluster', 'show-config', 'c1')).stdout).toContain('6GiB');
  expect((await tiup('cluster', 'reload', 'c1', '-R', 'tikv', '--yes')).exitCode).toBe(0);
  expect((await client.cluster('c1')).config.tikv['storage.block-cache.capacity']).toBe('6GiB');

  // A refused edit exits 0 with "Nothing changed." (pingcap/tiup pkg/cluster/manager/edit_config.go
  // editTopo); the same bytes are "nothing changed"; the adapter takes neither for a saved change.
  const stored = (await tiup('cluster', 'show-config', 'c1')).stdout;
  fs.writeFileSync(path.join(work, 'topo3.yaml'), stored.replace('6GiB', '8GiB').replace(/user: tidb/, 'user: admin'));
  const refused = await tiup('cluster', 'edit-config', 'c1', '--topology-file', 'topo3.yaml', '--yes');
  expect(refused.exitCode).toBe(0);
  expect(refused.stdout).toMatch(/New topology could not be saved: \nNothing changed\.$/);
  expect(refused.stderr).toContain("immutable field changed: GlobalOptions.User changed from 'tidb' to 'admin'");
  expect((await tiup('cluster', 'show-config', 'c1')).stdout).toContain('6GiB');
  fs.writeFileSync(path.join(work, 'topo4.yaml'), `${stored}\n`);
  expect((await tiup('cluster', 'edit-config', 'c1', '--topology-file', 'topo4.yaml', '--yes')).stdout).toBe('The file has nothing changed');
  const adapter = createTiupClient({ tiupBin: sim.tiupBin, tiupHome, sshUser: 'tidb', sshKeyPath: '/k', env: sim.env, tmpDir: work });
  await expect(adapter.editConfig('c1', stored.replace('6GiB', '8GiB').replace(/user: tidb/, 'user: admin'))).rejects.toMatchObject({
    name: 'ToolError',
    toolError: "edit-config refused: immutable field changed: GlobalOptions.User changed from 'tidb' to 'admin'",
  });
  await adapter.editConfig('c1', `${stored}\n`);
  await adapter.editConfig('c1', stored.replace('6GiB', '7GiB'));
  expect((await tiup('cluster', 'show-config', 'c1')).stdout).toContain('7GiB');

  fs.writeFileSync(path.join(work, 'log.toml'), 'level = "warn"\n');
  expect((await tiup('cluster', 'push', 'c1', 'log.toml', '/tidb-deploy/log.toml')).exitCode).toBe(0);
  expect((await client.cluster('c1')).pushedFiles).toEqual([expect.objectContaining({ host: HOST, remotePath: '/tidb-deploy/log.toml', content: 'level = "warn"\n' })]);

  const destroy = await tiup('cluster', 'destroy', 'c1', '--yes');
  expect(destroy.exitCode).toBe(0);
  expect(destroy.stdout).toContain('Destroyed cluster `c1` successfully');
  expect(fs.existsSync(dir)).toBe(false);
  expect(JSON.parse((await tiup('cluster', 'list', '--format', 'json')).stdout).clusters).toEqual([]);
  await expect(mysql.createConnection({ host: HOST, port: 4000, user: 'root', password: 'Secr3t-pw', connectTimeout: 2000 })).rejects.toBeTruthy();
  expect((await tiup('cluster', 'destroy', 'c1', '--yes')).exitCode).toBe(1);
});

test('tiup-cluster sees only the clusters of its own TIUP_HOME (pkg/cluster/manager/list.go)', async () => {
  await client.createCluster({ name: 'homed', version: 'v7.5.1', rootPassword: '', instances: [{ role: 'pd', host: '127.0.11.40' }, { role: 'tikv', host: '127.0.11.40' }, { role: 'tidb', host: '127.0.11.40' }] });
  const other = path.join(work, 'other-home');
  const elsewhere = (...args: string[]) => execa(sim.tiupBin, args, { env: { ...sim.env, TIUP_HOME: other }, cwd: work, reject: false });
  expect(JSON.parse((await tiup('cluster', 'list', '--format', 'json')).stdout).clusters.map((c: { name: string }) => c.name)).toContain('homed');
  expect(JSON.parse((await elsewhere('cluster', 'list', '--format', 'json')).stdout).clusters).toEqual([]);
  const display = await elsewhere('cluster', 'display', 'homed', '--format', 'json');
  expect(display.exitCode).toBe(1);
  expect(display.stderr).toContain('Cluster homed not found');
});

test('fault injection: fail once, then success; SQL fault', async () => {
  await client.createCluster({
    name: 'seeded',
    version: 'v8.1.0',
    rootPassword: 'rootpw-1',
    instances: [
      { role: 'pd', host: '127.0.11.2', port: 2379 },
      { role: 'tikv', host: '127.0.11.2', port: 20160 },
      { role: 'tidb', host: '127.0.11.2', port: 4000 },
    ],
    tables: [{ db: 'app', table: 't1', rows: 10, sizeBytes: 1000 }],
  });
  await client.addFault({ op: 'tiup.cluster.display', cluster: 'seeded', mode: 'fail', message: 'ssh: handshake failed' });
  const bad = await tiup('cluster', 'display', 'seeded', '--format', 'json');
  expect(bad.exitCode).toBe(1);
  expect(bad.stderr).toContain('ssh: handshake failed');
  const good = await tiup('cluster', 'display', 'seeded', '--format', 'json');
  expect(good.exitCode).toBe(0);
  expect(JSON.parse(good.stdout).cluster_meta.cluster_version).toBe('v8.1.0');

  await client.addFault({ op: 'sql.alter user', mode: 'fail', message: 'injected: tikv busy' });
  const conn = await mysql.createConnection({ host: '127.0.11.2', port: 4000, user: 'root', password: 'rootpw-1' });
  try {
    await expect(conn.query("ALTER USER 'root'@'%' IDENTIFIED BY 'rootpw-2'")).rejects.toMatchObject({ errno: 1105, message: 'injected: tikv busy' });
    await conn.query("ALTER USER 'root'@'%' IDENTIFIED BY 'rootpw-2'");
  } finally {
    await conn.end();
  }
  const again = await mysql.createConnection({ host: '127.0.11.2', port: 4000, user: 'root', password: 'rootpw-2' });
  await again.end();

  await client.addFault({ op: 'tiup.cluster.start', cluster: 'seeded', mode: 'hang' });
  const hung = execa(sim.tiupBin, ['cluster', 'start', 'seeded'], { env: { ...sim.env, TIUP_HOME: tiupHome }, reject: false });
  await new Promise((r) => setTimeout(r, 500));
  hung.kill('SIGTERM');
  expect((await hung).exitCode).toBe(143);
  await waitFor(async () => (await client.operations({ op: 'tiup.cluster.start', cluster: 'seeded' }))[0]?.exitCode === 143);
});

type DisplayJson = { instances: { id: string; role: string; status: string }[] };

async function displayStatuses(name: string): Promise<Record<string, string>> {
  const r = await tiup('cluster', 'display', name, '--format', 'json');
  expect(r.exitCode).toBe(0);
  return Object.fromEntries((JSON.parse(r.stdout) as DisplayJson).instances.map((i) => [`${i.role}@${i.id}`, i.status]));
}

async function sqlValue(host: string, port: number, password: string, sql: string): Promise<string> {
  const conn = await mysql.createConnection({ host, port, user: 'root', password, connectTimeout: 2000 });
  try {
    const [rows] = (await conn.query(sql)) as unknown as [Record<string, string>[]];
    return String(Object.values(rows[0])[0]);
  } finally {
    await conn.end();
  }
}

describe('start/stop -R/-N act on the selected instances only', () => {
  const H = '127.0.11.3';
  const SINK = '127.0.11.4';

  beforeAll(async () => {
    await client.createCluster({
      name: 'part',
      version: 'v7.5.1',
      rootPassword: 'part-root-pw',
      instances: [
        { role: 'pd', host: H, port: 2379 },
        { role: 'tikv', host: H, port: 20160 },
        { role: 'tidb', host: H, port: 4000 },
        { role: 'tidb', host: H, port: 4001, statusPort: 10081 },
        { role: 'cdc', host: H, port: 8300 },
      ],
      tables: [{ db: 'app', table: 't1', rows: 100, sizeBytes: 10_000 }],
    });
    await client.createCluster({
      name: 'sink1',
      version: 'v7.5.1',
      rootPassword: 'sink-root-pw',
      instances: [
        { role: 'pd', host: SINK, port: 2379 },
        { role: 'tikv', host: SINK, port: 20160 },
        { role: 'tidb', host: SINK, port: 4000 },
      ],
    });
  });

  test('stop -R tidb (seeded cluster): MySQL refused, display Down for tidb only, BR and TiCDC keep working; start -R tidb reopens', async () => {
    const noYes = await tiup('cluster', 'stop', 'part', '-R', 'tidb');
    expect(noYes.exitCode).toBe(1);
    expect(noYes.stdout).toContain('Will stop the cluster part with nodes: , roles: tidb.');
    expect((await client.cluster('part')).status).toBe('Up');

    const stop = await tiup('cluster', 'stop', 'part', '-R', 'tidb', '--yes');
    expect(stop.exitCode).toBe(0);
    expect(stop.stdout).toContain('Stopping component tidb');
    expect(stop.stdout).toContain(`\tStop tidb ${H}:4000 success`);
    expect(stop.stdout).toContain(`\tStop tidb ${H}:4001 success`);
    expect(stop.stdout).not.toMatch(/Stopping component (pd|tikv|cdc)/);
    expect(stop.stdout).toContain('Stopped cluster `part` successfully');

    for (const port of [4000, 4001]) {
      await expect(mysql.createConnection({ host: H, port, user: 'root', password: 'part-root-pw', connectTimeout: 2000 })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    }
    expect(await displayStatuses('part')).toEqual({
      [`pd@${H}:2379`]: 'Up|L',
      [`tikv@${H}:20160`]: 'Up',
      [`tidb@${H}:4000`]: 'Down',
      [`tidb@${H}:4001`]: 'Down',
      [`cdc@${H}:8300`]: 'Up',
    });
    const inspected = await client.cluster('part');
    expect(inspected.status).toBe('Partial');
    expect(inspected.instances.map((i) => `${i.role}:${i.status}`)).toEqual(['pd:Up', 'tikv:Up', 'tidb:Down', 'tidb:Down', 'cdc:Up']);

    // BR needs PD and TiKV only.
    const backup = await tiup('br:v7.5.1', 'backup', 'full', '--pd', `${H}:2379`, '--storage', `local://${path.join(work, 'bk-part')}`);
    expect(backup.exitCode).toBe(0);
    expect(backup.stdout).toMatch(/\[Full Backup success summary\].*\[BackupTS=\d+\]/);

    // TiCDC keeps serving and replicating from a cluster whose TiDBs are stopped.
    const created = await fetch(`http://${H}:8300/api/v2/changefeeds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ changefeed_id: 'part-to-sink', sink_uri: `mysql://root:sink-root-pw@${SINK}:4000/` }),
    });
    expect(created.status).toBe(200);
    const cpBefore = BigInt((await client.cluster('part')).changefeeds[0].checkpointTs);
    await waitFor(async () => BigInt((await client.cluster('part')).changefeeds[0].checkpointTs) > cpBefore);
    expect((await client.cluster('part')).changefeeds[0].state).toBe('normal');

    const start = await tiup('cluster', 'start', 'part', '-R', 'tidb');
    expect(start.exitCode).toBe(0);
    expect(start.stdout).toContain('Starting component tidb');
    expect(start.stdout).not.toMatch(/Starting component (pd|tikv|cdc)\n/);
    expect(start.stdout).toContain('Cluster `part` started successfully');
    // Same users and data as before the stop.
    expect(await sqlValue(H, 4000, 'part-root-pw', "SELECT TABLE_NAME FROM information_schema.tables WHERE TABLE_SCHEMA = 'app'")).toBe('t1');
    expect(await sqlValue(H, 4001, 'part-root-pw', 'SELECT 1')).toBe('1');
    expect((await client.cluster('part')).status).toBe('Up');
    expect(Object.values(await displayStatuses('part'))).toEqual(['Up|L', 'Up', 'Up', 'Up', 'Up']);
  });

  test('-N host:port stops one TiDB; SET GLOBAL through the other is seen when it comes back; -R and -N narrow together', async () => {
    const stop = await tiup('cluster', 'stop', 'part', '-N', `${H}:4001`, '--yes');
    expect(stop.exitCode).toBe(0);
    expect(stop.stdout).toContain(`\tStop tidb ${H}:4001 success`);
    expect(stop.stdout).not.toContain(`${H}:4000 success`);
    await expect(mysql.createConnection({ host: H, port: 4001, user: 'root', password: 'part-root-pw', connectTimeout: 2000 })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect((await displayStatuses('part'))[`tidb@${H}:4000`]).toBe('Up');
    expect((await displayStatuses('part'))[`tidb@${H}:4001`]).toBe('Down');

    const conn = await mysql.createConnection({ host: H, port: 4000, user: 'root', password: 'part-root-pw' });
    try {
      await conn.query("SET GLOBAL tidb_gc_life_time = '48h'");
    } finally {
      await conn.end();
    }

    // A bare host is not a node ID, and -R/-N must both match: nothing is started, still success.
    for (const args of [['-N', H], ['-R', 'pd', '-N', `${H}:4001`], ['-R', 'tiflash']]) {
      const r = await tiup('cluster', 'start', 'part', ...args);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).not.toContain('Starting component tidb');
      expect((await displayStatuses('part'))[`tidb@${H}:4001`]).toBe('Down');
    }

    const start = await tiup('cluster', 'start', 'part', '-R', 'tidb,pd', '-N', `${H}:4001`);
    expect(start.exitCode).toBe(0);
    expect(start.stdout).toContain(`\tStart instance ${H}:4001 success`);
    expect(start.stdout).not.toContain('Starting component pd');
    expect(await sqlValue(H, 4001, 'part-root-pw', 'SELECT @@global.tidb_gc_life_time')).toBe('48h0m0s');
  });

  test('an unknown role is an error before anything happens (validRoles), even for an unknown cluster', async () => {
    const bad = await tiup('cluster', 'stop', 'part', '-R', 'tidb,tidbx', '--yes');
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('Error: not valid role: tidbx, should be one of: [pd tso scheduling router resource-manager tidb-dashboard tiproxy tikv pump tidb tiflash drainer cdc tikv-cdc prometheus grafana alertmanager tispark-master tispark-worker]');
    expect((await client.cluster('part')).status).toBe('Up');
    const json = await tiup('cluster', 'start', 'nosuch', '-R', 'TiDB', '--format', 'json');
    expect(json.exitCode).toBe(1);
    expect(JSON.parse(json.stderr.trim().split('\n').pop()!)).toMatchObject({ exit_code: 1, error: expect.stringMatching(/^not valid role: TiDB, /) });
  });

  test('a changefeed into a cluster whose TiDBs are all stopped goes warning, and recovers on start -R tidb', async () => {
    expect((await client.cluster('part')).changefeeds[0]).toMatchObject({ id: 'part-to-sink', state: 'normal' });
    expect((await tiup('cluster', 'stop', 'sink1', '-R', 'tidb', '--yes')).exitCode).toBe(0);
    await waitFor(async () => (await client.cluster('part')).changefeeds[0].state === 'warning');
    expect(await displayStatuses('sink1')).toEqual({ [`pd@${SINK}:2379`]: 'Up|L', [`tikv@${SINK}:20160`]: 'Up', [`tidb@${SINK}:4000`]: 'Down' });
    expect((await tiup('cluster', 'start', 'sink1', '-N', `${SINK}:4000`)).exitCode).toBe(0);
    await waitFor(async () => (await client.cluster('part')).changefeeds[0].state === 'normal');
  });
});

test('deployed cluster: stop -R tidb / start -R tidb; start -R tidb with PD down times out like the Ready check; stop -R tikv shows Disconnected', async () => {
  const H = '127.0.11.5';
  fs.writeFileSync(path.join(work, 'topo-part.yaml'), topology(H, 4000));
  expect((await tiup('cluster', 'deploy', 'dep2', 'v7.5.1', 'topo-part.yaml', '--user', 'tidb', '-i', '/dev/null', '--yes')).exitCode).toBe(0);

  // Nothing runs: TiDB cannot come up without PD and TiKV, so tiup gives up after --wait-timeout.
  const early = await tiup('cluster', 'start', 'dep2', '-R', 'tidb', '--wait-timeout', '5');
  expect(early.exitCode).toBe(1);
  expect(early.stderr).toContain(
    `Error: failed to start tidb: failed to start: ${H} tidb-4000.service, please check the instance's log(/tidb-deploy/tidb-4000/log) for more detail.: timed out waiting for port 4000 to be started after 5s`,
  );
  expect(Object.values(await displayStatuses('dep2'))).toEqual(['Down', 'Down', 'Down', 'Down']);

  // pd,tikv first, then tidb: the same as a full start in two steps.
  expect((await tiup('cluster', 'start', 'dep2', '-R', 'pd,tikv')).exitCode).toBe(0);
  expect(await displayStatuses('dep2')).toEqual({ [`pd@${H}:2379`]: 'Up|L', [`tikv@${H}:20160`]: 'Up', [`tidb@${H}:4000`]: 'Down', [`cdc@${H}:8300`]: 'Down' });
  const init = await tiup('cluster', 'start', 'dep2', '-R', 'tidb', '-R', 'cdc', '--init');
  expect(init.exitCode).toBe(0);
  const pw = /The new password is: '([^']+)'/.exec(init.stdout)![1];
  expect(Object.values(await displayStatuses('dep2'))).toEqual(['Up|L', 'Up', 'Up', 'Up']);

  expect((await tiup('cluster', 'stop', 'dep2', '-R', 'tidb', '--yes')).exitCode).toBe(0);
  await expect(mysql.createConnection({ host: H, port: 4000, user: 'root', password: pw, connectTimeout: 2000 })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  expect(await displayStatuses('dep2')).toEqual({ [`pd@${H}:2379`]: 'Up|L', [`tikv@${H}:20160`]: 'Up', [`tidb@${H}:4000`]: 'Down', [`cdc@${H}:8300`]: 'Up' });
  expect((await tiup('br:v7.5.1', 'backup', 'full', '--pd', `${H}:2379`, '--storage', `local://${path.join(work, 'bk-dep2')}`)).exitCode).toBe(0);
  expect((await tiup('cluster', 'start', 'dep2', '-R', 'tidb')).exitCode).toBe(0);
  expect(await sqlValue(H, 4000, pw, 'SELECT 1')).toBe('1');

  // A stopped store while PD runs is Disconnected (PD's store state); SQL fails without a TiKV, BR cannot reach it.
  expect((await tiup('cluster', 'stop', 'dep2', '-N', `${H}:20160`, '--yes')).exitCode).toBe(0);
  expect((await displayStatuses('dep2'))[`tikv@${H}:20160`]).toBe('Disconnected');
  const conn = await mysql.createConnection({ host: H, port: 4000, user: 'root', password: pw });
  try {
    await expect(conn.query('SELECT TABLE_NAME FROM information_schema.tables')).rejects.toMatchObject({ errno: 9005 });
  } finally {
    await conn.end();
  }
  const noKv = await tiup('br:v7.5.1', 'backup', 'full', '--pd', `${H}:2379`, '--storage', `local://${path.join(work, 'bk-dep2b')}`);
  expect(noKv.exitCode).toBe(1);
  expect(noKv.stderr).toContain('[BR:Common:ErrFailedToConnect]');

  // Whole-cluster stop and start still work as before.
  const all = await tiup('cluster', 'stop', 'dep2', '--yes');
  expect(all.stdout).toMatch(/Stopping component cdc[\s\S]*Stopping component tidb[\s\S]*Stopping component tikv[\s\S]*Stopping component pd/);
  expect(Object.values(await displayStatuses('dep2'))).toEqual(['Down', 'Down', 'Down', 'Down']);
  expect((await tiup('cluster', 'start', 'dep2')).exitCode).toBe(0);
  expect(await sqlValue(H, 4000, pw, 'SELECT 1')).toBe('1');
  expect((await tiup('cluster', 'destroy', 'dep2', '--yes')).exitCode).toBe(0);
});

async function waitFor(pred: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}
