// Entry point: `tsx simulator/main.ts [--port 0] [--state-dir DIR] [--speed F] [--tiup-home DIR]`.
// Prints `SIMULATOR_READY {"url":...}` once listening; exits cleanly on SIGTERM/SIGINT.
import http from 'node:http';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { Simulator } from './sim.js';
import { ListenerManager } from './listeners.js';
import { createRequestHandler } from './control-api.js';

function parseCli(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1);
    else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) out[a.slice(2)] = argv[++i];
    else out[a.slice(2)] = 'true';
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseCli(process.argv.slice(2));
  const stateDir = args['state-dir'] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tiem-sim-'));
  fs.mkdirSync(stateDir, { recursive: true });
  const tiupHome = args['tiup-home'] ?? path.join(stateDir, 'tiup-home');
  fs.mkdirSync(tiupHome, { recursive: true });
  const sim = new Simulator({ stateDir, tiupHome, speed: Number(args.speed ?? 1) });
  sim.listeners = new ListenerManager(sim);
  sim.startClock();

  const server = http.createServer(createRequestHandler(sim));
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(args.port ?? 0), args.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const url = `http://127.0.0.1:${port}`;
  process.stdout.write(`SIMULATOR_READY ${JSON.stringify({ url })}\n`);

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    sim.stopClock();
    server.closeAllConnections();
    await Promise.all([new Promise<void>((r) => server.close(() => r())), sim.listeners.stopAll()]);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
  // Launched by startSimulator(): exit when the parent goes away (its end of stdin closes).
  if (args['exit-with-stdin'] === 'true') {
    process.stdin.on('end', () => void shutdown());
    process.stdin.on('error', () => void shutdown());
    process.stdin.resume();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`simulator failed to start: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
