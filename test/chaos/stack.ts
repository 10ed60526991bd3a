// The chaos suite's stack: the Temporal dev server, the simulator and the metadata store in this
// process's control, and the worker as a SEPARATE process (test/chaos/worker.ts = the production
// worker plus activity-boundary faults) that a case can SIGKILL and restart. Several small source
// clusters let cases run side by side (each clone locks its source); a large host pool takes the
// targets. The HTTP API runs here, as an operator would call it.
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { createApiServer } from '../../api/server.js';
import { DEMO_REGION, DEMO_ZONES, seedSourceCluster, type SourceClusterSpec } from '../../embedded/demo-fleet.js';
import { freePort, startDevServer, type DevServer } from '../../embedded/temporal-server.js';
import { openMetadataStore, type KyselyMetadataStore } from '../../metadata/index.js';
import { createTestDatabase, postgresRowsText, testPostgresUrl } from '../../metadata/testing.js';
import type { HostInput, MetadataStore } from '../../metadata/types.js';
import { createEncryptionCodec, loadCodecKey } from '../../security/codec.js';
import { SimulatorClient } from '../../simulator/client.js';
import { startSimulator, type StartedSimulator } from '../../simulator/launch.js';
import { loadWorkerConfig, type WorkerConfig } from '../../worker/config.js';
import { ActivityFaultRegistry } from './faults.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MiB = 1024 ** 2;

export interface ChaosStackOptions {
  dir: string;
  /** Source clusters, one per case running at once. */
  sources: number;
  speed: number;
  /** Reconciler period (the worker's TIEM_RECONCILE_INTERVAL). */
  reconcileInterval: string;
}

/** A small v7.5.1 source with CDC: backs up and restores in seconds at chaos speed. */
function sourceSpec(i: number, big = false): SourceClusterSpec {
  const n = big ? 'Big' : String(i + 1).padStart(2, '0');
  return {
    id: `chaosSource${n}`,
    name: `chaos-source-${n}`,
    version: 'v7.5.1',
    rootPassword: `Chaos-Src-R00t-${n}!`,
    net: `127.0.${30 + i}`,
    withCdc: true,
    // The big one (crash cases): BR runs long enough at chaos speed for a kill to land mid-run.
    tables: big
      ? [{ db: 'shop', table: 'orders', rows: 400_000_000, sizeBytes: 100 * 1024 * MiB }]
      : [
          { db: 'shop', table: 'orders', rows: 200_000, sizeBytes: 96 * MiB },
          { db: 'shop', table: 'customers', rows: 20_000, sizeBytes: 16 * MiB },
        ],
    writesPerSec: 5,
  };
}

/** 60 roomy hosts on 127.0.40.x: targets of failed cases are kept until the case deletes them. */
function chaosHosts(): HostInput[] {
  return DEMO_ZONES.flatMap((zone, z) =>
    Array.from({ length: 20 }, (_, i) => ({
      ip: `127.0.40.${z * 20 + i + 10}`,
      hostName: `chaos-${zone.toLowerCase()}-${i + 1}`,
      region: DEMO_REGION,
      zone,
      rack: `Rack${(i % 2) + 1}`,
      arch: 'X86_64' as const,
      cpuCores: 128,
      memoryGb: 512,
      disks: [
        { name: 'nvme0', path: '/data1', capacityGb: 8000, type: 'SSD' as const },
        { name: 'nvme1', path: '/data2', capacityGb: 8000, type: 'SSD' as const },
      ],
    })),
  );
}

export class ChaosStack {
  readonly faults = new ActivityFaultRegistry();
  readonly apiToken = `chaos-${randomBytes(12).toString('hex')}`;
  /** Every password a case used: none may be readable in logs or the metadata DB file. */
  readonly secrets = new Set<string>();
  readonly sources: SourceClusterSpec[];
  /** For the cases that run alone (kills, restarts): BR takes seconds on it, not milliseconds. */
  readonly bigSource: SourceClusterSpec;
  temporal!: DevServer;
  simulator!: StartedSimulator;
  sim!: SimulatorClient;
  store!: MetadataStore;
  config!: WorkerConfig;
  /** With the payload codec, as the API and operators use it. */
  client!: Client;
  /** Without the codec: what is really in the history (secrets must not be readable here). */
  rawClient!: Client;
  apiUrl!: string;
  workerLog!: string;
  workerRestarts = 0;
  private workerEnv: Record<string, string> = {};
  /** A fresh PostgreSQL database when TIEM_TEST_POSTGRES_URL is set (the worker process uses it too). */
  private database?: { url: string; drop(): Promise<void> };
  private worker?: ChildProcess;
  private connections: Connection[] = [];
  private api?: FastifyInstance;
  private faultServer?: { close(): void };
  private temporalPort = 0;

  constructor(readonly opts: ChaosStackOptions) {
    this.sources = Array.from({ length: opts.sources }, (_, i) => sourceSpec(i));
    this.bigSource = sourceSpec(opts.sources, true);
  }

  get dir(): string {
    return this.opts.dir;
  }

