// TLS clusters in the simulator, each rule as the real tool has it (sources in simulator/tls.ts):
// TiUP's CA and client pair (pingcap/tiup pkg/cluster/spec/profile.go, manager/display.go), BR's
// --ca/--cert/--key (pingcap/tidb br/pkg/task/common.go), TiCDC's https with a required client
// certificate (pingcap/tiflow pkg/security/credential.go), TiDB's SQL TLS only with
// security.ssl-cert (pingcap/tiup pkg/cluster/spec/tidb.go setTLSConfig) and
// require-secure-transport (pingcap/tidb pkg/server/conn.go), and the sink's ssl-ca read on the CDC
// host (pingcap/tiflow pkg/sink/mysql/config.go getSSLCA).
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import mysql from 'mysql2/promise';
import { startSimulator, type StartedSimulator } from '../../simulator/launch.js';
import { SimulatorClient, type SeedClusterRequest } from '../../simulator/client.js';

let sim: StartedSimulator;
let client: SimulatorClient;
let work: string;

const tiupHome = () => path.join(work, 'tiup-home');
const tiup = (...args: string[]) => execa(sim.tiupBin, args, { env: { ...sim.env, TIUP_HOME: tiupHome() }, cwd: work, reject: false });

function seed(name: string, host: string, extra: Partial<SeedClusterRequest> = {}): SeedClusterRequest {
  return {
    name,
    version: 'v7.5.1',
    rootPassword: 'pw',
    instances: [
      { role: 'pd', host, port: 2379 },
      { role: 'tikv', host, port: 20160 },
      { role: 'tidb', host, port: 4000 },
      { role: 'cdc', host, port: 8300 },
    ],
    tables: [{ db: 'shop', table: 'orders', rows: 1000, sizeBytes: 1 << 20 }],
    users: [{ user: 'sink', password: 'sink-pw', privileges: ['ALL PRIVILEGES'] }],
    ...extra,
  };
}

const SQL_TLS = { 'security.ssl-cert': '/tidb-deploy/tidb-4000/tls/tidb.crt', 'security.ssl-key': '/tidb-deploy/tidb-4000/tls/tidb.pem' };

async function tlsDirOf(name: string): Promise<string> {
  return path.join((await client.cluster(name)).tiupHome, 'storage', 'cluster', 'clusters', name, 'tls');
}

function cdcGet(host: string, tls: { ca?: Buffer; cert?: Buffer; key?: Buffer }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host, port: 8300, path: '/api/v1/status', agent: false, ...tls }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-tls-test-'));
  sim = await startSimulator({ speed: 200, stateDir: path.join(work, 'state') });
  client = new SimulatorClient(sim.url);
  await client.createCluster(seed('tls-src', '127.0.14.1', { tls: true }));
  await client.createCluster(seed('tls-sql', '127.0.14.2', { tls: true, serverConfigs: { tidb: { ...SQL_TLS, 'security.require-secure-transport': true } } }));
  await client.createCluster(seed('plain', '127.0.14.3'));
}, 60_000);

afterAll(async () => {
  await sim?.stop();
});

test('deploy with enable_tls keeps the CA and client pair in the cluster dir; display reports them', async () => {
  const topo = path.join(work, 'topo.yaml');
  fs.writeFileSync(topo, 'global:\n  user: tidb\n  enable_tls: true\npd_servers:\n  - host: 127.0.14.9\ntikv_servers:\n  - host: 127.0.14.9\ntidb_servers:\n  - host: 127.0.14.9\n');
  expect((await tiup('cluster', 'deploy', 'tls-new', 'v7.5.1', topo, '--yes')).exitCode).toBe(0);
  const dir = path.join(tiupHome(), 'storage', 'cluster', 'clusters', 'tls-new', 'tls');
  expect(fs.readdirSync(dir).sort()).toEqual(['ca.crt', 'ca.pem', 'client.crt', 'client.pem']);
  const display = JSON.parse((await tiup('cluster', 'display', 'tls-new', '--format', 'json')).stdout);
  expect(display.cluster_meta).toMatchObject({
    tls_enabled: true,
    tls_ca_cert: path.join(dir, 'ca.crt'),
    tls_client_cert: path.join(dir, 'client.crt'),
    tls_client_key: path.join(dir, 'client.pem'),
  });
  const plain = JSON.parse((await tiup('cluster', 'display', 'tls-new', '--format', 'json')).stdout);
  expect(plain.cluster_meta.tls_enabled).toBe(true);
}, 60_000);

test('BR against a TLS cluster needs --ca/--cert/--key of that cluster', async () => {
  const storage = (n: string) => `local://${path.join(work, 'backups', n)}`;
  const dir = await tlsDirOf('tls-src');
  const other = await tlsDirOf('tls-sql');
  const none = await tiup('br:v7.5.1', 'backup', 'full', '--pd', '127.0.14.1:2379', '--storage', storage('a'));
  expect(none.exitCode).toBe(1);
  expect(none.stdout + none.stderr).toMatch(/connection closed before server preface received/);
  const wrong = await tiup('br:v7.5.1', 'backup', 'full', '--pd', '127.0.14.1:2379', '--storage', storage('b'), '--ca', path.join(other, 'ca.crt'), '--cert', path.join(other, 'client.crt'), '--key', path.join(other, 'client.pem'));
  expect(wrong.exitCode).toBe(1);
  expect(wrong.stdout + wrong.stderr).toMatch(/authentication handshake failed: x509: certificate signed by unknown authority/);
  const right = await tiup('br:v7.5.1', 'backup', 'full', '--pd', '127.0.14.1:2379', '--storage', storage('c'), '--ca', path.join(dir, 'ca.crt'), '--cert', path.join(dir, 'client.crt'), '--key', path.join(dir, 'client.pem'));
  expect(right.exitCode).toBe(0);
}, 60_000);

