// Starts the simulator as a child process and returns where to reach it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface StartedSimulator {
  url: string;
  /** Absolute path of the `tiup` executable that talks to this simulator. */
  tiupBin: string;
  /** Must be in the environment of whoever runs `tiup`. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export interface StartSimulatorOptions {
  speed?: number;
  stateDir?: string;
  tiupHome?: string;
  /** Simulator stdout/stderr go here (appended); otherwise discarded. */
  logFile?: string;
  readyTimeoutMs?: number;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..');

export function simulatorTiupBin(): string {
  return path.join(here, 'bin', 'tiup');
}

export async function startSimulator(opts: StartSimulatorOptions = {}): Promise<StartedSimulator> {
  const args = ['--import', 'tsx', path.join(here, 'main.ts'), '--port', '0', '--exit-with-stdin'];
  if (opts.speed !== undefined) args.push('--speed', String(opts.speed));
  if (opts.stateDir) args.push('--state-dir', opts.stateDir);
  if (opts.tiupHome) args.push('--tiup-home', opts.tiupHome);
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  const log = opts.logFile ? fs.createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
  let stderrTail = '';
  child.stderr.on('data', (d: Buffer) => {
    log?.write(d);
    stderrTail = (stderrTail + d.toString()).slice(-4000);
  });

  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    let ready = false;
    const timeoutMs = opts.readyTimeoutMs ?? 20_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`simulator did not print SIMULATOR_READY within ${timeoutMs / 1000}s; stderr: ${stderrTail}`));
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      log?.write(d);
      if (ready) return;
      buf += d.toString();
      const m = /^SIMULATOR_READY (\{.*\})$/m.exec(buf);
      if (m) {
        ready = true;
        clearTimeout(timer);
        resolve((JSON.parse(m[1]) as { url: string }).url);
      }
    });
    child.once('exit', (code, signal) => {
      if (ready) return;
      clearTimeout(timer);
      reject(new Error(`simulator exited before it was ready (code ${code}, signal ${signal}); stderr: ${stderrTail}`));
    });
  });

  let stopped: Promise<void> | undefined;
  return {
    url,
    tiupBin: simulatorTiupBin(),
    env: { TIEM_SIMULATOR_URL: url },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(kill);
          log?.end();
          resolve();
        });
        child.kill('SIGTERM');
      });
      return stopped;
    },
  };
}
