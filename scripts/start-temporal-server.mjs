#!/usr/bin/env node
// Starts the real Temporal server (scripts/setup-temporal-server.mjs builds it) on the local
// PostgreSQL (scripts/setup-postgres.mjs): creates and migrates the `temporal` and
// `temporal_visibility` databases with the server's own SQL tool, writes a config from the module's
// development-postgres12.yaml with the compose file's values (16 history shards, SQL visibility),
// starts the server and waits until its frontend answers. Prints the frontend address on its last
// line; the server runs until `node scripts/start-temporal-server.mjs stop`.
//
// `--mtls` starts a second server (own databases, frontend 127.0.0.1:28233) whose frontend requires
// TLS with a client certificate: a CA, the server pair and a client pair are made with openssl in
// .tiem/temporal-server-mtls/tls/ (ca.pem, client.pem, client.key), its own system worker uses the
// client pair. `stop [--mtls]` stops one.
//
//   TEMPORAL_SERVER_PORT   frontend gRPC port (default 27233, 28233 with --mtls; every port must stay
//                          below 32768: PostgreSQL stores membership ports as smallint)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const mtls = process.argv.includes('--mtls');
const state = join(root, '.tiem', mtls ? 'temporal-server-mtls' : 'temporal-server');
const databases = mtls ? ['temporal_mtls', 'temporal_mtls_visibility'] : ['temporal', 'temporal_visibility'];
const pidFile = join(state, 'server.pid');
const SHARDS = 16; // docker-compose.yml NUM_HISTORY_SHARDS
const fail = (msg) => {
  console.error(`start-temporal-server: ${msg}`);
  process.exit(1);
};

if (process.argv[2] === 'stop') {
  if (existsSync(pidFile)) {
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGTERM');
    } catch {
      // already gone
    }
    rmSync(pidFile, { force: true });
  }
  process.exit(0);
}

const node = (script) => {
  const r = spawnSync(process.execPath, [join(root, 'scripts', script)], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) process.exit(r.status ?? 1);
  return r.stdout.trim().split('\n').pop();
};
const dir = node('setup-temporal-server.mjs');
const pg = new URL(node('setup-postgres.mjs'));
const user = decodeURIComponent(pg.username);
const password = decodeURIComponent(pg.password);
const base = Number(process.env.TEMPORAL_SERVER_PORT ?? (mtls ? 28233 : 27233));
if (!Number.isInteger(base) || base < 1024 || base + 10 > 32767) fail('TEMPORAL_SERVER_PORT must leave room for 10 ports below 32768');

const sqlTool = (db, args) => {
  const r = spawnSync(join(dir, 'bin', 'temporal-sql-tool'), ['--plugin', 'postgres12', '--ep', pg.hostname, '-p', pg.port, '-u', user, '--pw', password, '--db', db, ...args], { encoding: 'utf8' });
  if (r.status !== 0) fail(`temporal-sql-tool ${args[0]} on ${db} failed:\n${r.stdout}${r.stderr}`);
};
for (const [db, schema] of [[databases[0], 'temporal'], [databases[1], 'visibility']]) {
  const exists = spawnSync('psql', [pg.toString(), '-tAc', `select 1 from pg_database where datname = '${db}'`], { encoding: 'utf8' }).stdout.trim() === '1';
  if (!exists) {
    sqlTool(db, ['create']);
    sqlTool(db, ['setup-schema', '-v', '0.0']);
  }
  sqlTool(db, ['update-schema', '-d', join(dir, 'schema', 'postgresql', 'v12', schema, 'versioned')]);
}

// The module's PostgreSQL development config, pointed at this server, ports and shards.
const ports = { 7233: base, 7234: base + 1, 7235: base + 2, 7239: base + 3, 7243: base + 4, 6933: base - 300, 6934: base - 299, 6935: base - 298, 6939: base - 297, 7936: base + 5, 8000: base + 6 };
let config = readFileSync(join(dir, 'config', 'development-postgres12.yaml'), 'utf8')
  .replaceAll('connectAddr: "127.0.0.1:5432"', `connectAddr: "${pg.hostname}:${pg.port}"`)
  .replaceAll('user: "temporal"', `user: ${JSON.stringify(user)}`)
  .replaceAll('password: "temporal"', `password: ${JSON.stringify(password)}`)
  .replaceAll('databaseName: "temporal"', `databaseName: "${databases[0]}"`)
  .replaceAll('databaseName: "temporal_visibility"', `databaseName: "${databases[1]}"`)
  .replace(/numHistoryShards: \d+/, `numHistoryShards: ${SHARDS}`)
  .replace('filepath: "config/dynamicconfig/development-sql.yaml"', `filepath: ${JSON.stringify(join(state, 'config', 'dynamicconfig', 'development-sql.yaml'))}`);
