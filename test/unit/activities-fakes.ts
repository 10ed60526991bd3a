// In-memory fakes of the metadata store and the tool adapters for the activity unit tests.
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type {
  BrClient,
  CdcServer,
  TlsFiles,
  BrProgressLine,
  BrRunResult,
  ChangefeedInfo,
  RunOptions,
  TicdcClient,
  TidbEndpoint,
  TidbSession,
  TidbSqlClient,
  TiupClient,
  TiupClusterListEntry,
  TiupDisplay,
} from '../../adapters/types.js';
import { TiemError } from '../../domain/errors.js';
import type { Cluster, ClusterInstance, ClusterStatus, ClusterWithInstances } from '../../domain/types.js';
import type {
  AllocationRequest,
  AllocationResult,
  BackupRecord,
  RestoreRecord,
  BackupStrategy,
  ChangefeedTask,
  ClusterParameter,
  ClusterUser,
  GcHold,
  Host,
  MetadataStore,
  NewCluster,
  ParameterGroup,
  Relation,
  RepairRecord,
  TopologySnapshot,
} from '../../metadata/types.js';
import type { ActivityConfig, ActivityDeps } from '../../activities/deps.js';

const now = () => new Date().toISOString();

export class FakeStore implements MetadataStore {
  clusters = new Map<string, ClusterWithInstances>();
  users = new Map<string, ClusterUser>();
  groups = new Map<string, ParameterGroup>();
  allocations = new Map<string, AllocationResult>();
  allocateCalls: AllocationRequest[] = [];
  backups = new Map<string, BackupRecord>();
  restores = new Map<string, RestoreRecord>();
  strategies = new Map<string, BackupStrategy>();
  params = new Map<string, ClusterParameter[]>();
  tasks = new Map<string, ChangefeedTask>();
  relations: Relation[] = [];
  snapshots = new Map<string, TopologySnapshot>();
  maintenanceCalls: { sourceClusterId: string; target: NewCluster; holder: string }[] = [];

  async migrate() {}
  async close() {}

  addCluster(c: Partial<ClusterWithInstances> & { id: string }): ClusterWithInstances {
    const cluster: ClusterWithInstances = {
      name: c.id,
      type: 'TiDB',
      version: 'v7.5.1',
      status: 'Running',
      maintenanceStatus: '',
      maintenanceHolder: '',
      copies: 3,
      region: 'r1',
      cpuArchitecture: 'X86_64',
      tags: [],
      tls: false,
      exclusive: false,
      vendor: 'Local',
      parameterGroupId: '',
      createdAt: now(),
      updatedAt: now(),
      instances: [],
      ...c,
    };
    this.clusters.set(cluster.id, cluster);
    return cluster;
  }

