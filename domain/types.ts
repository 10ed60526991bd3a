// Shared domain types. Pure: imported by workflows, activities, metadata, client and simulator.
// No Node builtins here (workflow sandbox).

export const CLONE_STRATEGIES = ['Snapshot', 'CDCSync', 'TopologyClone'] as const;
export type CloneStrategy = (typeof CLONE_STRATEGIES)[number];

export const CPU_ARCHITECTURES = ['X86', 'X86_64', 'ARM', 'ARM64'] as const;
export type CpuArchitecture = (typeof CPU_ARCHITECTURES)[number];

/** Components a clone request may place. Monitoring instances are added by buildConfig. */
export const COMPONENT_TYPES = ['PD', 'TiDB', 'TiKV', 'TiFlash', 'CDC'] as const;
export type ComponentType = (typeof COMPONENT_TYPES)[number];

/** One placement group of `resourceParameters.instanceResource[].resource[]` (TiEM format). */
export interface ResourcePlacement {
  zoneCode: string;
  specCode: string; // "<cpu>C<mem>G", e.g. "4C8G"
  count: number;
  diskType?: string;
  diskCapacity?: number;
  hostIp?: string;
  diskId?: string;
}

export interface InstanceResource {
  componentType: ComponentType;
  totalNodeCount?: number; // accepted and ignored, as in TiEM
  resource: ResourcePlacement[];
}

/** Body of POST /api/v1/clusters/clone, TiEM field names. */
export interface CloneClusterRequest {
  sourceClusterId: string;
  cloneStrategy: CloneStrategy;
  clusterName: string;
  dbPassword: string;
  clusterVersion: string;
  region: string;
  cpuArchitecture: CpuArchitecture;
  copies?: number;
  parameterGroupID?: string;
  tags?: string[];
  tls?: boolean;
  exclusive?: boolean;
  vendor?: string;
  resourceParameters: {
    requestResourceMode?: string; // accepted and ignored
    instanceResource: InstanceResource[];
  };
  dbUser?: string; // accepted and ignored (root is always used)
  clusterType?: string; // accepted and ignored (target type = source type)
  /** Ours: idempotency key. */
  requestId?: string;
  /** Ours, CDCSync: replicate only the tables TiCDC can (those with a primary or NOT NULL unique key)
   *  instead of refusing the clone (21305). The others are copied once, by the restore. */
  ignoreIneligibleTables?: boolean;
}

/** Body of POST /api/v1/clusters/takeover: register a cluster TiUP already manages. */
export interface TakeoverClusterRequest {
  /** The TiUP cluster name on the control host. */
  clusterName: string;
  /** Root credentials of the cluster (checked over SQL, stored encrypted). */
  dbUser?: 'root';
  dbPassword: string;
  region: string;
  cpuArchitecture?: CpuArchitecture;
  copies?: number;
  tags?: string[];
  vendor?: string;
  /** The control host whose TIUP_HOME manages the cluster (default: the deployment's default control host). */
  controlHost?: string;
}

/** Options that are ours, not TiEM's. */
export interface CloneOptions {
  /** On a failure after deploy started: destroy the target with TiUP and release its hosts. */
  destroyOnFailure?: boolean;
  /** CDCSync catch-up threshold; default half the source's original GC life time. */
  cdcLagThresholdMs?: number;
}

/** Workflow input of `cloneCluster`: plain JSON, so the `temporal` CLI can start one. */
export interface CloneClusterInput {
  request: CloneClusterRequest;
  /** Target cluster id; default: the workflow id without its `clone-` prefix. */
  targetClusterId?: string;
  options?: CloneOptions;
}

export type ClusterStatus = 'Initializing' | 'Running' | 'Stopped' | 'Failure' | 'Deleted';
export type MaintenanceStatus = '' | 'Cloning' | 'BeingCloned' | 'Deleting' | 'BackUp' | 'Restore' | 'Takeover';

