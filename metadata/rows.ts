// Row ⇄ domain conversions. The DB holds only portable types (TEXT JSON, 0/1, ISO strings);
// this is the one place that knows how they map to the domain types.
import { PostgresAdapter, type Kysely, type Selectable } from 'kysely';
import type { Cluster, ClusterInstance, CpuArchitecture } from '../domain/types.js';
import type { Database, ClustersTable, ClusterInstancesTable } from './schema.js';

export type Db = Kysely<Database>;

/** Several processes write a PostgreSQL store at once; SQLite serialises every writer. */
export const isPostgres = (db: Db): boolean => db.getExecutor().adapter instanceof PostgresAdapter;

export const nowIso = (): string => new Date().toISOString();
export const toInt = (b: boolean | undefined): number => (b ? 1 : 0);
export const toBool = (n: number | null | undefined): boolean => Number(n) === 1;
export const toJson = (v: unknown): string => JSON.stringify(v ?? null);

export function fromJson<T>(text: string | null | undefined, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function toCluster(r: Selectable<ClustersTable>): Cluster {
  return {
    id: r.id,
    name: r.name,
    type: r.type as Cluster['type'],
    version: r.version,
    status: r.status as Cluster['status'],
    maintenanceStatus: r.maintenance_status as Cluster['maintenanceStatus'],
    maintenanceHolder: r.maintenance_holder,
    copies: Number(r.copies),
    region: r.region,
    cpuArchitecture: r.cpu_architecture as CpuArchitecture,
    tags: fromJson<string[]>(r.tags, []),
    tls: toBool(r.tls),
    controlHost: r.control_host ?? '',
    exclusive: toBool(r.exclusive),
    vendor: r.vendor,
    parameterGroupId: r.parameter_group_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function toInstance(r: Selectable<ClusterInstancesTable>): ClusterInstance {
  return {
    id: r.id,
    clusterId: r.cluster_id,
    component: r.component as ClusterInstance['component'],
    hostId: r.host_id,
    hostIp: r.host_ip,
    ports: fromJson<number[]>(r.ports, []),
    diskId: r.disk_id,
    diskPath: r.disk_path,
    zone: r.zone,
    rack: r.rack,
    cpuCores: Number(r.cpu_cores),
    memoryGb: Number(r.memory_gb),
    status: r.status as ClusterInstance['status'],
  };
}

/** Same CPU family: TiEM hosts say X86_64/ARM64 while requests may say X86/ARM. */
export function archFamily(arch: string): CpuArchitecture[] {
  const a = arch.toUpperCase();
  if (a === 'X86' || a === 'X86_64' || a === 'AMD64') return ['X86', 'X86_64'];
  if (a === 'ARM' || a === 'ARM64' || a === 'AARCH64') return ['ARM', 'ARM64'];
  return [arch as CpuArchitecture];
}