  async getCluster(id: string) {
    const c = this.clusters.get(id);
    return c ? structuredClone(c) : undefined;
  }
  async findClusterByName(name: string) {
    return [...this.clusters.values()].find((c) => c.name === name);
  }
  async listClusters(): Promise<Cluster[]> {
    return [...this.clusters.values()];
  }
  async importCluster(c: NewCluster, instances: Omit<ClusterInstance, 'clusterId'>[]) {
    this.addCluster({ ...c, instances: instances.map((i) => ({ ...i, clusterId: c.id })) });
  }
  async startCloneMaintenance(a: { sourceClusterId: string; target: NewCluster; holder: string }) {
    this.maintenanceCalls.push(a);
    const existing = this.clusters.get(a.target.id);
    if (existing && existing.maintenanceHolder === a.holder) return;
    const source = this.clusters.get(a.sourceClusterId);
    if (!source) throw new TiemError('CLUSTER_NOT_FOUND', a.sourceClusterId);
    if (source.maintenanceStatus) throw new TiemError('CLUSTER_MAINTENANCE_CONFLICT', 'busy');
    source.maintenanceStatus = 'BeingCloned';
    source.maintenanceHolder = a.holder;
    this.addCluster({ ...a.target, status: 'Initializing', maintenanceStatus: 'Cloning', maintenanceHolder: a.holder });
  }
  async setMaintenanceStatus(a: { clusterId: string; status: Exclude<ClusterWithInstances['maintenanceStatus'], ''>; holder: string; force?: boolean }) {
    const c = this.clusters.get(a.clusterId);
    if (!c) throw new TiemError('CLUSTER_NOT_FOUND', a.clusterId);
    const current = c.maintenanceStatus;
    if (current === a.status && c.maintenanceHolder === a.holder) return current;
    if (current && !(a.status === 'Deleting' && a.force && current !== 'Deleting')) {
      throw new TiemError('CLUSTER_MAINTENANCE_CONFLICT', `cluster maintenance status is '${current}'`);
    }
    c.maintenanceStatus = a.status;
    c.maintenanceHolder = a.holder;
    return current;
  }
  async endMaintenance(ids: string[], holder: string) {
    for (const id of ids) {
      const c = this.clusters.get(id);
      if (c && c.maintenanceHolder === holder) {
        c.maintenanceStatus = '';
        c.maintenanceHolder = '';
      }
    }
  }
  async setClusterStatus(id: string, status: ClusterStatus) {
    const c = this.clusters.get(id);
    if (c) c.status = status;
  }
  async updateCluster(id: string, patch: Partial<Cluster>) {
    const c = this.clusters.get(id);
    if (c) Object.assign(c, patch);
  }
  async upsertInstances(clusterId: string, instances: Omit<ClusterInstance, 'clusterId'>[]) {
    const c = this.clusters.get(clusterId);
    if (!c) throw new Error(`no cluster ${clusterId}`);
    for (const inst of instances) {
      const i = c.instances.findIndex((x) => x.id === inst.id);
      const row = { ...inst, clusterId };
      if (i >= 0) c.instances[i] = row;
      else c.instances.push(row);
    }
  }
  async setInstancesStatus(clusterId: string, status: ClusterInstance['status']) {
    for (const i of this.clusters.get(clusterId)?.instances ?? []) i.status = status;
  }
  async markClusterDeleted(id: string) {
    this.clusters.delete(id);
  }
  async isSlave(clusterId: string) {
    return this.relations.some((r) => r.objectClusterId === clusterId);
  }
  async upsertRelation(r: Relation) {
    this.relations = this.relations.filter((x) => !(x.subjectClusterId === r.subjectClusterId && x.objectClusterId === r.objectClusterId));
    this.relations.push(r);
  }
  async deleteRelation(subject: string, object: string) {
    this.relations = this.relations.filter((x) => !(x.subjectClusterId === subject && x.objectClusterId === object));
  }
  async getRelations(clusterId: string) {
    return {
      masters: this.relations.filter((r) => r.objectClusterId === clusterId),
      slaves: this.relations.filter((r) => r.subjectClusterId === clusterId),
    };
  }
  async addHosts(): Promise<Host[]> {
    return [];
  }
  async listHosts(): Promise<Host[]> {
    return [];
  }
  /** The same placement as allocate, nothing kept. */
  async planAllocation(req: AllocationRequest): Promise<AllocationResult> {
    const keep = new Map(this.allocations);
    const calls = this.allocateCalls.length;
    const r = await this.allocate({ ...req, requestId: `plan-${req.requestId}` });
    this.allocations = keep;
    this.allocateCalls.length = calls;
    return r;
  }
  /** Places instance n on host 127.0.2.(11+n), ports from the low end of each range. */
  async allocate(req: AllocationRequest): Promise<AllocationResult> {
    this.allocateCalls.push(structuredClone(req));
    const prior = this.allocations.get(req.requestId);
    if (prior) return prior;
    const result: AllocationResult = {
      requestId: req.requestId,
      holderId: req.holderId,
      instances: req.requirements.map((r, n) => ({
        component: r.component,
        hostId: `host-${n + 1}`,
        hostIp: r.hostIp ?? `127.0.2.${11 + n}`,
        zone: r.zone,
        rack: 'rack1',
        diskId: `disk-${n + 1}`,
        diskPath: '/data1',
        diskType: r.diskType ?? 'SSD',
        ports: Array.from({ length: r.portCount }, (_, k) => r.portRange[0] + k),
        cpuCores: r.cpuCores,
        memoryGb: r.memoryGb,
      })),
      globalPorts: [req.globalPortRange[0], req.globalPortRange[0] + 1],
    };
    this.allocations.set(req.requestId, result);
    return result;
  }
  async getAllocation(requestId: string) {
    return this.allocations.get(requestId);
  }
  async release(requestId: string) {
    return this.allocations.delete(requestId);
  }
  async releaseByHolder(holderId: string) {
    let n = 0;
    for (const [id, a] of this.allocations) {
      if (a.holderId === holderId) {
        this.allocations.delete(id);
        n++;
      }
    }
    return n;
  }
  async listAllocations(holderId: string) {
    return [...this.allocations.values()].filter((a) => a.holderId === holderId);
  }
  async upsertClusterUser(u: Omit<ClusterUser, 'updatedAt'>) {
    this.users.set(`${u.clusterId}/${u.name}`, { ...u, updatedAt: now() });
  }
  async getClusterUser(clusterId: string, name: string) {
    return this.users.get(`${clusterId}/${name}`);
  }
  async listClusterUsers(clusterId: string) {
    return [...this.users.values()].filter((u) => u.clusterId === clusterId);
  }
  async saveTopologySnapshot(s: Partial<TopologySnapshot> & { clusterId: string }) {
    const prev = this.snapshots.get(s.clusterId) ?? { clusterId: s.clusterId, privateKey: '', publicKey: '', metaYaml: '' };
    this.snapshots.set(s.clusterId, { ...prev, ...s });
  }
  async getTopologySnapshot(clusterId: string) {
    return this.snapshots.get(clusterId);
  }
  async createBackupRecord(r: BackupRecord) {
    if (!this.backups.has(r.id)) this.backups.set(r.id, r);
    return this.backups.get(r.id) as BackupRecord;
  }
  async updateBackupRecord(id: string, patch: Partial<BackupRecord>) {
    const r = this.backups.get(id);
    if (r) Object.assign(r, patch);
  }
  async getBackupRecord(id: string) {
    return this.backups.get(id);
  }
  async recordRestore(r: RestoreRecord) {
    const key = `${r.clusterId}/${r.backupId}`;
    if (!this.restores.has(key)) this.restores.set(key, r);
  }
  async getRestoreRecord(clusterId: string, backupId: string) {
    return this.restores.get(`${clusterId}/${backupId}`);
  }
  async getBackupStrategy(clusterId: string) {
    return this.strategies.get(clusterId);
  }
  async saveBackupStrategy(s: BackupStrategy) {
    this.strategies.set(s.clusterId, s);
  }
  async getParameterGroup(id: string) {
    return this.groups.get(id);
  }
  async findDefaultParameterGroup(minor: string) {
    return [...this.groups.values()].find((g) => g.isDefault && g.clusterVersion === minor);
  }
  async addParameterGroup(g: ParameterGroup) {
    this.groups.set(g.id, g);
  }
  async listParameterGroups(f: { clusterVersion?: string; isDefault?: boolean; name?: string } = {}) {
    return [...this.groups.values()].filter(
      (g) => (!f.clusterVersion || g.clusterVersion === f.clusterVersion) && (f.isDefault === undefined || g.isDefault === f.isDefault) && (!f.name || g.name.includes(f.name)),
    );
  }
  async listClusterParameters(clusterId: string) {
    return this.params.get(clusterId) ?? [];
  }
  async saveClusterParameters(clusterId: string, params: ClusterParameter[]) {
    const list = this.params.get(clusterId) ?? [];
    for (const p of params) {
      const i = list.findIndex((x) => x.component === p.component && x.name === p.name);
      if (i >= 0) list[i] = p;
      else list.push(p);
    }
    this.params.set(clusterId, list);
  }
  async upsertChangefeedTask(t: ChangefeedTask) {
    this.tasks.set(t.id, { ...t });
  }
  async getChangefeedTask(id: string) {
    return this.tasks.get(id);
  }
  async listChangefeedTasks(filter: { clusterId?: string; downstreamClusterId?: string }) {
    return [...this.tasks.values()].filter(
      (t) => (!filter.clusterId || t.clusterId === filter.clusterId) && (!filter.downstreamClusterId || t.downstreamClusterId === filter.downstreamClusterId),
    );
  }

