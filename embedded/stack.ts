// The embedded default on one machine: Temporal dev server (SQLite file, Web UI), the
// simulated TiDB fleet, the SQLite metadata store and a worker. The demo and the integration
// tests start exactly this; production points the same worker at real systems (README).
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createApiServer } from '../api/server.js';
import { openMetadataStore } from '../metadata/index.js';
import type { MetadataStore } from '../metadata/types.js';
import { SimulatorClient } from '../simulator/client.js';
import { startSimulator, type StartedSimulator } from '../simulator/launch.js';
import { loadWorkerConfig, type WorkerConfig } from '../worker/config.js';
import { createCloneWorker, payloadCodecs, type CloneWorker } from '../worker/create-worker.js';
import { seedDemoFleet, DEMO_SOURCE, type SourceClusterSpec } from './demo-fleet.js';
import { freePort, startDevServer, type DevServer } from './temporal-server.js';
import { createEncryptionCodec, loadCodecKey } from '../security/codec.js';
import { loopbackUiOrigins, startCodecServer } from '../security/codec-server.js';

export interface EmbeddedStackOptions {
  /** Working folder: Temporal's SQLite file, metadata DB, TIUP_HOME, backups, logs. */
  dir: string;
  ui?: boolean;
  temporalPort?: number;
  uiPort?: number;
  /** Port of the Web UI's codec server (with `ui`; default: a free one). */
  codecPort?: number;
  /** Also serve the HTTP API (api/server.ts) on 127.0.0.1 with these bearer tokens. */
  api?: { port?: number; tokens: string[] };
  /** Simulator speed factor (durations ∝ data size / speed). */
  speed?: number;
  source?: SourceClusterSpec;
  /** Loopback network of the host pool ("127.0.2"): test files that may run at once use different ones. */
  hostNet?: string;
  /** Extra worker environment (TIEM_* variables), e.g. a shorter poll interval. */
  workerEnv?: Record<string, string>;
  /** The metadata DB (default: a SQLite file in `dir`). */
  metadataUrl?: string;
  /** SDK log level of the worker (default WARN: the demo prints its own progress). */
  logLevel?: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

let runtimeInstalled = false;

export interface EmbeddedStack {
  temporal: DevServer;
  simulator: StartedSimulator;
  sim: SimulatorClient;
  store: MetadataStore;
  config: WorkerConfig;
  client: Client;
  worker: CloneWorker;
  /** With `ui`: the loopback, token-less codec server the Web UI uses (also for `temporal … --codec-endpoint`). */
  codecEndpoint?: string;
  /** Base URL of the HTTP API when `api` was asked for. */
  apiUrl?: string;
  /** Stops the worker (graceful), the simulator and the Temporal server. */
  stop(): Promise<void>;
}

export async function startEmbeddedStack(opts: EmbeddedStackOptions): Promise<EmbeddedStack> {
  const dir = opts.dir;
  if (!runtimeInstalled) {
    runtimeInstalled = true;
    try {
      Runtime.install({ logger: new DefaultLogger(opts.logLevel ?? 'WARN') });
    } catch {
      // already installed by the host process (e.g. a test runner): keep its logger
    }
  }
  for (const d of ['tiup', 'backup', 'logs']) mkdirSync(join(dir, d), { recursive: true });
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    cleanups.length = 0;
  };
  try {
    const codecEnv = { TIEM_CODEC_KEY: randomBytes(32).toString('base64'), TIEM_CODEC_KEY_ID: 'embedded', ...opts.workerEnv };
    const codecKey = loadCodecKey(codecEnv);
    const uiPort = opts.ui ? (opts.uiPort ?? (await freePort())) : opts.uiPort;
    let codecEndpoint: string | undefined;
    if (opts.ui && codecKey && uiPort) {
      // The dev server's Web UI has no login: a token-less codec server, reachable from loopback only.
      const codecServer = await startCodecServer({
        codec: createEncryptionCodec(codecKey),
        unauthenticatedLoopback: true,
        host: '127.0.0.1',
        port: opts.codecPort ?? 0,
        allowedOrigins: loopbackUiOrigins(uiPort),
      });
      cleanups.push(() => new Promise<void>((resolve) => {
        codecServer.close(() => resolve());
        codecServer.closeAllConnections();
      }));
      codecEndpoint = `http://127.0.0.1:${(codecServer.address() as { port: number }).port}`;
    }
    const [temporal, simulator] = await Promise.all([
      startDevServer({ dbFile: join(dir, 'temporal.sqlite'), ui: opts.ui, port: opts.temporalPort, uiPort, uiCodecEndpoint: codecEndpoint, logFile: join(dir, 'logs', 'temporal.log') }),
      startSimulator({ speed: opts.speed ?? 1, tiupHome: join(dir, 'tiup'), stateDir: join(dir, 'simulator'), logFile: join(dir, 'logs', 'simulator.log') }),
    ]);
    cleanups.push(() => temporal.stop(), () => simulator.stop());

    const env: Record<string, string> = {
      TEMPORAL_ADDRESS: temporal.address,
      TIEM_METADATA_URL: opts.metadataUrl ?? `sqlite:${join(dir, 'metadata.sqlite')}`,
      TIEM_SECRET_KEY: randomBytes(32).toString('base64'),
      TIEM_CODEC_KEY: codecEnv.TIEM_CODEC_KEY,
      TIEM_CODEC_KEY_ID: codecEnv.TIEM_CODEC_KEY_ID,
      TIUP_BIN: simulator.tiupBin,
      TIUP_HOME: join(dir, 'tiup'),
      TIEM_SSH_KEY: join(dir, 'tiup', 'id_rsa'),
      TIEM_BACKUP_STORAGE: `local://${join(dir, 'backup')}`,
      TIEM_HEALTH_TIMEOUT: '2m',
      TIEM_POLL_INTERVAL: '1s',
      TIEM_HEARTBEAT_THROTTLE: '1s',
      TIEM_SHUTDOWN_GRACE: '10s',
      ...opts.workerEnv,
    };
    const config = loadWorkerConfig(env);
    const store = openMetadataStore(config.metadataUrl, config.secretKey);
    await store.migrate();
    cleanups.push(() => store.close());

    const sim = new SimulatorClient(simulator.url);
    await seedDemoFleet(sim, store, opts.source ?? DEMO_SOURCE, opts.hostNet);

    const worker = await createCloneWorker(config, { store, toolEnv: simulator.env });
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await running.catch(() => undefined);
      await worker.close();
    });

    const connection = await Connection.connect({ address: temporal.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: temporal.namespace, dataConverter: { payloadCodecs: payloadCodecs(config) } });
    let apiUrl: string | undefined;
    if (opts.api) {
      const app = createApiServer({ client, store, tokens: opts.api.tokens, taskQueue: config.taskQueue });
      await app.listen({ host: '127.0.0.1', port: opts.api.port ?? 0 });
      cleanups.push(() => app.close());
      apiUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    }
    return { temporal, simulator, sim, store, config, client, worker, codecEndpoint, apiUrl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
