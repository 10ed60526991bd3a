// Test support (for any test that needs a metadata store): a migrated store on a fresh temp SQLite file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createSqliteStore } from './sqlite-store.js';
import type { NewCluster } from './types.js';
import type { ClusterInstance } from '../domain/types.js';

export interface TempStore {
  store: ReturnType<typeof createSqliteStore>;
  file: string;
  key: Buffer;
  cleanup(): Promise<void>;
}

export async function openTempStore(key: Buffer = randomBytes(32)): Promise<TempStore> {
  const dir = mkdtempSync(join(tmpdir(), 'tiem-meta-'));
  const file = join(dir, 'meta.db');
  const store = createSqliteStore({ filename: file, secretKey: key });
  await store.migrate();
  return {
    store,
    file,
    key,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function newCluster(id: string, name = `name-${id}`, over: Partial<NewCluster> = {}): NewCluster {
  return {
    id,
    name,
    version: 'v7.5.1',
    copies: 3,
    region: 'Region1',
    cpuArchitecture: 'X86_64',
    tags: ['prod', 'team-a'],
    tls: false,
    exclusive: false,
    vendor: 'Local',
    parameterGroupId: 'default-v7.5',
    ...over,
  };
}

export function instance(id: string, component: ClusterInstance['component'], hostIp: string, ports: number[]): Omit<ClusterInstance, 'clusterId'> {
  return {
    id,
    component,
    hostId: `h-${hostIp}`,
    hostIp,
    ports,
    diskId: 'd1',
    diskPath: '/data1',
    zone: 'Zone1',
    rack: 'Rack1',
    cpuCores: 4,
    memoryGb: 8,
    status: 'Running',
  };
}
