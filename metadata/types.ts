// Contract of the metadata store (spec §6). One data-access module; SQLite in the embedded
// default, written with Kysely so PostgreSQL needs a dialect, not new queries.
import type {
  Cluster,
  ClusterInstance,
  ClusterStatus,
  ClusterWithInstances,
  ComponentType,
  CpuArchitecture,
  MaintenanceStatus,
} from '../domain/types.js';

export interface HostInput {
  id?: string;
  ip: string;
  hostName?: string;
  region: string;
  zone: string;
  rack: string;
  arch: CpuArchitecture;
  cpuCores: number;
  memoryGb: number;
  status?: 'Online' | 'Offline';
  /** Reserved hosts are skipped by allocation (e.g. hosts of imported clusters). */
  reserved?: boolean;
  disks: { id?: string; name: string; path: string; capacityGb: number; type: 'SSD' | 'NVMeSSD' | 'SATA' }[];
}

export interface Host {
  id: string;
  ip: string;
  hostName: string;
  region: string;
  zone: string;
  rack: string;
  arch: CpuArchitecture;
  cpuCores: number;
  memoryGb: number;
  freeCpuCores: number;
  freeMemoryGb: number;
  status: 'Online' | 'Offline';
  loadStat: 'LoadLess' | 'InUsed' | 'Exclusive';
  reserved: boolean;
  disks: { id: string; name: string; path: string; capacityGb: number; type: string; status: 'Available' | 'Exhaust' }[];
}

/** One instance to place (TiEM §6.1). */
export interface InstanceRequirement {
  component: ComponentType;
  zone: string;
  cpuCores: number;
  memoryGb: number;
  diskCapacityGb?: number;
  diskType?: string;
  hostIp?: string;
  diskId?: string;
  /** Port range [start, end) and how many ports this instance needs. */
  portRange: [number, number];
  portCount: number;
}

export interface AllocationRequest {
  /** Idempotency key: allocating twice with the same id returns the first result. */
  requestId: string;
  holderId: string; // target cluster id
  region: string;
  arch: CpuArchitecture;
  exclusive: boolean;
  requirements: InstanceRequirement[];
  /** Ports free on every host of the region (node_exporter, blackbox_exporter). */
  globalPortCount: number;
  globalPortRange: [number, number];
}

export interface AllocatedInstance {
  component: ComponentType;
  hostId: string;
  hostIp: string;
  zone: string;
  rack: string;
  diskId: string;
  diskPath: string;
  diskType: string;
  ports: number[];
  cpuCores: number;
  memoryGb: number;
}

export interface AllocationResult {
  requestId: string;
  holderId: string;
  /** Same order as the request's requirements. */
  instances: AllocatedInstance[];
  globalPorts: number[];
}

export interface ClusterUser {
  clusterId: string;
  name: string;
  /** Decrypted on read; stored AES-256-GCM encrypted. */
  password: string;
  role: 'Root' | 'BackupRestore' | 'ParameterManagement' | 'CDCDataSync';
  updatedAt: string;
}

export interface TopologySnapshot {
  clusterId: string;
  privateKey: string; // decrypted on read; stored encrypted
  publicKey: string;
  metaYaml: string;
}

export interface BackupRecord {
  id: string;
  clusterId: string;
  storageType: 'local' | 's3';
  filePath: string; // full storage URI of this backup
  backupType: 'full';
  backupMethod: 'physical';
  backupMode: 'manual' | 'auto';
  status: 'Processing' | 'Finished' | 'Failed';
  size: number;
  backupTso: string;
  startTime: string;
  endTime: string;
}

/** A finished restore of a backup into a cluster (the restore's idempotency marker). */
export interface RestoreRecord {
  clusterId: string;
  backupId: string;
  backupTso: string;
  /** Target TSO read right after BR finished, before anything else wrote to it ('' until read). */
  restoredTso: string;
  size: number;
  finishedAt: string;
}

export interface BackupStrategy {
  clusterId: string;
  backupDate: string; // e.g. "Monday,Friday"
  period: string; // "H:00-H:00"
}

export interface ParameterGroupParam {
  component: 'tidb' | 'tikv' | 'pd' | 'tiflash' | 'cdc';
  name: string;
  defaultValue: string;
}

export interface ParameterGroup {
  id: string;
  name: string;
  /** Minor version the group is for, "v7.5". */
  clusterVersion: string;
  isDefault: boolean;
  params: ParameterGroupParam[];
  /** TiEM's clusterSpec ("8C16G") and note; '' when not given. */
  clusterSpec?: string;
  note?: string;
  createdAt?: string;
}

export interface ClusterParameter {
  component: 'tidb' | 'tikv' | 'pd' | 'tiflash' | 'cdc';
  name: string;
  value: string;
}