  gcHolds: GcHold[] = [];
  repairs: RepairRecord[] = [];
  async listAllocationHeaders() {
    return [...this.allocations.values()].map((a) => ({ requestId: a.requestId, holderId: a.holderId, createdAt: now() }));
  }
  async addGcHold(h: { sourceClusterId: string; holder: string; original: string }) {
    const existing = await this.getGcHold(h.sourceClusterId, h.holder);
    if (existing) return { ...existing };
    const hold: GcHold = { ...h, since: now() };
    this.gcHolds.push(hold);
    return { ...hold };
  }
  async getGcHold(sourceClusterId: string, holder: string) {
    const h = this.gcHolds.find((x) => x.sourceClusterId === sourceClusterId && x.holder === holder);
    return h && { ...h };
  }
  async listGcHolds(filter: { sourceClusterId?: string; active?: boolean }) {
    return this.gcHolds
      .filter((h) => (filter.sourceClusterId === undefined || h.sourceClusterId === filter.sourceClusterId) && (filter.active === undefined || filter.active === !h.releasedAt))
      .map((h) => ({ ...h }));
  }
  async releaseGcHold(sourceClusterId: string, holder: string, releasedBy: string) {
    const h = this.gcHolds.find((x) => x.sourceClusterId === sourceClusterId && x.holder === holder && !x.releasedAt);
    if (h) Object.assign(h, { releasedAt: now(), releasedBy });
  }
  async recordRepair(r: Omit<RepairRecord, 'id' | 'at'>) {
    const rec: RepairRecord = { ...r, id: `repair-${this.repairs.length + 1}`, at: now() };
    this.repairs.push(rec);
    return rec;
  }
  async listRepairs(filter: { limit?: number; runId?: string }) {
    return this.repairs.filter((r) => !filter.runId || r.runId === filter.runId).reverse().slice(0, filter.limit ?? 100);
  }
}