for (const [from, to] of Object.entries(ports)) config = config.replace(new RegExp(`\\b${from}\\b`, 'g'), String(to));
const tlsDir = join(state, 'tls');
if (mtls) {
  makeCertificates(tlsDir);
  // The frontend refuses a client without a certificate from our CA; the server's own system
  // worker (and its other frontend clients) present the client pair.
  const pem = (f) => JSON.stringify(join(tlsDir, f));
  const tls = [
    '  tls:',
    '    frontend:',
    '      server:',
    `        certFile: ${pem('server.pem')}`,
    `        keyFile: ${pem('server.key')}`,
    '        requireClientAuth: true',
    `        clientCaFiles: [${pem('ca.pem')}]`,
    '      client:',
    '        serverName: localhost',
    `        rootCaFiles: [${pem('ca.pem')}]`,
    '    systemWorker:',
    `      certFile: ${pem('client.pem')}`,
    `      keyFile: ${pem('client.key')}`,
    '      client:',
    '        serverName: localhost',
    `        rootCaFiles: [${pem('ca.pem')}]`,
  ].join('\n');
  config = config.replace(/^global:\n/m, `global:\n${tls}\n`);
}
mkdirSync(join(state, 'config', 'dynamicconfig'), { recursive: true });
writeFileSync(join(state, 'config', 'development.yaml'), config, { mode: 0o600 });
writeFileSync(join(state, 'config', 'dynamicconfig', 'development-sql.yaml'), readFileSync(join(dir, 'config', 'dynamicconfig', 'development-sql.yaml')));

const address = `127.0.0.1:${base}`;
const listening = () =>
  new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port: base }, () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });
if (!(await listening())) {
  const log = openSync(join(state, 'server.log'), 'a');
  const child = spawn(join(dir, 'bin', 'temporal-server'), ['--root', state, '--config', 'config', '--env', 'development', 'start'], { detached: true, stdio: ['ignore', log, log] });
  writeFileSync(pidFile, String(child.pid));
  child.unref();
  const deadline = Date.now() + 90_000;
  while (!(await listening())) {
    if (Date.now() > deadline) fail(`the server did not listen on ${address} within 90 s (see ${join(state, 'server.log')})`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
// Listening is not serving: the CLI's health check is.
const cli = join(root, '.tools', 'temporal', 'bin', 'temporal');
const deadline = Date.now() + 60_000;
const tlsArgs = mtls ? ['--tls-ca-path', join(tlsDir, 'ca.pem'), '--tls-cert-path', join(tlsDir, 'client.pem'), '--tls-key-path', join(tlsDir, 'client.key'), '--tls-server-name', 'localhost'] : [];
while (existsSync(cli) && !/SERVING/.test(spawnSync(cli, ['operator', 'cluster', 'health', '--address', address, ...tlsArgs], { encoding: 'utf8' }).stdout ?? '')) {
  if (Date.now() > deadline) fail(`the server on ${address} is not SERVING (see ${join(state, 'server.log')})`);
  await new Promise((r) => setTimeout(r, 1000));
}
console.log(address);

/** A CA, a server pair for localhost/127.0.0.1 and a client pair, once (kept across restarts). */
function makeCertificates(dir) {
  if (existsSync(join(dir, 'client.key'))) return;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ssl = (...args) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) fail(`openssl ${args[0]} failed: ${r.stderr}`);
  };
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '825', '-subj', '/CN=tiem-clone test Temporal CA', '-keyout', 'ca.key', '-out', 'ca.pem');
  const leaf = (name, subject, ext) => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '825', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
  };
  leaf('server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  leaf('client', '/CN=tiem-clone worker', 'extendedKeyUsage=clientAuth\n');
}