export interface ChangefeedTask {
  id: string;
  name: string;
  clusterId: string; // upstream (source)
  downstreamClusterId: string;
  startTs: string;
  status: 'Initial' | 'Normal' | 'Stopped' | 'Failed' | 'Deleted';
  /** "host:port" of the CDC server the changefeed lives on. */
  cdcServer: string;
}

export interface Relation {
  relationType: 'StandBy';
  subjectClusterId: string; // master / upstream
  objectClusterId: string; // slave / downstream
  syncChangefeedTaskId: string;
}

/** A clone's hold on a source's `tidb_gc_life_time` (spec §5.4). */
export interface GcHold {
  sourceClusterId: string;
  /** The holding workflow's id. */
  holder: string;
  /** The value before any hold: what every release puts back. */
  original: string;
  since: string;
  releasedAt?: string;
  releasedBy?: string;
}

/** One thing the reconciler found a closed workflow had left behind, and what it did about it. */
export interface RepairRecord {
  id: string;
  at: string;
  /** The reconciler run (workflow id). */
  runId: string;
  kind: 'gcHold' | 'maintenanceLock' | 'allocation' | 'changefeed';
  /** Source cluster (GC), cluster (lock), allocation request id, changefeed id. */
  subject: string;
  holder: string;
  /** The holder workflow's status when found: COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT, NOT_FOUND. */
  holderStatus: string;
  action: string;
  outcome: 'repaired' | 'failed';
  error?: string;
}

/** An allocation request header: who holds what, under which idempotency key. */
export interface AllocationHeader {
  requestId: string;
  holderId: string;
  createdAt: string;
}

export interface NewCluster {
  id: string;
  name: string;
  version: string;
  copies: number;
  region: string;
  cpuArchitecture: CpuArchitecture;
  tags: string[];
  tls: boolean;
  exclusive: boolean;
  vendor: string;
  parameterGroupId: string;
  /** The TiUP control host that manages it; absent or '' = the deployment's default. */
  controlHost?: string;
}

export interface MetadataStore {
  /** Runs pending migrations. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  // --- clusters (deleted clusters are invisible to every read) ---
  getCluster(id: string): Promise<ClusterWithInstances | undefined>;
  findClusterByName(name: string): Promise<Cluster | undefined>;
  listClusters(): Promise<Cluster[]>;
  /** Insert a cluster that already exists (demo seed, takeover import). Status Running, no maintenance. */
  importCluster(c: NewCluster, instances: Omit<ClusterInstance, 'clusterId'>[]): Promise<void>;
  /**
   * One transaction: source exists (CLUSTER_NOT_FOUND), name unique among non-deleted clusters
   * (DUPLICATED_NAME), source maintenance '' → BeingCloned, insert target (Initializing, Cloning),
   * both held by `holder` (CLUSTER_MAINTENANCE_CONFLICT otherwise). Idempotent: if the target row
   * already exists with this holder it returns without change.
   */
  startCloneMaintenance(a: { sourceClusterId: string; target: NewCluster; holder: string }): Promise<void>;
  /**
   * TiEM's SetMaintenanceStatus for one cluster (delete, takeover, …): '' → `status`; `Deleting` with
   * `force` also replaces any status but `Deleting`; otherwise CLUSTER_MAINTENANCE_CONFLICT
   * ("cluster maintenance status is '<current>'"). CLUSTER_NOT_FOUND for a missing or deleted cluster.
   * Idempotent: when `holder` already holds `status` it returns without change. Returns the status replaced.
   */
  setMaintenanceStatus(a: { clusterId: string; status: Exclude<MaintenanceStatus, ''>; holder: string; force?: boolean }): Promise<MaintenanceStatus>;
  /** Clears the maintenance status of each cluster only where `holder` holds it. Idempotent. */
  endMaintenance(clusterIds: string[], holder: string): Promise<void>;
  setClusterStatus(id: string, status: ClusterStatus): Promise<void>;
  updateCluster(id: string, patch: Partial<Pick<Cluster, 'version' | 'copies' | 'parameterGroupId' | 'tags' | 'status'>>): Promise<void>;
  /** Upsert by instance id. */
  upsertInstances(clusterId: string, instances: Omit<ClusterInstance, 'clusterId'>[]): Promise<void>;
  setInstancesStatus(clusterId: string, status: ClusterInstance['status']): Promise<void>;
  markClusterDeleted(id: string): Promise<void>;

  // --- relations ---
  isSlave(clusterId: string): Promise<boolean>;
  /** Upsert by (type, subject, object). */
  upsertRelation(r: Relation): Promise<void>;
  deleteRelation(subjectClusterId: string, objectClusterId: string): Promise<void>;
  getRelations(clusterId: string): Promise<{ masters: Relation[]; slaves: Relation[] }>;

