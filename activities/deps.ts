// Everything the clone activities reach, injected by the worker (samples-typescript style
// `createActivities(deps)`), so unit tests pass in-memory fakes.
import type { BrClient, TicdcClient, TidbSqlClient, TiupClient } from '../adapters/types.js';
import type { ComponentType } from '../domain/types.js';
import type { MetadataStore } from '../metadata/types.js';
import type { WorkflowStatusName } from './types.js';

/** Port range [start, end) and how many ports one instance takes (TiEM §6.1). */
export interface PortRange {
  range: [number, number];
  count: number;
}

export interface ActivityConfig {
  /** Base URI of clone backups, e.g. `local:///abs/dir` or `s3://bucket/prefix?endpoint=…`. */
  backupStorageBase: string;
  /** SSH/service user of the deployed clusters (topology `global.user`). */
  deployUser: string;
  sshPort: number;
  /** Source `tidb_gc_life_time` while the clone needs the MVCC history (TiEM: 720h). */
  cloneGcLifeTime: string;
  /** setClusterOnline gives up (retryably) after this long. */
  healthTimeoutMs: number;
  /** Sleep between polls of health, changefeed state and lag. */
  pollIntervalMs: number;
  /** How long a changefeed may sit in a state TiCDC retries by itself (error/pending/warning) before the clone fails. Default 30 min. */
  changefeedRetryBoundMs?: number;
  /** Per-component overrides of TiEM's port ranges. */
  portRanges?: Partial<Record<ComponentType, PortRange>>;
  /** Range of the two cluster-wide monitoring ports (node_exporter, blackbox_exporter). */
  globalPortRange?: [number, number];
  /** The control host this worker serves (TIEM_CONTROL_HOST); clusters it deploys or takes over are bound to it. */
  controlHost?: string;
  /** The control host of clusters recorded without one (TIEM_DEFAULT_CONTROL_HOST). */
  defaultControlHost?: string;
}

/** What activities may ask Temporal about other workflows: the holders of locks, holds and allocations. */
export interface WorkflowInspector {
  /** The execution status of the latest run with this id; NOT_FOUND when there is none (or it is past retention). */
  status(workflowId: string): Promise<WorkflowStatusName>;
}

export interface ActivityDeps {
  store: MetadataStore;
  tiup: TiupClient;
  br: BrClient;
  sql: TidbSqlClient;
  cdc: TicdcClient;
  config: ActivityConfig;
  /** Sends a signal to a running workflow (BR progress from inside the backup/restore children). */
  signalWorkflow?: (workflowId: string, signalName: string, arg: unknown) => Promise<void>;
  /** Temporal's view of other workflows (forced delete, reconciler). */
  workflows?: WorkflowInspector;
}

/** TiEM's product component table (models/initdata.go). PD needs 8: monitoring takes ports[2..5]. */
export const DEFAULT_PORT_RANGES: Record<ComponentType, PortRange> = {
  TiDB: { range: [10000, 10020], count: 2 },
  TiKV: { range: [10020, 10040], count: 2 },
  PD: { range: [10040, 10120], count: 8 },
  TiFlash: { range: [10120, 10180], count: 6 },
  CDC: { range: [10180, 10200], count: 2 },
};

/** TiEM `config_retained_port_range`. */
export const DEFAULT_GLOBAL_PORT_RANGE: [number, number] = [11000, 12000];