/** Resolves when `signal` aborts (rejects with an AbortError), like the real adapters' killed tool. */
export function hangUntilAborted(signal?: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const abort = () => {
      const err = new Error('The operation was aborted');
      err.name = 'AbortError';
      reject(err);
    };
    if (signal?.aborted) abort();
    signal?.addEventListener('abort', abort, { once: true });
  });
}

export class FakeTiup implements TiupClient {
  clusters: TiupClusterListEntry[] = [];
  calls: string[] = [];
  displays: TiupDisplay[] = [];
  topology = 'global:\n  user: tidb\nserver_configs:\n  pd: {}\n';
  editedTopologies: string[] = [];
  hang = false;
  dir = '/nonexistent';
  lastSignal?: AbortSignal;

  clusterDir(name: string) {
    return `${this.dir}/${name}`;
  }
  async list() {
    this.calls.push('list');
    return this.clusters;
  }
  async deploy(name: string, version: string, _yaml: string, opts?: RunOptions) {
    this.calls.push(`deploy ${name} ${version}`);
    this.lastSignal = opts?.signal;
    opts?.onLine?.('stdout', '+ Deploy TiDB instance 127.0.2.11');
    if (this.hang) await hangUntilAborted(opts?.signal);
    this.clusters.push({ name, user: 'tidb', version, path: '', private_key: '' });
  }
  async start(name: string, opts?: RunOptions) {
    this.calls.push(`start ${name}`);
    if (this.hang) await hangUntilAborted(opts?.signal);
  }
  async stop(name: string) {
    this.calls.push(`stop ${name}`);
  }
  async display(name: string) {
    this.calls.push(`display ${name}`);
    const d = this.displays.length > 1 ? this.displays.shift() : this.displays[0];
    if (!d) throw new Error('no display');
    return d;
  }
  async destroy(name: string, o?: { force?: boolean }) {
    this.calls.push(`destroy ${name}${o?.force ? ' --force' : ''}`);
    this.clusters = this.clusters.filter((c) => c.name !== name);
  }
  async showConfig(name: string) {
    this.calls.push(`show-config ${name}`);
    return this.topology;
  }
  async editConfig(name: string, yaml: string) {
    this.calls.push(`edit-config ${name}`);
    this.editedTopologies.push(yaml);
    this.topology = yaml;
  }
  async reload(name: string, o?: { roles?: string[] }) {
    this.calls.push(`reload ${name} -R ${(o?.roles ?? []).join(',')}`);
  }
  async push(name: string, local: string, remote: string, o?: { nodes?: string[] }) {
    this.calls.push(`push ${name} ${remote} -N ${(o?.nodes ?? []).join(',')}`);
  }
}