  async start(): Promise<void> {
    const { dir } = this;
    for (const d of ['tiup', 'backup', 'logs']) mkdirSync(join(dir, d), { recursive: true });
    this.workerLog = join(dir, 'logs', 'worker.log');
    const served = await this.faults.serve();
    this.faultServer = served.server;
    this.temporalPort = await freePort();
    const [temporal, simulator] = await Promise.all([
      this.startTemporal(),
      startSimulator({ speed: this.opts.speed, tiupHome: join(dir, 'tiup'), stateDir: join(dir, 'simulator'), logFile: join(dir, 'logs', 'simulator.log') }),
    ]);
    this.temporal = temporal;
    this.simulator = simulator;
    this.sim = new SimulatorClient(simulator.url);
    const codecKey = randomBytes(32).toString('base64');
    const server = testPostgresUrl();
    if (server) this.database = await createTestDatabase(server);
    this.workerEnv = {
      TEMPORAL_ADDRESS: temporal.address,
      TIEM_METADATA_URL: this.database?.url ?? `sqlite:${join(dir, 'metadata.sqlite')}`,
      TIEM_SECRET_KEY: randomBytes(32).toString('base64'),
      TIEM_CODEC_KEY: codecKey,
      TIEM_CODEC_KEY_ID: 'chaos',
      TIUP_BIN: simulator.tiupBin,
      TIUP_HOME: join(dir, 'tiup'),
      TIEM_SSH_KEY: join(dir, 'tiup', 'id_rsa'),
      TIEM_BACKUP_STORAGE: `local://${join(dir, 'backup')}`,
      TIEM_HEALTH_TIMEOUT: '2m',
      TIEM_POLL_INTERVAL: '1s',
      TIEM_HEARTBEAT_THROTTLE: '1s',
      TIEM_SHUTDOWN_GRACE: '5s',
      TIEM_RECONCILE_INTERVAL: this.opts.reconcileInterval,
      TIEM_CHAOS_FAULTS_URL: served.url,
      ...simulator.env,
    };
    this.config = loadWorkerConfig(this.workerEnv);
    this.store = openMetadataStore(this.config.metadataUrl, this.config.secretKey);
    await this.store.migrate();
    await this.store.addHosts(chaosHosts());
    for (const s of [...this.sources, this.bigSource]) await seedSourceCluster(this.sim, this.store, s);
    await this.connectClients();
    await this.startWorker();
    this.api = createApiServer({ client: this.client, store: this.store, tokens: [this.apiToken], taskQueue: this.config.taskQueue });
    await this.api.listen({ host: '127.0.0.1', port: 0 });
    this.apiUrl = `http://127.0.0.1:${(this.api.server.address() as { port: number }).port}`;
  }

  private startTemporal(): Promise<DevServer> {
    return startDevServer({ dbFile: join(this.dir, 'temporal.sqlite'), port: this.temporalPort, logFile: join(this.dir, 'logs', 'temporal.log') });
  }

  private async connectClients(): Promise<void> {
    const codecKey = loadCodecKey(this.workerEnv);
    const connection = await Connection.connect({ address: this.temporal.address });
    const raw = await Connection.connect({ address: this.temporal.address });
    this.connections.push(connection, raw);
    this.client = new Client({ connection, namespace: 'default', dataConverter: { payloadCodecs: codecKey ? [createEncryptionCodec(codecKey)] : [] } });
    this.rawClient = new Client({ connection: raw, namespace: 'default' });
  }

  /** Starts the worker process and waits until it polls. */
  async startWorker(): Promise<void> {
    const out = openSync(this.workerLog, 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test', 'chaos', 'worker.ts')], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...this.workerEnv },
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    this.worker = child;
    const before = this.readWorkerLog().split('tiem-clone worker on').length;
    const deadline = Date.now() + 60_000;
    while (this.readWorkerLog().split('tiem-clone worker on').length === before) {
      if (child.exitCode !== null) throw new Error(`chaos worker exited with ${child.exitCode}; see ${this.workerLog}`);
      if (Date.now() > deadline) throw new Error(`chaos worker not ready after 60 s; see ${this.workerLog}`);
      await sleep(100);
    }
  }

  readWorkerLog(): string {
    try {
      return readFileSync(this.workerLog, 'utf8');
    } catch {
      return '';
    }
  }

  workerAlive(): boolean {
    return !!this.worker && this.worker.exitCode === null && this.worker.signalCode === null;
  }

  /** SIGKILL: no graceful shutdown, in-flight activities are lost; tools in their own process groups live on. */
  async killWorker(): Promise<void> {
    const w = this.worker;
    if (!w || w.exitCode !== null) return;
    const exited = new Promise((r) => w.once('exit', r));
    w.kill('SIGKILL');
    await exited;
  }

  async restartWorker(afterMs = 500): Promise<void> {
    await this.killWorker();
    await sleep(afterMs);
    await this.startWorker();
    this.workerRestarts++;
  }

  /** Stops the Temporal dev server and starts it again on the same port and database file. */
  async restartTemporal(downMs = 1000): Promise<void> {
    await this.temporal.stop();
    await sleep(downMs);
    this.temporal = await this.startTemporal();
  }

  /** Every byte the metadata DB holds: the SQLite files, or on PostgreSQL every row of every table as text. */
  async metadataBytes(): Promise<Buffer> {
    if (!this.database) {
      const files = ['metadata.sqlite', 'metadata.sqlite-wal'].map((f) => join(this.dir, f)).filter((f) => existsSync(f));
      return Buffer.concat(files.map((f) => readFileSync(f)));
    }
    const text = await postgresRowsText((this.store as KyselyMetadataStore).db);
    if (!text) throw new Error('the metadata DB has no rows: nothing to scan');
    return Buffer.from(text);
  }

  async stop(): Promise<void> {
    await this.killWorker().catch(() => undefined);
    await this.api?.close().catch(() => undefined);
    for (const c of this.connections) await c.close().catch(() => undefined);
    await this.store?.close().catch(() => undefined);
    await this.simulator?.stop().catch(() => undefined);
    await this.temporal?.stop().catch(() => undefined);
    this.faultServer?.close();
    await this.database?.drop().catch(() => undefined);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
