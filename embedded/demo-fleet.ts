// The fleet of the embedded default: one production-like source cluster (played by the
// simulator, registered in the metadata store with its root account) and a pool of hosts for
// clone targets. Demo and integration tests both start from it.
import type { ClusterInstance } from '../domain/types.js';
import type { MetadataStore, HostInput } from '../metadata/types.js';
import type { SeedClusterRequest, SimulatorClient } from '../simulator/client.js';

export const DEMO_REGION = 'Region1';
export const DEMO_ZONES = ['Zone1', 'Zone2', 'Zone3'];

export interface SourceClusterSpec {
  id: string;
  name: string;
  version: string;
  rootPassword: string;
  /** Loopback network of the source's hosts, e.g. "127.0.1". */
  net: string;
  withCdc: boolean;
  tables: { db: string; table: string; rows: number; sizeBytes: number }[];
  writesPerSec: number;
  /** TiUP's enable_tls: a CA and client pair under the cluster's tls/ folder. */
  tls?: boolean;
  /** Tuned configuration: the topology's server_configs per component, and changed global variables. */
  serverConfigs?: Record<string, Record<string, string | number | boolean>>;
  globalVariables?: Record<string, string>;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** v7.5.1 with 3 PD, 3 TiKV, 2 TiDB, 1 CDC and about 5.5 GiB of data, written to all the time. */
export const DEMO_SOURCE: SourceClusterSpec = {
  id: 'tidbProdSource0000001',
  name: 'tidb-prod',
  version: 'v7.5.1',
  rootPassword: 'Demo-Source-R00t!',
  net: '127.0.1',
  withCdc: true,
  tables: [
    { db: 'shop', table: 'orders', rows: 20_000_000, sizeBytes: 3 * GiB },
    { db: 'shop', table: 'order_items', rows: 60_000_000, sizeBytes: 1.5 * GiB },
    { db: 'shop', table: 'customers', rows: 2_000_000, sizeBytes: 768 * MiB },
    { db: 'inventory', table: 'stock', rows: 500_000, sizeBytes: 256 * MiB },
  ],
  writesPerSec: 20,
};

/** 18 hosts, six per zone, 32C/64G with two 2 TB SSDs: the resource pool clone targets land on. */
export function demoHosts(net = '127.0.2'): HostInput[] {
  return DEMO_ZONES.flatMap((zone, z) =>
    Array.from({ length: 6 }, (_, i) => ({
      ip: `${net}.${(z + 1) * 10 + i + 1}`,
      hostName: `tidb-${zone.toLowerCase()}-${i + 1}`,
      region: DEMO_REGION,
      zone,
      rack: `Rack${(i % 2) + 1}`,
      arch: 'X86_64' as const,
      cpuCores: 32,
      memoryGb: 64,
      disks: [
        { name: 'nvme0', path: '/data1', capacityGb: 2000, type: 'SSD' as const },
        { name: 'nvme1', path: '/data2', capacityGb: 2000, type: 'SSD' as const },
      ],
    })),
  );
}

/** Topology of a source: TiUP's default ports on its own loopback hosts. */
function sourceInstances(spec: SourceClusterSpec): { sim: SeedClusterRequest['instances']; meta: Omit<ClusterInstance, 'clusterId'>[] } {
  const h = (n: number) => `${spec.net}.${n}`;
  const sim: SeedClusterRequest['instances'] = [
    ...[1, 2, 3].map((n) => ({ role: 'pd' as const, host: h(n), port: 2379, peerPort: 2380 })),
    ...[4, 5, 6].map((n) => ({ role: 'tikv' as const, host: h(n), port: 20160, statusPort: 20180 })),
    ...[7, 8].map((n) => ({ role: 'tidb' as const, host: h(n), port: 4000, statusPort: 10080 })),
    ...(spec.withCdc ? [{ role: 'cdc' as const, host: h(9), port: 8300 }] : []),
    { role: 'prometheus' as const, host: h(1), port: 9090 },
    { role: 'grafana' as const, host: h(1), port: 3000 },
  ];
  const component: Record<string, ClusterInstance['component']> = {
    pd: 'PD', tikv: 'TiKV', tidb: 'TiDB', cdc: 'CDC', prometheus: 'Prometheus', grafana: 'Grafana',
  };
  const meta = sim.map((i, n) => ({
    id: `${spec.id}-${i.role}-${n + 1}`,
    component: component[i.role]!,
    hostId: `${spec.id}-host-${i.host}`,
    hostIp: i.host,
    ports: [i.port ?? 0, i.statusPort ?? i.peerPort ?? 0].filter((p) => p > 0),
    diskId: '',
    diskPath: '/data1',
    zone: DEMO_ZONES[n % 3]!,
    rack: 'Rack1',
    cpuCores: 16,
    memoryGb: 32,
    status: 'Running' as const,
  }));
  return { sim, meta };
}

/** Creates the source in the simulator and registers it (with its root account) in the metadata store. */
export async function seedSourceCluster(sim: SimulatorClient, store: MetadataStore, spec: SourceClusterSpec): Promise<void> {
  const inst = sourceInstances(spec);
  await sim.createCluster({
    name: spec.id,
    version: spec.version,
    instances: inst.sim,
    rootPassword: spec.rootPassword,
    tables: spec.tables,
    writeStream: spec.writesPerSec > 0 ? { writesPerSec: spec.writesPerSec, rowsPerWrite: 10, bytesPerWrite: 4096 } : undefined,
    gcLifeTime: '10m0s',
    tls: spec.tls,
    serverConfigs: spec.serverConfigs,
    globalVariables: spec.globalVariables,
  });
  await store.importCluster(
    {
      id: spec.id,
      name: spec.name,
      version: spec.version,
      copies: 3,
      region: DEMO_REGION,
      cpuArchitecture: 'X86_64',
      tags: ['production'],
      tls: spec.tls ?? false,
      exclusive: false,
      vendor: 'Local',
      parameterGroupId: `default-${spec.version.split('.').slice(0, 2).join('.')}`,
    },
    inst.meta,
  );
  await store.upsertClusterUser({ clusterId: spec.id, name: 'root', password: spec.rootPassword, role: 'Root' });
  await store.saveBackupStrategy({ clusterId: spec.id, backupDate: 'Monday,Thursday', period: '02:00-03:00' });
  await store.saveClusterParameters(spec.id, [
    { component: 'pd', name: 'schedule.leader-schedule-limit', value: '8' },
    { component: 'tikv', name: 'raftstore.apply-pool-size', value: '4' },
    { component: 'tikv', name: 'storage.block-cache.capacity', value: '24GiB' }, // host dependent: never copied
    { component: 'tidb', name: 'log.level', value: 'warn' },
  ]);
}

export async function seedDemoFleet(
  sim: SimulatorClient,
  store: MetadataStore,
  spec: SourceClusterSpec = DEMO_SOURCE,
  hostNet = '127.0.2',
): Promise<void> {
  await store.addHosts(demoHosts(hostNet));
  await seedSourceCluster(sim, store, spec);
}

/** A CDCSync/Snapshot/TopologyClone request for the demo source, in TiEM's format. */
export function demoCloneRequest(over: {
  clusterName: string;
  cloneStrategy: 'Snapshot' | 'CDCSync' | 'TopologyClone';
  clusterVersion?: string;
  sourceClusterId?: string;
  dbPassword?: string;
  /** TiEM's clients send "" (the default group of the version). */
  parameterGroupID?: string;
}) {
  return {
    ...(over.parameterGroupID !== undefined ? { parameterGroupID: over.parameterGroupID } : {}),
    sourceClusterId: over.sourceClusterId ?? DEMO_SOURCE.id,
    cloneStrategy: over.cloneStrategy,
    clusterName: over.clusterName,
    clusterVersion: over.clusterVersion ?? DEMO_SOURCE.version,
    dbPassword: over.dbPassword ?? 'Clone-Target-R00t!',
    region: DEMO_REGION,
    cpuArchitecture: 'X86_64' as const,
    copies: 3,
    resourceParameters: {
      instanceResource: [
        { componentType: 'PD' as const, resource: [{ zoneCode: `${DEMO_REGION},Zone1`, specCode: '4C8G', count: 1 }] },
        { componentType: 'TiDB' as const, resource: [{ zoneCode: `${DEMO_REGION},Zone1`, specCode: '8C16G', count: 1 }] },
        {
          componentType: 'TiKV' as const,
          resource: DEMO_ZONES.map((z) => ({ zoneCode: `${DEMO_REGION},${z}`, specCode: '8C32G', count: 1 })),
        },
        { componentType: 'CDC' as const, resource: [{ zoneCode: `${DEMO_REGION},Zone2`, specCode: '4C8G', count: 1 }] },
      ],
    },
  };
}
