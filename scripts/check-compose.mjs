#!/usr/bin/env node
// Validates docker-compose.yml without a Docker engine (Debian's docker-compose, installed with
// apt-get when missing): `config` must pass with every variable its header requires, and fail
// naming the variable when any one of them is left out. Run by .ci/run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
if (!has('docker-compose')) {
  console.log('check-compose: installing docker-compose (Debian package)…');
  const apt = (args) => spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
  if (!apt(['install', '-y', 'docker-compose']) && !(apt(['update']) && apt(['install', '-y', 'docker-compose']))) {
    console.error('check-compose: docker-compose could not be installed');
    process.exit(1);
  }
}

// The header's "Required" block lists NAME  meaning, one per line.
const header = readFileSync(join(root, 'docker-compose.yml'), 'utf8').split('\n');
const start = header.findIndex((l) => l.startsWith('# Required'));
const required = [];
for (const line of header.slice(start + 1)) {
  const m = /^#   ([A-Z][A-Z0-9_]+)\s/.exec(line);
  if (m) required.push(m[1]);
  else if (!/^#\s{20,}/.test(line)) break;
}
if (required.length < 5) {
  console.error(`check-compose: the header's Required block lists only ${required.join(', ')}`);
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), 'compose-check-'));
const values = Object.fromEntries(required.map((name) => [name, name.endsWith('_DIR') || name.endsWith('_ON_HOST') ? dir : `value-of-${name.toLowerCase()}`]));
const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !required.includes(k)));
const config = (env) => spawnSync('docker-compose', ['-f', join(root, 'docker-compose.yml'), 'config', '--quiet'], { env, encoding: 'utf8' });

let failed = 0;
const full = config({ ...base, ...values });
if (full.status === 0) console.log(`  ok   docker compose config passes with ${required.join(', ')}`);
else {
  failed++;
  console.error(`  FAIL docker compose config with every variable: ${full.stderr}`);
}
for (const name of required) {
  const { [name]: _left, ...rest } = values;
  const r = config({ ...base, ...rest });
  const named = r.status !== 0 && r.stderr.includes(name);
  if (named) console.log(`  ok   without ${name}: ${/in service "[^"]+": .*$/.exec(r.stderr.trim())?.[0] ?? r.stderr.trim()}`);
  else {
    failed++;
    console.error(`  FAIL without ${name}: status ${r.status}, ${r.stderr.trim() || 'no message'}`);
  }
}
process.exit(failed ? 1 : 0);