export interface ClusterInstance {
  id: string;
  clusterId: string;
  component: ComponentType | 'Grafana' | 'Prometheus' | 'AlertManager';
  hostId: string;
  hostIp: string;
  /** Ports in TiEM order: TiDB (port, status), TiKV (port, status), PD (client, peer), CDC (port), ... */
  ports: number[];
  diskId: string;
  diskPath: string;
  zone: string;
  rack: string;
  cpuCores: number;
  memoryGb: number;
  status: 'Initializing' | 'Running' | 'Failure' | 'Stopped';
}

export interface Cluster {
  id: string;
  name: string;
  type: 'TiDB';
  version: string;
  status: ClusterStatus;
  maintenanceStatus: MaintenanceStatus;
  /** Who holds the maintenance status (clone workflow id); empty when none. */
  maintenanceHolder: string;
  copies: number;
  region: string;
  cpuArchitecture: CpuArchitecture;
  tags: string[];
  tls: boolean;
  exclusive: boolean;
  vendor: string;
  parameterGroupId: string;
  /** The TiUP control host that manages it (its TIUP_HOME); '' or absent = the deployment's default. */
  controlHost?: string;
  createdAt: string;
  updatedAt: string;
}

export interface ClusterWithInstances extends Cluster {
  instances: ClusterInstance[];
}

/** Facts about the source the validation rules need (read by the admission activity). */
export interface SourceFacts {
  cluster: Cluster;
  componentCounts: Partial<Record<ComponentType, number>>;
  /** The source is the object (slave) of a StandBy relation. */
  isSlave: boolean;
}

/** Node statuses of the progress query (spec §5.5). */
/** `compensating`: an undo that must not give up is waiting to retry (`lastError` says why). */
export type NodeStatus = 'pending' | 'running' | 'done' | 'skipped' | 'failed' | 'compensating' | 'compensated';

export interface BrProgress {
  step: string; // BR step, e.g. "Full Backup", "Checksum", "Full Restore"
  percent: number;
  bytes?: number; // bytes done so far (estimated from percent × total)
  totalBytes?: number;
  speedBytesPerSec?: number;
}

export interface ProgressNode {
  name: string;
  status: NodeStatus;
  startTime?: string;
  endTime?: string;
  result: string[];
  br?: BrProgress;
  /** While `compensating` (or a forward step retried later): the last error seen. */
  lastError?: string;
}

export interface CloneProgress {
  workflowId: string;
  sourceClusterId: string;
  targetClusterId: string;
  strategy: CloneStrategy;
  status: 'Running' | 'Finished' | 'Failed' | 'Canceled';
  /** Stopped (TiEM's workflow stop): the flow waits at its next step boundary until started again. */
  stopped?: { since: string; by?: string };
  nodes: ProgressNode[];
  /** Cleanup steps that failed (spec §5.3: must be visible). */
  compensationErrors: string[];
  error?: { code: number; message: string };
}

/** A pre-flight of a clone request (`dryRun`): every problem found and what the clone would do. Nothing is changed. */
export interface ClonePreflight {
  ok: boolean;
  problems: { code: number; errorName: string; message: string }[];
  plan: {
    strategy: CloneStrategy;
    sourceClusterId: string;
    sourceVersion?: string;
    targetVersion: string;
    copies?: number;
    parameterGroupId?: string;
    /** false when BR restores user data only (across the v7.5 privilege-table change). */
    restoreSystemTables?: boolean;
    /** The steps the clone would run, in order (the strategy's skips left out). */
    steps: string[];
    /** Where each instance would go, if the pool has room now. */
    hosts: { component: string; hostIp: string; zone: string; diskPath: string; ports: number[] }[];
  };
}

export interface CloneResult {
  clusterId: string;
  sourceClusterId: string;
  strategy: CloneStrategy;
  backupId?: string;
  backupTs?: string;
  /** Target TSO right after the restore: the target read at it equals the source at backupTs. */
  restoredTs?: string;
  changefeedId?: string;
  progress: CloneProgress;
}
