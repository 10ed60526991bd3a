// `npm run setup:browser`: makes sure headless Chromium (the Debian package) is installed for the
// Web UI test (test/integration/web-ui.test.ts, driven by playwright-core). Installs it with apt
// when missing — as root (CI) or through sudo; otherwise says what to run. Exit 0 when Chromium is there.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const say = (line) => console.log(`setup-browser: ${line}`);
const onPath = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

function version() {
  const r = spawnSync(CHROMIUM_PATH, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function install() {
  if (!onPath('apt-get')) {
    console.error(
      `setup-browser: Chromium is not at ${CHROMIUM_PATH} and apt-get is not available on this machine.\n` +
        '  Install Chromium with your package manager and set CHROMIUM_PATH to its executable.',
    );
    return 1;
  }
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const prefix = root ? [] : onPath('sudo') ? ['sudo', '-n'] : undefined;
  if (!prefix) {
    console.error(`setup-browser: Chromium is missing and this user is not root (no sudo). Run as root:\n  apt-get update && apt-get install -y chromium`);
    return 1;
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const argv of [['apt-get', 'update'], ['apt-get', 'install', '-y', '--no-install-recommends', 'chromium']]) {
    const cmd = [...prefix, ...argv];
    say(cmd.join(' '));
    const r = spawnSync(cmd[0], cmd.slice(1), { stdio: 'inherit', env });
    if (r.status !== 0) {
      console.error(`setup-browser: \`${cmd.join(' ')}\` failed (exit ${r.status ?? r.signal}).`);
      return 1;
    }
  }
  return 0;
}

function main() {
  if (!existsSync(CHROMIUM_PATH)) {
    say(`Chromium not found at ${CHROMIUM_PATH}; installing the Debian package…`);
    const rc = install();
    if (rc !== 0) return rc;
    if (!existsSync(CHROMIUM_PATH)) {
      console.error(`setup-browser: the chromium package is installed but ${CHROMIUM_PATH} does not exist (CHROMIUM_PATH?).`);
      return 1;
    }
  }
  const v = version();
  if (!v) {
    console.error(`setup-browser: ${CHROMIUM_PATH} exists but \`--version\` fails; reinstall the chromium package.`);
    return 1;
  }
  say(`${v} at ${CHROMIUM_PATH}`);
  return 0;
}

process.exitCode = main();