export class FakeBr implements BrClient {
  completedBackups = new Map<string, string>(); // storage → end version
  backupRuns = 0;
  restoreRuns = 0;
  progress: BrProgressLine[] = [];
  hang = false;
  result: BrRunResult = { backupTs: '449000000000000000', sizeBytes: 1024, summary: '' };

  async backupFull(a: { storage: string; onProgress?: (p: BrProgressLine) => void } & RunOptions) {
    this.backupRuns++;
    for (const p of this.progress) a.onProgress?.(p);
    if (this.hang) await hangUntilAborted(a.signal);
    this.completedBackups.set(a.storage, this.result.backupTs);
    return this.result;
  }
  async restoreFull(a: { onProgress?: (p: BrProgressLine) => void; withSysTable?: boolean } & RunOptions) {
    this.restoreRuns++;
    for (const p of this.progress) a.onProgress?.(p);
    if (this.hang) await hangUntilAborted(a.signal);
    return this.result;
  }
  async decodeEndVersion(a: { storage: string }) {
    return this.completedBackups.get(a.storage);
  }
}

export class AccessDenied extends Error {
  code = 'ER_ACCESS_DENIED_ERROR';
  errno = 1045;
  constructor(user: string) {
    super(`Access denied for user '${user}'@'%'`);
  }
}

/** One TiDB server: accounts, global variables and a TSO. */
export class FakeTidb {
  users = new Map<string, { password: string; privileges: string[] }>([['root', { password: '', privileges: [] }]]);
  globals = new Map<string, string>([['tidb_gc_life_time', '10m0s']]);
  configs: { component: string; name: string; value: unknown }[] = [];
  tso = '0';
  tablesWithoutUniqueKey: string[] = [];
  /** Serves SQL over TLS (TiDB with security.ssl-cert) to a client that brings TLS material. */
  offersTls = false;
  connects: { user: string; ok: boolean }[] = [];
  statements: string[] = [];
}

export class FakeSql implements TidbSqlClient {
  servers = new Map<string, FakeTidb>();
  unreachable = new Set<string>();

  server(host: string, port: number): FakeTidb {
    const key = `${host}:${port}`;
    let s = this.servers.get(key);
    if (!s) {
      s = new FakeTidb();
      this.servers.set(key, s);
    }
    return s;
  }

