// The simulator through the real protocols: the `tiup` executable (execa) and TiDB's MySQL protocol (mysql2).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import mysql from 'mysql2/promise';
import { startSimulator, type StartedSimulator } from '../../simulator/launch.js';
import { SimulatorClient } from '../../simulator/client.js';

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
  sim = await startSimulator({ speed: 50, stateDir: path.join(work, 'state') });
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

async function waitFor(pred: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}
