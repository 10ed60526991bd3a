#!/usr/bin/env node
// The whole test suite on the PostgreSQL metadata backend: starts the local server
// (scripts/setup-postgres.mjs) and runs jest with TIEM_TEST_POSTGRES_URL, so every test store and
// test stack gets a fresh database there. Extra arguments go to jest.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const setup = spawnSync(process.execPath, [join(root, 'scripts', 'setup-postgres.mjs')], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
if (setup.status !== 0) process.exit(setup.status ?? 1);
const url = setup.stdout.trim().split('\n').pop();
const jest = spawnSync('npx', ['jest', '--runInBand', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, TIEM_TEST_POSTGRES_URL: url, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules`.trim() },
});
process.exit(jest.status ?? 1);