  async connect(ep: TidbEndpoint): Promise<TidbSession> {
    const key = `${ep.host}:${ep.port}`;
    if (this.unreachable.has(key)) {
      const err = new Error(`connect ECONNREFUSED ${key}`) as Error & { code: string };
      err.code = 'ECONNREFUSED';
      throw err;
    }
    const db = this.server(ep.host, ep.port);
    const account = db.users.get(ep.user);
    const ok = !!account && account.password === ep.password;
    db.connects.push({ user: ep.user, ok });
    if (!ok) throw new AccessDenied(ep.user);
    return {
      secure: db.offersTls && Boolean(ep.tls),
      ping: async () => undefined,
      tablesWithoutUniqueKey: async () => [...db.tablesWithoutUniqueKey],
      version: async () => 'v7.5.1',
      getGlobalVariable: async (name) => db.globals.get(name),
      globalVariables: async () => Object.fromEntries(db.globals),
      setGlobalVariable: async (name, value) => {
        db.statements.push(`SET GLOBAL ${name}`);
        db.globals.set(name, value);
      },
      currentTso: async () => db.tso,
      gcSafePoint: async () => undefined,
      alterUserPassword: async (user, _host, password) => {
        db.statements.push(`ALTER USER ${user}`);
        const u = db.users.get(user);
        if (!u) throw new Error(`no user ${user}`);
        u.password = password;
      },
      ensureUser: async (user, password, privileges) => {
        db.statements.push(`ENSURE USER ${user}`);
        db.users.set(user, { password, privileges });
      },
      listUsers: async () => [...db.users.keys()].map((user) => ({ user, host: '%' })),
      showConfig: async (filter) =>
        db.configs
          .filter((c) => (!filter?.type || c.component === filter.type) && (!filter?.name || c.name === filter.name))
          .map((c) => ({ type: c.component, instance: `${ep.host}:${ep.port}`, name: c.name, value: String(c.value) })),
      setConfig: async (component, name, value) => {
        db.statements.push(`SET CONFIG ${component} ${name}`);
        db.configs.push({ component, name, value });
      },
      checksumAll: async () => [],
      close: async () => undefined,
    };
  }
}

const addressOf = (s: CdcServer) => (typeof s === 'string' ? s : s.address);

export class FakeCdc implements TicdcClient {
  feeds = new Map<string, ChangefeedInfo>(); // key server/id
  created: { server: string; tls?: TlsFiles; changefeedId: string; sinkUri: string; startTs: string; filterRules?: string[] }[] = [];
  removed: string[] = [];
  createError?: Error;
  /** State a created changefeed reports. */
  initialState = 'normal';

  async createChangefeed(server: CdcServer, a: { changefeedId: string; sinkUri: string; startTs: string; filterRules?: string[] }) {
    if (this.createError) throw this.createError;
    const tls = typeof server === 'string' ? undefined : server.tls;
    this.created.push({ server: addressOf(server), ...(tls ? { tls } : {}), ...a });
    const info: ChangefeedInfo = { id: a.changefeedId, state: this.initialState, checkpoint_ts: a.startTs, start_ts: a.startTs };
    this.feeds.set(`${addressOf(server)}/${a.changefeedId}`, info);
    return info;
  }
  async getChangefeed(server: CdcServer, id: string) {
    return this.feeds.get(`${addressOf(server)}/${id}`);
  }
  async removeChangefeed(server: CdcServer, id: string) {
    this.removed.push(`${addressOf(server)}/${id}`);
    this.feeds.delete(`${addressOf(server)}/${id}`);
  }
  async listChangefeeds() {
    return [...this.feeds.values()];
  }
  async health() {
    return true;
  }
}

export const testConfig: ActivityConfig = {
  backupStorageBase: 'local:///tmp/tiem-backups',
  deployUser: 'tidb',
  sshPort: 22,
  cloneGcLifeTime: '720h',
  healthTimeoutMs: 2000,
  pollIntervalMs: 10,
};

export interface Fakes extends ActivityDeps {
  store: FakeStore;
  tiup: FakeTiup;
  br: FakeBr;
  sql: FakeSql;
  cdc: FakeCdc;
  signals: { workflowId: string; signalName: string; arg: unknown }[];
}

