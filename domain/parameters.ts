// The parameter catalogue: which cluster parameters the service manages, how each is pushed
// (TiEM UpdateSource) and what values it accepts. Pure module.

export type ParamComponent = 'tidb' | 'tikv' | 'pd' | 'tiflash' | 'cdc';

/** TiEM UpdateSource: 0 TiUP (edit-config), 1 SQL, 2 TiUP+SQL. (3/4, the component HTTP API, is not used.) */
export type UpdateSource = 'TiUP' | 'SQL' | 'TiUP+SQL';

export interface ParameterDefinition {
  component: ParamComponent;
  /** Config name as in `server_configs` / SHOW CONFIG, e.g. "replication.max-replicas". */
  name: string;
  /** For TiDB settings that are system variables: the variable pushed with SET GLOBAL. */
  systemVariable?: string;
  type: 'int' | 'string' | 'bool' | 'size' | 'enum';
  /** int: [min, max]; enum: allowed values. */
  range?: [number, number];
  values?: string[];
  updateSource: UpdateSource;
  /** Needs `tiup cluster reload` of the component to take effect. */
  hasReboot: boolean;
  readOnly: boolean;
  /** 0 in TiEM: OS-dependent value read back from the cluster, never copied between clusters. */
  hasApply: boolean;
  description: string;
}

export const PARAMETER_CATALOG: ParameterDefinition[] = [
  { component: 'pd', name: 'replication.max-replicas', type: 'enum', values: ['1', '3', '5', '7'], updateSource: 'TiUP+SQL', hasReboot: true, readOnly: false, hasApply: true, description: 'Number of replicas of each Region' },
  { component: 'pd', name: 'schedule.leader-schedule-limit', type: 'int', range: [1, 1024], updateSource: 'TiUP+SQL', hasReboot: false, readOnly: false, hasApply: true, description: 'Leader scheduling tasks at the same time' },
  { component: 'pd', name: 'schedule.region-schedule-limit', type: 'int', range: [1, 65535], updateSource: 'TiUP+SQL', hasReboot: false, readOnly: false, hasApply: true, description: 'Region scheduling tasks at the same time' },
  { component: 'tikv', name: 'storage.block-cache.capacity', type: 'size', updateSource: 'TiUP+SQL', hasReboot: false, readOnly: false, hasApply: false, description: 'Shared block cache size (host dependent)' },
  { component: 'tikv', name: 'raftstore.apply-pool-size', type: 'int', range: [1, 64], updateSource: 'TiUP+SQL', hasReboot: false, readOnly: false, hasApply: true, description: 'Threads that apply Raft logs' },
  { component: 'tikv', name: 'server.grpc-concurrency', type: 'int', range: [1, 64], updateSource: 'TiUP', hasReboot: true, readOnly: false, hasApply: true, description: 'gRPC worker threads' },
  { component: 'tidb', name: 'log.level', type: 'enum', values: ['debug', 'info', 'warn', 'error'], updateSource: 'TiUP', hasReboot: true, readOnly: false, hasApply: true, description: 'TiDB log level' },
  { component: 'tidb', name: 'performance.max-procs', type: 'int', range: [0, 256], updateSource: 'TiUP', hasReboot: true, readOnly: false, hasApply: false, description: 'CPUs TiDB may use (host dependent)' },
  { component: 'tidb', name: 'mem-quota-query', systemVariable: 'tidb_mem_quota_query', type: 'int', range: [-1, 9223372036854775807], updateSource: 'SQL', hasReboot: false, readOnly: false, hasApply: true, description: 'Memory quota of one query, bytes' },
  { component: 'tidb', name: 'tidb_enable_clustered_index', systemVariable: 'tidb_enable_clustered_index', type: 'enum', values: ['ON', 'OFF', 'INT_ONLY'], updateSource: 'SQL', hasReboot: false, readOnly: false, hasApply: true, description: 'Default clustered index mode' },
  { component: 'tidb', name: 'new_collations_enabled_on_first_bootstrap', type: 'bool', updateSource: 'TiUP', hasReboot: true, readOnly: true, hasApply: true, description: 'Only effective at bootstrap' },
  { component: 'cdc', name: 'per-table-memory-quota', type: 'int', range: [1048576, 1073741824], updateSource: 'TiUP', hasReboot: true, readOnly: false, hasApply: true, description: 'Memory quota per table' },
];

/** Default values seeded into every default parameter group. */
export const DEFAULT_GROUP_VALUES: { component: ParamComponent; name: string; defaultValue: string }[] = [
  { component: 'pd', name: 'replication.max-replicas', defaultValue: '3' },
  { component: 'pd', name: 'schedule.leader-schedule-limit', defaultValue: '4' },
  { component: 'pd', name: 'schedule.region-schedule-limit', defaultValue: '2048' },
  { component: 'tikv', name: 'storage.block-cache.capacity', defaultValue: '4GiB' },
  { component: 'tikv', name: 'raftstore.apply-pool-size', defaultValue: '2' },
  { component: 'tidb', name: 'log.level', defaultValue: 'info' },
  { component: 'tidb', name: 'mem-quota-query', defaultValue: '1073741824' },
  { component: 'cdc', name: 'per-table-memory-quota', defaultValue: '10485760' },
];

/**
 * Minor versions that ship a default parameter group: every TiDB minor release from v5.0 to v8.5
 * (TiEM shipped v5.0–v6.1, pingcap/tiunimanager scripts/parameters*.sql; its clients leave
 * parameterGroupID empty, so a version without a default cannot be cloned into).
 */
export const DEFAULT_GROUP_VERSIONS = [
  ...['v5.0', 'v5.1', 'v5.2', 'v5.3', 'v5.4'],
  ...['v6.0', 'v6.1', 'v6.2', 'v6.3', 'v6.4', 'v6.5', 'v6.6'],
  ...['v7.0', 'v7.1', 'v7.2', 'v7.3', 'v7.4', 'v7.5', 'v7.6'],
  ...['v8.0', 'v8.1', 'v8.2', 'v8.3', 'v8.4', 'v8.5'],
];

export function findParameter(component: string, name: string): ParameterDefinition | undefined {
  return PARAMETER_CATALOG.find((p) => p.component === component && p.name === name);
}

const SIZE = /^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|PB|KiB|MiB|GiB|TiB|PiB|K|M|G|T)?$/i;
const BOOL = /^(true|false|on|off|0|1)$/i;

/** Why `value` is not acceptable for `def`, or undefined when it is. */
export function parameterValueProblem(def: ParameterDefinition, value: string): string | undefined {
  const v = value.trim();
  switch (def.type) {
    case 'int': {
      if (!/^-?\d+$/.test(v)) return 'not an integer';
      if (def.range) {
        const n = BigInt(v);
        if (n < BigInt(Math.trunc(def.range[0])) || n > BigInt(Math.trunc(def.range[1]))) return `out of range [${def.range[0]}, ${def.range[1]}]`;
      }
      return undefined;
    }
    case 'enum':
      return def.values && !def.values.includes(v) ? `not one of ${def.values.join(', ')}` : undefined;
    case 'bool':
      return BOOL.test(v) ? undefined : 'not a boolean';
    case 'size':
      return SIZE.test(v) ? undefined : 'not a size';
    default:
      return undefined;
  }
}