test("a TLS cluster's TiCDC is https and requires a client certificate of its CA", async () => {
  const dir = await tlsDirOf('tls-src');
  const ca = fs.readFileSync(path.join(dir, 'ca.crt'));
  await expect(fetch('http://127.0.14.1:8300/api/v1/status')).rejects.toThrow();
  await expect(cdcGet('127.0.14.1', { ca })).rejects.toThrow();
  expect(await cdcGet('127.0.14.1', { ca, cert: fs.readFileSync(path.join(dir, 'client.crt')), key: fs.readFileSync(path.join(dir, 'client.pem')) })).toBe(200);
  // the plain cluster stays http
  expect((await fetch('http://127.0.14.3:8300/api/v1/status')).status).toBe(200);
});

test('TiDB offers SQL TLS only with security.ssl-cert; require-secure-transport refuses plaintext with 3159', async () => {
  // TLS cluster without ssl-cert: SQL is plaintext only
  const plainOnTls = await mysql.createConnection({ host: '127.0.14.1', port: 4000, user: 'root', password: 'pw' });
  await plainOnTls.end();
  const ca = fs.readFileSync(path.join(await tlsDirOf('tls-src'), 'ca.crt'));
  await expect(mysql.createConnection({ host: '127.0.14.1', port: 4000, user: 'root', password: 'pw', ssl: { ca } })).rejects.toMatchObject({ code: 'HANDSHAKE_NO_SSL_SUPPORT' });
  // ssl-cert set and secure transport required
  await expect(mysql.createConnection({ host: '127.0.14.2', port: 4000, user: 'root', password: 'pw' })).rejects.toMatchObject({ errno: 3159 });
  const sqlCa = fs.readFileSync(path.join(await tlsDirOf('tls-sql'), 'ca.crt'));
  const secure = await mysql.createConnection({ host: '127.0.14.2', port: 4000, user: 'root', password: 'pw', ssl: { ca: sqlCa } });
  const [rows] = await secure.query('SELECT 1 AS one');
  expect(rows).toEqual([{ one: 1 }]);
  await secure.end();
  // another cluster's CA does not verify the server
  await expect(mysql.createConnection({ host: '127.0.14.2', port: 4000, user: 'root', password: 'pw', ssl: { ca } })).rejects.toThrow(/self.signed|unable to verify|certificate/i);
});

test("the sink's ssl-ca is read on the source's CDC hosts: missing, unneeded and required cases", async () => {
  const createOn = async (upstreamHost: string, id: string, sinkUri: string) => {
    const res = await fetch(`http://${upstreamHost}:8300/api/v2/changefeeds`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ changefeed_id: id, sink_uri: sinkUri }) });
    return { status: res.status, body: (await res.json()) as { error_code?: string; error_msg?: string } };
  };
  // the plain upstream replicates into the SQL-TLS cluster: plaintext is refused there
  const plaintext = await createOn('127.0.14.3', 'cf-plain', 'mysql://sink:sink-pw@127.0.14.2:4000/');
  expect(plaintext.body.error_msg).toMatch(/Error 3159/);
  const remote = '/tidb-deploy/cdc-8300/tls/downstream-ca.crt';
  const missing = await createOn('127.0.14.3', 'cf-missing', `mysql://sink:sink-pw@127.0.14.2:4000/?ssl-ca=${encodeURIComponent(remote)}`);
  expect(missing.body.error_msg).toMatch(/could not read ca certificate/);
  // pushed to the CDC host: the sink verifies the downstream with it
  const local = path.join(await tlsDirOf('tls-sql'), 'ca.crt');
  const plainHome = (await client.cluster('plain')).tiupHome;
  const push = await execa(sim.tiupBin, ['cluster', 'push', 'plain', local, remote, '-N', '127.0.14.3:8300'], { env: { ...sim.env, TIUP_HOME: plainHome }, reject: false });
  expect(push.exitCode).toBe(0);
  const ok = await createOn('127.0.14.3', 'cf-tls', `mysql://sink:sink-pw@127.0.14.2:4000/?ssl-ca=${encodeURIComponent(remote)}`);
  expect(ok.status).toBeLessThan(300);
  // ssl-ca towards a TiDB that offers no TLS
  const noTls = await createOn('127.0.14.3', 'cf-notls', `mysql://sink:sink-pw@127.0.14.1:4000/?ssl-ca=${encodeURIComponent(remote)}`);
  expect(noTls.body.error_msg).toMatch(/TLS requested but server does not support TLS/);
}, 60_000);