  // --- hosts and allocation (the resource pool) ---
  addHosts(hosts: HostInput[]): Promise<Host[]>;
  listHosts(): Promise<Host[]>;
  /** All-or-nothing; throws TiemError RESOURCE_ALLOCATE_ERROR with causeCode 30102/30103/30104. Idempotent by requestId. */
  allocate(req: AllocationRequest): Promise<AllocationResult>;
  /** What allocate would give right now (same placement rules), keeping nothing: the pre-flight check. */
  planAllocation(req: AllocationRequest): Promise<AllocationResult>;
  getAllocation(requestId: string): Promise<AllocationResult | undefined>;
  /** Gives back everything held under requestId. Returns false when there was nothing. Idempotent. */
  release(requestId: string): Promise<boolean>;
  /** Gives back everything held by a cluster (delete of a failed target). */
  releaseByHolder(holderId: string): Promise<number>;
  /** For checks: what a holder currently has allocated. */
  listAllocations(holderId: string): Promise<AllocationResult[]>;

  // --- accounts ---
  upsertClusterUser(u: Omit<ClusterUser, 'updatedAt'>): Promise<void>;
  getClusterUser(clusterId: string, name: string): Promise<ClusterUser | undefined>;
  listClusterUsers(clusterId: string): Promise<ClusterUser[]>;

  // --- topology snapshots ---
  saveTopologySnapshot(s: Partial<TopologySnapshot> & { clusterId: string }): Promise<void>;
  getTopologySnapshot(clusterId: string): Promise<TopologySnapshot | undefined>;

  // --- backups ---
  /** Insert if absent (idempotent by id); returns the stored record. */
  createBackupRecord(r: BackupRecord): Promise<BackupRecord>;
  updateBackupRecord(id: string, patch: Partial<Pick<BackupRecord, 'status' | 'size' | 'backupTso' | 'endTime' | 'filePath'>>): Promise<void>;
  getBackupRecord(id: string): Promise<BackupRecord | undefined>;
  /** Insert if absent; a later call with a non-empty restoredTso fills it in. */
  recordRestore(r: RestoreRecord): Promise<void>;
  getRestoreRecord(clusterId: string, backupId: string): Promise<RestoreRecord | undefined>;
  getBackupStrategy(clusterId: string): Promise<BackupStrategy | undefined>;
  saveBackupStrategy(s: BackupStrategy): Promise<void>;

  // --- parameters ---
  getParameterGroup(id: string): Promise<ParameterGroup | undefined>;
  /** First default group for a minor version ("v7.5"). */
  findDefaultParameterGroup(minorVersion: string): Promise<ParameterGroup | undefined>;
  addParameterGroup(g: ParameterGroup): Promise<void>;
  /** Groups, defaults first then newest, filtered by minor version, kind and a name substring. */
  listParameterGroups(filter?: { clusterVersion?: string; isDefault?: boolean; name?: string }): Promise<ParameterGroup[]>;
  listClusterParameters(clusterId: string): Promise<ClusterParameter[]>;
  /** Upsert by (cluster, component, name). */
  saveClusterParameters(clusterId: string, params: ClusterParameter[]): Promise<void>;

  /** Every allocation request still held (the reconciler looks for those of dead clones). */
  listAllocationHeaders(): Promise<AllocationHeader[]>;

  // --- GC holds (spec §5.4) ---
  /** Records a hold unless `holder` already has one; returns the stored hold (the first original wins). */
  addGcHold(h: { sourceClusterId: string; holder: string; original: string }): Promise<GcHold>;
  getGcHold(sourceClusterId: string, holder: string): Promise<GcHold | undefined>;
  listGcHolds(filter: { sourceClusterId?: string; active?: boolean }): Promise<GcHold[]>;
  /** Marks the hold released (idempotent). The caller has put the GC back first. */
  releaseGcHold(sourceClusterId: string, holder: string, releasedBy: string): Promise<void>;

  // --- reconciler ---
  recordRepair(r: Omit<RepairRecord, 'id' | 'at'>): Promise<RepairRecord>;
  /** Newest first. */
  listRepairs(filter: { limit?: number; runId?: string }): Promise<RepairRecord[]>;

  // --- changefeed tasks ---
  upsertChangefeedTask(t: ChangefeedTask): Promise<void>;
  getChangefeedTask(id: string): Promise<ChangefeedTask | undefined>;
  listChangefeedTasks(filter: { clusterId?: string; downstreamClusterId?: string }): Promise<ChangefeedTask[]>;
}
