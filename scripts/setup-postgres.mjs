#!/usr/bin/env node
// A PostgreSQL server for the tests and the production-shape run: Debian's package (installed with
// apt-get when missing), a cluster in .tiem/postgres owned by the postgres user, listening on
// 127.0.0.1 only, password (SCRAM) authentication for the `tiem` role. Safe to run again: it
// initialises and starts only what is missing. Prints the server URL on its last line.
//
//   node scripts/setup-postgres.mjs          ensure it runs; print postgres://tiem:…@127.0.0.1:<port>/postgres
//   node scripts/setup-postgres.mjs stop     stop it
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const base = join(root, '.tiem', 'postgres');
const dataDir = join(base, 'data');
const passwordFile = join(base, 'password');
export const POSTGRES_PORT = Number(process.env.TIEM_TEST_POSTGRES_PORT ?? 55432);

const fail = (msg) => {
  console.error(`setup-postgres: ${msg}`);
  process.exit(1);
};

function binDir() {
  const lib = '/usr/lib/postgresql';
  const versions = existsSync(lib) ? readdirSync(lib).filter((v) => existsSync(join(lib, v, 'bin', 'pg_ctl'))).sort((a, b) => Number(b) - Number(a)) : [];
  return versions.length ? join(lib, versions[0], 'bin') : undefined;
}

function install() {
  if (binDir()) return;
  if (process.getuid?.() !== 0) fail("PostgreSQL is not installed; run `apt-get install postgresql` as root (Debian's package).");
  console.error('setup-postgres: installing Debian’s postgresql package…');
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'postgresql']]) {
    const r = spawnSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) fail(`apt-get ${args[0]} failed`);
  }
  if (!binDir()) fail('apt-get installed postgresql but no /usr/lib/postgresql/<version>/bin/pg_ctl was found');
}

/** Runs a PostgreSQL tool as the postgres user (the server refuses to run as root). */
function asPostgres(tool, args, opts = {}) {
  const cmd = join(binDir(), tool);
  const asRoot = process.getuid?.() === 0;
  const r = spawnSync(asRoot ? 'runuser' : cmd, asRoot ? ['-u', 'postgres', '--', cmd, ...args] : args, { encoding: 'utf8', cwd: '/', ...opts });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function initCluster() {
  if (existsSync(join(dataDir, 'PG_VERSION'))) return;
  mkdirSync(dataDir, { recursive: true });
  const password = randomBytes(18).toString('base64url');
  writeFileSync(passwordFile, password, { mode: 0o600 });
  const pwfile = join(base, 'initdb-pw');
  writeFileSync(pwfile, password, { mode: 0o600 });
  if (process.getuid?.() === 0) {
    const pg = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const uid = Number(pg.stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(base, uid, gid);
    chownSync(dataDir, uid, gid);
    chownSync(pwfile, uid, gid);
  }
  chmodSync(dataDir, 0o700);
  const r = asPostgres('initdb', ['-D', dataDir, '-U', 'tiem', `--pwfile=${pwfile}`, '--auth-host=scram-sha-256', '--auth-local=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8']);
  spawnSync('rm', ['-f', pwfile]);
  if (r.status !== 0) fail(`initdb failed:\n${r.out}`);
}

function running() {
  return asPostgres('pg_ctl', ['-D', dataDir, 'status']).status === 0;
}

function start() {
  if (running()) return;
  const opts = `-c listen_addresses=127.0.0.1 -p ${POSTGRES_PORT} -k ${dataDir} -c max_connections=300 -c fsync=on`;
  const r = asPostgres('pg_ctl', ['-D', dataDir, '-l', join(dataDir, 'server.log'), '-o', opts, '-w', '-t', '60', 'start']);
  if (r.status !== 0) fail(`pg_ctl start failed:\n${r.out}\n(see ${join(dataDir, 'server.log')})`);
}

if (process.argv[2] === 'stop') {
  if (binDir() && existsSync(join(dataDir, 'PG_VERSION')) && running()) asPostgres('pg_ctl', ['-D', dataDir, '-m', 'fast', 'stop']);
  process.exit(0);
}
install();
initCluster();
start();
const password = readFileSync(passwordFile, 'utf8').trim();
console.log(`postgres://tiem:${encodeURIComponent(password)}@127.0.0.1:${POSTGRES_PORT}/postgres`);
