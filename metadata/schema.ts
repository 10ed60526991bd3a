// Kysely table interfaces of the metadata DB. Column types are the portable subset shared by
// SQLite and PostgreSQL: JSON as TEXT (serialized by the store), booleans as 0/1 integers,
// timestamps as ISO-8601 TEXT, sizes and resources as double precision (never bigint, which pg
// returns as a string).
import type { Generated } from 'kysely';
export interface ClustersTable {
  id: string;
  name: string;
  type: string;
  version: string;
  status: string;
  maintenance_status: string;
  maintenance_holder: string;
  copies: number;
  region: string;
  cpu_architecture: string;
  tags: string; // JSON string[]
  tls: number;
  control_host: string;
  exclusive: number;
  vendor: string;
  parameter_group_id: string;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

export interface ClusterInstancesTable {
  cluster_id: string;
  id: string;
  /** Insertion order within the cluster (the first PD carries the monitoring stack). */
  seq: number;
  component: string;
  host_id: string;
  host_ip: string;
  ports: string; // JSON number[]
  disk_id: string;
  disk_path: string;
  zone: string;
  rack: string;
  cpu_cores: number;
  memory_gb: number;
  status: string;
  created_at: string;
  updated_at: string;
}

export interface HostsTable {
  id: string;
  ip: string;
  host_name: string;
  region: string;
  zone: string;
  rack: string;
  arch: string;
  cpu_cores: number;
  memory_gb: number;
  free_cpu_cores: number;
  free_memory_gb: number;
  status: string;
  load_stat: string;
  reserved: number;
  created_at: string;
  updated_at: string;
}

export interface DisksTable {
  id: string;
  host_id: string;
  name: string;
  path: string;
  capacity_gb: number;
  type: string;
  status: string;
}

/** One row per allocation request (the idempotency key). */
export interface ResourceRequestsTable {
  request_id: string;
  holder_id: string;
  global_ports: string; // JSON number[]
  created_at: string;
}

/** kind 'instance': one per placed instance (seq = requirement index); kind 'global': one per host holding the global ports. */
export interface ResourceAllocationsTable {
  id: string;
  request_id: string;
  holder_id: string;
  kind: 'instance' | 'global';
  seq: number;
  component: string;
  host_id: string;
  host_ip: string;
  zone: string;
  rack: string;
  disk_id: string;
  disk_path: string;
  disk_type: string;
  cpu_cores: number;
  memory_gb: number;
  ports: string; // JSON number[]
  exclusive: number;
  created_at: string;
}

export interface UsedPortsTable {
  host_id: string;
  port: number;
  holder_id: string;
  request_id: string;
}

export interface ClusterUsersTable {
  cluster_id: string;
  name: string;
  password_enc: string;
  role: string;
  updated_at: string;
}

export interface ClusterRelationsTable {
  relation_type: string;
  subject_cluster_id: string;
  object_cluster_id: string;
  sync_changefeed_task_id: string;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

export interface TopologySnapshotsTable {
  cluster_id: string;
  private_key_enc: string;
  public_key: string;
  meta_yaml: string;
  updated_at: string;
}

export interface BackupRecordsTable {
  id: string;
  cluster_id: string;
  storage_type: string;
  file_path: string;
  backup_type: string;
  backup_method: string;
  backup_mode: string;
  status: string;
  size: number;
  backup_tso: string;
  start_time: string;
  end_time: string;
  created_at: string;
  updated_at: string;
}

/** One row per restore of a backup into a cluster: makes a retried restore a no-op. */
export interface RestoreRecordsTable {
  cluster_id: string;
  backup_id: string;
  backup_tso: string;
  restored_tso: string;
  size: number;
  finished_at: string;
}

export interface BackupStrategiesTable {
  cluster_id: string;
  backup_date: string;
  period: string;
  updated_at: string;
}

export interface ParameterGroupsTable {
  id: string;
  name: string;
  cluster_version: string;
  is_default: number;
  created_at: string;
  cluster_spec: Generated<string>;
  note: Generated<string>;
}

export interface ParameterGroupParamsTable {
  group_id: string;
  component: string;
  name: string;
  default_value: string;
}

export interface ClusterParametersTable {
  cluster_id: string;
  component: string;
  name: string;
  value: string;
  updated_at: string;
}

export interface ChangefeedTasksTable {
  id: string;
  name: string;
  cluster_id: string;
  downstream_cluster_id: string;
  start_ts: string;
  status: string;
  cdc_server: string;
  created_at: string;
  updated_at: string;
}

/**
 * A clone's hold on a source's GC life time (spec §5.4): written before the change, so the
 * original survives the workflow and a later clone never mistakes a held value for it.
 */
export interface GcHoldsTable {
  source_cluster_id: string;
  holder: string; // workflow id
  original: string; // tidb_gc_life_time before any hold
  since: string;
  released_at: string | null;
  released_by: string; // the holder itself, or the reconciler run that repaired it
}

/** What the reconciler repaired (or would repair, or failed to): the audit trail of orphans. */
export interface ReconcileRepairsTable {
  id: string;
  at: string;
  run_id: string;
  kind: string;
  subject: string;
  holder: string;
  holder_status: string;
  action: string;
  outcome: string;
  error: string;
}

/** Key/value settings of the store itself (e.g. the secret-key check value). */
export interface StoreSettingsTable {
  name: string;
  value: string;
}

export interface Database {
  clusters: ClustersTable;
  cluster_instances: ClusterInstancesTable;
  hosts: HostsTable;
  disks: DisksTable;
  resource_requests: ResourceRequestsTable;
  resource_allocations: ResourceAllocationsTable;
  used_ports: UsedPortsTable;
  cluster_users: ClusterUsersTable;
  cluster_relations: ClusterRelationsTable;
  topology_snapshots: TopologySnapshotsTable;
  backup_records: BackupRecordsTable;
  restore_records: RestoreRecordsTable;
  backup_strategies: BackupStrategiesTable;
  parameter_groups: ParameterGroupsTable;
  parameter_group_params: ParameterGroupParamsTable;
  cluster_parameters: ClusterParametersTable;
  changefeed_tasks: ChangefeedTasksTable;
  store_settings: StoreSettingsTable;
  gc_holds: GcHoldsTable;
  reconcile_repairs: ReconcileRepairsTable;
}
