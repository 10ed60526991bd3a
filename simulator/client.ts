// Typed client for the simulator's control and inspection APIs (tests and the demo use it).

export type SimRole = 'pd' | 'tikv' | 'tidb' | 'cdc' | 'tiflash' | 'prometheus' | 'grafana' | 'alertmanager';

export interface SeedClusterRequest {
  name: string;
  version: string;
  deployUser?: string;
  instances: { role: SimRole; host: string; port?: number; statusPort?: number; peerPort?: number }[];
  rootPassword: string;
  users?: { user: string; host?: string; password: string; privileges: string[] }[];
  tables?: { db: string; table: string; rows: number; sizeBytes: number; uniqueKey?: boolean }[];
  writeStream?: { writesPerSec: number; rowsPerWrite?: number; bytesPerWrite?: number };
  gcLifeTime?: string;
  /** `global.enable_tls`: TiUP's CA and client pair under the cluster's tls/ (simulator/tls.ts). */
  tls?: boolean;
  /** The topology's server_configs (also the live config), per component: `{ tikv: { 'raftstore.apply-pool-size': 4 } }`. */
  serverConfigs?: Record<string, Record<string, string | number | boolean>>;
  /** Global variables changed from the defaults. */
  globalVariables?: Record<string, string>;
  /** default true */
  started?: boolean;
}

export interface FaultRequest {
  op: string;
  cluster?: string;
  mode: 'fail' | 'hang' | 'die';
  times?: number | 'always';
  message?: string;
  atPercent?: number;
}

export interface InspectCluster {
  name: string;
  version: string;
  /** `Partial`: some instances stopped (`tiup cluster stop <name> -R …` / `-N …`). */
  status: 'Up' | 'Down' | 'Partial';
  origin: 'tiup' | 'seed';
  deployUser: string;
  tiupHome: string;
  tls: boolean;
  instances: { role: SimRole; host: string; port: number; statusPort?: number; peerPort?: number; status: 'Up' | 'Down' }[];
  gcLifeTime: string;
  gcEnable: string;
  gcSafePoint: string;
  gcSafePointTime: string;
  serviceSafePoints: { serviceId: string; safePoint: string; expiresAt: string }[];
  users: { user: string; host: string; privileges: string[]; hasPassword: boolean }[];
  tables: { db: string; table: string; rows: number; bytes: number }[];
  changefeeds: { id: string; state: string; startTs: string; checkpointTs: string; downstream: string; error: { code: string; message: string } | null }[];
  pushedFiles: { host: string; remotePath: string; localPath: string; content: string; pushedAt: string }[];
  config: Record<string, Record<string, string | number | boolean>>;
  globalVariables: Record<string, string>;
  writeStream: { writesPerSec: number; rowsPerWrite: number; bytesPerWrite: number } | null;
  restoreCheckpoint: { backupKey: string; restoredTables: string[] } | null;
}

export interface InspectChecksum {
  checksum: string;
  totalKvs: number;
  totalBytes: number;
  tables: { db: string; table: string; checksum: string; totalKvs: number; totalBytes: number }[];
}

export interface OperationRecord {
  op: string;
  cluster?: string;
  argv: string[];
  exitCode?: number;
  startedAt: string;
  endedAt?: string;
}

export class SimulatorClient {
  constructor(readonly url: string) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(new URL(path, this.url), {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const data = text ? (JSON.parse(text) as unknown) : {};
    if (!res.ok) throw new Error(`simulator ${method} ${path} → ${res.status}: ${(data as { error?: string }).error ?? text}`);
    return data as T;
  }

  // ---- control ----
  createCluster(req: SeedClusterRequest): Promise<{ name: string; instances: InspectCluster['instances'] }> {
    return this.call('POST', '/control/clusters', req);
  }
  async addFault(f: FaultRequest): Promise<string> {
    return (await this.call<{ id: string }>('POST', '/control/faults', f)).id;
  }
  async clearFaults(): Promise<void> {
    await this.call('DELETE', '/control/faults');
  }
  async listFaults(): Promise<(FaultRequest & { id: string; remaining: number | 'always'; hits: number })[]> {
    return (await this.call<{ faults: (FaultRequest & { id: string; remaining: number | 'always'; hits: number })[] }>('GET', '/control/faults')).faults;
  }
  async setSpeed(factor: number): Promise<void> {
    await this.call('POST', '/control/speed', { factor });
  }
  async setChangefeedState(id: string, state: 'failed' | 'warning' | 'normal' | 'stopped', message?: string, code?: string): Promise<void> {
    await this.call('POST', `/control/changefeeds/${encodeURIComponent(id)}/state`, { state, message, code });
  }
  async advanceGc(cluster: string): Promise<string> {
    return (await this.call<{ gcSafePoint: string }>('POST', `/control/clusters/${encodeURIComponent(cluster)}/gc/advance`)).gcSafePoint;
  }
  async setWriteStream(cluster: string, writesPerSec: number, o: { rowsPerWrite?: number; bytesPerWrite?: number } = {}): Promise<void> {
    await this.call('POST', `/control/clusters/${encodeURIComponent(cluster)}/write-stream`, { writesPerSec, ...o });
  }
  /** Appends `count` writes now; returns a TSO taken after them. */
  async write(cluster: string, w: { db: string; table: string; count?: number; rowsPerWrite?: number; bytesPerWrite?: number }): Promise<string> {
    return (await this.call<{ tso: string }>('POST', `/control/clusters/${encodeURIComponent(cluster)}/writes`, w)).tso;
  }

  // ---- inspection ----
  async clusters(): Promise<{ name: string; version: string; status: string; origin: string }[]> {
    return (await this.call<{ clusters: { name: string; version: string; status: string; origin: string }[] }>('GET', '/inspect/clusters')).clusters;
  }
  cluster(name: string): Promise<InspectCluster> {
    return this.call('GET', `/inspect/clusters/${encodeURIComponent(name)}`);
  }
  checksum(name: string, ts?: string): Promise<InspectChecksum> {
    return this.call('GET', `/inspect/clusters/${encodeURIComponent(name)}/checksum${ts ? `?ts=${encodeURIComponent(ts)}` : ''}`);
  }
  async operations(filter: { op?: string; cluster?: string } = {}): Promise<OperationRecord[]> {
    const q = new URLSearchParams();
    if (filter.op) q.set('op', filter.op);
    if (filter.cluster) q.set('cluster', filter.cluster);
    const s = q.toString();
    return (await this.call<{ operations: OperationRecord[] }>('GET', `/inspect/operations${s ? `?${s}` : ''}`)).operations;
  }
  async tso(): Promise<string> {
    return (await this.call<{ tso: string }>('GET', '/inspect/tso')).tso;
  }
}