export function makeDeps(overrides: Partial<ActivityConfig> = {}): Fakes {
  const signals: Fakes['signals'] = [];
  return {
    store: new FakeStore(),
    tiup: new FakeTiup(),
    br: new FakeBr(),
    sql: new FakeSql(),
    cdc: new FakeCdc(),
    config: { ...testConfig, ...overrides },
    signals,
    signalWorkflow: async (workflowId, signalName, arg) => {
      signals.push({ workflowId, signalName, arg });
    },
  };
}

let instanceSeq = 0;
export function inst(clusterId: string, component: ClusterInstance['component'], hostIp: string, ports: number[], status: ClusterInstance['status'] = 'Running'): ClusterInstance {
  instanceSeq++;
  return {
    id: `${clusterId}-${component.toLowerCase()}-${instanceSeq}`,
    clusterId,
    component,
    hostId: `h-${hostIp}`,
    hostIp,
    ports,
    diskId: 'd1',
    diskPath: '/data1',
    zone: 'z1',
    rack: 'rack1',
    cpuCores: 4,
    memoryGb: 8,
    status,
  };
}

/** A running source cluster with PD, TiDB, 3 TiKV and a CDC, and its root password stored. */
export async function addSource(fakes: Fakes, opts: { id?: string; version?: string; withCdc?: boolean; parameterGroupId?: string } = {}) {
  const id = opts.id ?? 'src-cluster';
  const instances = [
    inst(id, 'PD', '127.0.1.11', [2379, 2380]),
    inst(id, 'TiDB', '127.0.1.11', [4000, 10080]),
    inst(id, 'TiKV', '127.0.1.12', [20160, 20180]),
    inst(id, 'TiKV', '127.0.1.13', [20160, 20180]),
    inst(id, 'TiKV', '127.0.1.14', [20160, 20180]),
  ];
  if (opts.withCdc !== false) instances.push(inst(id, 'CDC', '127.0.1.11', [8300]));
  const cluster = fakes.store.addCluster({ id, name: `${id}-name`, version: opts.version ?? 'v7.5.1', instances, parameterGroupId: opts.parameterGroupId ?? '' });
  await fakes.store.upsertClusterUser({ clusterId: id, name: 'root', password: 'source-root-pw', role: 'Root' });
  fakes.sql.server('127.0.1.11', 4000).users.set('root', { password: 'source-root-pw', privileges: [] });
  return cluster;
}

/** A deployed target (instances Initializing) with TiDB on 127.0.2.11:10000 and PD on 127.0.2.12:10040. */
export function addTarget(fakes: Fakes, opts: { id?: string; version?: string; withCdc?: boolean; withTiflash?: boolean } = {}) {
  const id = opts.id ?? 'tgt-cluster';
  const instances = [
    inst(id, 'TiDB', '127.0.2.11', [10000, 10001], 'Initializing'),
    inst(id, 'PD', '127.0.2.12', [10040, 10041], 'Initializing'),
    inst(id, 'TiKV', '127.0.2.13', [10020, 10021], 'Initializing'),
  ];
  if (opts.withCdc) instances.push(inst(id, 'CDC', '127.0.2.14', [10180, 10181], 'Initializing'));
  if (opts.withTiflash) instances.push(inst(id, 'TiFlash', '127.0.2.15', [10120, 10121, 10122, 10123, 10124, 10125], 'Initializing'));
  return fakes.store.addCluster({ id, name: `${id}-name`, version: opts.version ?? 'v7.5.1', status: 'Initializing', instances });
}

/** MockActivityEnvironment with a typed `run` (its own generics infer `unknown` results). */
export interface TestActivityEnv {
  run<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R>;
  cancel: MockActivityEnvironment['cancel'];
  on(event: 'heartbeat', listener: (details: unknown) => void): unknown;
  readonly context: MockActivityEnvironment['context'];
}

/** A MockActivityEnvironment that does not print every expected failure. */
export function mockEnv(): TestActivityEnv {
  return new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }) as unknown as TestActivityEnv;
}
