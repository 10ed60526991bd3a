// How activities find a cluster's endpoints and TLS material, and open TiDB sessions on it.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { CdcServer, TidbSession, TlsFiles } from '../adapters/types.js';
import { TiemError } from '../domain/errors.js';
import type { ClusterInstance, ClusterWithInstances } from '../domain/types.js';
import { versionAtLeast, MGMT_ACCOUNTS_MIN_VERSION } from '../domain/version.js';
import type { ActivityDeps } from './deps.js';
import { isAccessDenied } from './errors.js';

const CONNECT_TIMEOUT_MS = 10_000;

/** The TiUP cluster name of a target is its cluster id (TiEM); a taken-over cluster keeps its TiUP name as id. */
export const tiupNameOf = (clusterId: string) => clusterId;

/**
 * A TLS cluster's client material: the CA and client pair TiUP keeps for it on the control host
 * (pingcap/tiup pkg/cluster/spec/profile.go: tls/ca.crt, tls/client.crt, tls/client.pem; the same
 * paths `tiup cluster display --format json` reports as tls_ca_cert, tls_client_cert, tls_client_key).
 */
export function clusterTls(deps: Pick<ActivityDeps, 'tiup'>, cluster: Pick<ClusterWithInstances, 'id' | 'tls'>): TlsFiles | undefined {
  if (!cluster.tls) return undefined;
  const dir = join(deps.tiup.clusterDir(tiupNameOf(cluster.id)), 'tls');
  return { caPath: join(dir, 'ca.crt'), certPath: join(dir, 'client.crt'), keyPath: join(dir, 'client.pem') };
}

/** Up front, not at the backup: a TLS cluster's material must be readable on this (the control) host. */
export async function requireTlsMaterial(deps: Pick<ActivityDeps, 'tiup'>, cluster: Pick<ClusterWithInstances, 'id' | 'tls'>): Promise<void> {
  const tls = clusterTls(deps, cluster);
  if (!tls) return;
  const missing: string[] = [];
  for (const file of [tls.caPath, tls.certPath, tls.keyPath]) await access(file, constants.R_OK).catch(() => missing.push(file));
  if (missing.length) {
    throw new TiemError('CLONE_TLS_MATERIAL_MISSING', `cluster ${cluster.id} has TLS but ${missing.join(', ')} cannot be read; run the clone where TiUP manages it`);
  }
}

export async function requireCluster(deps: Pick<ActivityDeps, 'store'>, id: string): Promise<ClusterWithInstances> {
  const cluster = await deps.store.getCluster(id);
  if (!cluster) throw new TiemError('CLUSTER_NOT_FOUND', `get cluster failed : clusterID = ${id}`);
  return cluster;
}

/** TiEM uses the first Running instance of a component; before the first start none is Running. */
export function firstInstance(cluster: ClusterWithInstances, component: ClusterInstance['component']): ClusterInstance | undefined {
  const all = cluster.instances.filter((i) => i.component === component);
  return all.find((i) => i.status === 'Running') ?? all[0];
}

export function tidbAddress(cluster: ClusterWithInstances): { host: string; port: number } {
  const tidb = firstInstance(cluster, 'TiDB');
  if (!tidb || !tidb.ports.length) throw new TiemError('CONNECT_TIDB_ERROR', 'component TiDB not found!');
  return { host: tidb.hostIp, port: tidb.ports[0] };
}

/** The first TiDB, with the cluster's TLS material when it has TLS (used when the server offers it). */
export function tidbEndpoint(deps: Pick<ActivityDeps, 'tiup'>, cluster: ClusterWithInstances): { host: string; port: number; tls?: TlsFiles } {
  const tls = clusterTls(deps, cluster);
  return { ...tidbAddress(cluster), ...(tls ? { tls } : {}) };
}

/** A TiCDC server of `cluster` at `address` ("host:port"), over https with the client pair on a TLS cluster. */
export function cdcServerOn(deps: Pick<ActivityDeps, 'tiup'>, cluster: Pick<ClusterWithInstances, 'id' | 'tls'>, address: string): CdcServer {
  const tls = clusterTls(deps, cluster);
  return tls ? { address, tls } : address;
}

/** "host:client_port" of the first PD, as BR's --pd wants it. */
export function pdAddress(cluster: ClusterWithInstances): string {
  const pd = firstInstance(cluster, 'PD');
  if (!pd || !pd.ports.length) throw new TiemError('PARAMETER_INVALID', `cluster ${cluster.id} has no PD instance`);
  return `${pd.hostIp}:${pd.ports[0]}`;
}

export async function withSession<T>(
  deps: Pick<ActivityDeps, 'sql'>,
  endpoint: { host: string; port: number; user: string; password: string; tls?: TlsFiles },
  fn: (s: TidbSession) => Promise<T>,
): Promise<T> {
  const session = await deps.sql.connect(endpoint, { connectTimeoutMs: CONNECT_TIMEOUT_MS });
  try {
    return await fn(session);
  } finally {
    await session.close().catch(() => undefined);
  }
}

/** Connects as `user` with the stored password (USER_NOT_FOUND when the store has no such account). */
export async function withClusterUser<T>(
  deps: Pick<ActivityDeps, 'sql' | 'store' | 'tiup'>,
  cluster: ClusterWithInstances,
  user: string,
  fn: (s: TidbSession) => Promise<T>,
): Promise<T> {
  const stored = await deps.store.getClusterUser(cluster.id, user);
  if (!stored) throw new TiemError('USER_NOT_FOUND', `user ${user} of cluster ${cluster.id} not found`);
  return withSession(deps, { ...tidbEndpoint(deps, cluster), user, password: stored.password }, fn);
}

/** Tries the passwords in order; a denied login moves on to the next, anything else fails at once. */
export async function connectWithAnyPassword(
  deps: Pick<ActivityDeps, 'sql'>,
  address: { host: string; port: number; tls?: TlsFiles },
  user: string,
  passwords: (string | undefined)[],
): Promise<TidbSession> {
  const candidates = [...new Set(passwords.filter((p): p is string => p !== undefined))];
  let lastDenied: unknown;
  for (const password of candidates) {
    try {
      return await deps.sql.connect({ ...address, user, password }, { connectTimeoutMs: CONNECT_TIMEOUT_MS });
    } catch (err) {
      if (!isAccessDenied(err)) throw err;
      lastDenied = err;
    }
  }
  throw new TiemError(
    'CONNECT_TIDB_ERROR',
    `access denied for user ${user} at ${address.host}:${address.port} with every known password${lastDenied ? '' : ' (none known)'}`,
  );
}

/** TiEM: parameter and backup SQL use the management account from v5.1.0, root before. */
export function managementUser(version: string, account: 'EM_Parameter_Management' | 'EM_Backup_Restore'): string {
  return versionAtLeast(version, MGMT_ACCOUNTS_MIN_VERSION) ? account : 'root';
}
