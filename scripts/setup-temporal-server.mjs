#!/usr/bin/env node
// A real Temporal server (not the dev server) for the production-shape run: built from the Go module
// go.temporal.io/server at the version docker-compose.yml pins (its temporalio/server image), with its
// SQL schema tool, into .tools/temporal-server/<version>/. Safe to run again: it builds only what is
// missing. Prints the directory on its last line: bin/temporal-server, bin/temporal-sql-tool,
// schema/ (the module's schema/postgresql/v12) and config/ (the module's config templates).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compose = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const pinned = /image: temporalio\/server:([0-9.]+)\s/.exec(compose)?.[1];
if (!pinned) {
  console.error('setup-temporal-server: docker-compose.yml pins no temporalio/server:<version>');
  process.exit(1);
}
const version = `v${pinned}`;
const dir = join(root, '.tools', 'temporal-server', version);
const bin = join(dir, 'bin');
const work = join(dir, 'build');
// v1.32 needs Go 1.27; the go command fetches that toolchain from the module proxy.
const env = { ...process.env, GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? 'go1.27.3', GOFLAGS: '-mod=mod', CGO_ENABLED: '0' };

function go(args, what) {
  const r = spawnSync('go', args, { cwd: work, env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error || r.status !== 0) {
    console.error(`setup-temporal-server: ${what} failed (${r.error?.message ?? `exit ${r.status}`}). Go and the Go module proxy are needed.`);
    process.exit(1);
  }
}

if (!existsSync(join(bin, 'temporal-server')) || !existsSync(join(bin, 'temporal-sql-tool'))) {
  mkdirSync(work, { recursive: true });
  if (!existsSync(join(work, 'go.mod'))) writeFileSync(join(work, 'go.mod'), 'module tiem-clone/temporal-server-build\n\ngo 1.26\n');
  console.error(`setup-temporal-server: building go.temporal.io/server ${version} (a few minutes)…`);
  go(['get', `go.temporal.io/server@${version}`], `go get go.temporal.io/server@${version}`);
  go(['build', '-o', join(bin, 'temporal-server'), 'go.temporal.io/server/cmd/server'], 'building cmd/server');
  go(['build', '-o', join(bin, 'temporal-sql-tool'), 'go.temporal.io/server/cmd/tools/sql'], 'building cmd/tools/sql');
}
if (!existsSync(join(dir, 'schema'))) {
  const r = spawnSync('go', ['list', '-m', '-f', '{{.Dir}}', 'go.temporal.io/server'], { cwd: work, env, encoding: 'utf8' });
  const moduleDir = r.stdout.trim();
  if (r.status !== 0 || !moduleDir) {
    console.error('setup-temporal-server: cannot find the module source for its schema and config');
    process.exit(1);
  }
  cpSync(join(moduleDir, 'schema', 'postgresql'), join(dir, 'schema', 'postgresql'), { recursive: true });
  cpSync(join(moduleDir, 'config'), join(dir, 'config'), { recursive: true });
}
console.log(dir);
