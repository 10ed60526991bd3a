// TiEM's takeover: registers a cluster TiUP already manages, from `tiup cluster display --format
// json`, its meta.yaml and keys, after checking the root credentials over SQL (spec §6).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TiupDisplay, TiupDisplayInstance } from '../adapters/types.js';
import { validateControlHostName } from '../domain/control-host.js';
import { TiemError } from '../domain/errors.js';
import type { ClusterInstance, CpuArchitecture } from '../domain/types.js';
import { minorOf } from '../domain/version.js';
import type { Host, NewCluster } from '../metadata/types.js';
import type { ClusterActivities, TakeoverInput } from './types.js';
import type { ActivityDeps } from './deps.js';
import { withSession } from './cluster-access.js';
import { ownControlHostOf } from './control-host.js';
import { isAccessDenied } from './errors.js';
import { cancellationSignal } from './heartbeat.js';

type TakeoverActivities = Pick<ClusterActivities, 'takeoverCluster'>;

/** Our activities use the cluster id as the TiUP name, so the id must be the name and a valid cluster id. */
export const TAKEOVER_NAME = /^[A-Za-z0-9_-]{4,64}$/;

const COMPONENT_OF_ROLE: Record<string, ClusterInstance['component']> = {
  pd: 'PD',
  tikv: 'TiKV',
  tidb: 'TiDB',
  tiflash: 'TiFlash',
  cdc: 'CDC',
  prometheus: 'Prometheus',
  grafana: 'Grafana',
  alertmanager: 'AlertManager',
};

const MAX_REPLICAS = 'replication.max-replicas';

/** "2379/2380" → [2379, 2380], with the instance's main port first. */
export function portsOf(i: Pick<TiupDisplayInstance, 'ports' | 'Port'>): number[] {
  const listed = String(i.ports ?? '')
    .split('/')
    .map((p) => Number(p.trim()))
    .filter((p) => Number.isInteger(p) && p > 0);
  const main = Number(i.Port);
  if (!Number.isInteger(main) || main <= 0) return listed;
  return [main, ...listed.filter((p) => p !== main)];
}

function archOf(display: TiupDisplay): CpuArchitecture {
  const arch = display.instances[0]?.os_arch ?? '';
  return /arm|aarch/i.test(arch) ? 'ARM64' : 'X86_64';
}

function instanceStatusOf(status: string): ClusterInstance['status'] {
  if (/^(up|healthy)/i.test(status)) return 'Running';
  if (/^(down|err|inactive|disconnected|offline|tombstone)/i.test(status)) return 'Failure';
  return 'Stopped';
}

/** Display instances → our instances; roles we do not manage (node_exporter, …) are left out. */
export function instancesFromDisplay(clusterId: string, display: TiupDisplay, hostsByIp: Map<string, Host>): Omit<ClusterInstance, 'clusterId'>[] {
  const out: Omit<ClusterInstance, 'clusterId'>[] = [];
  for (const i of display.instances) {
    const component = COMPONENT_OF_ROLE[i.role.toLowerCase()];
    if (!component) continue;
    const host = hostsByIp.get(i.host);
    out.push({
      // Deterministic from TiUP's own instance id: importing again updates the same rows.
      id: `${clusterId}-${i.role}-${i.host}-${i.Port}`,
      component,
      hostId: host?.id ?? `${clusterId}-host-${i.host}`,
      hostIp: i.host,
      ports: portsOf(i),
      diskId: '',
      diskPath: i.data_dir && i.data_dir !== '-' ? i.data_dir : '',
      zone: host?.zone ?? '',
      rack: host?.rack ?? '',
      cpuCores: 0,
      memoryGb: 0,
      status: instanceStatusOf(i.status),
    });
  }
  return out;
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    const text = await readFile(path, 'utf8');
    return text.trim() ? text : undefined;
  } catch {
    return undefined;
  }
}

function checkInput(a: TakeoverInput): void {
  if (!a || typeof a !== 'object') throw new TiemError('PARAMETER_INVALID', 'takeover request must be an object');
  if (typeof a.clusterName !== 'string' || !TAKEOVER_NAME.test(a.clusterName)) {
    throw new TiemError('PARAMETER_INVALID', `clusterName must be the TiUP cluster name, 4-64 characters of [A-Za-z0-9_-]: ${JSON.stringify(a.clusterName)}`);
  }
  if (a.dbUser !== undefined && a.dbUser !== 'root') throw new TiemError('PARAMETER_INVALID', 'dbUser must be root');
  if (typeof a.dbPassword !== 'string' || !a.dbPassword) throw new TiemError('PARAMETER_INVALID', 'dbPassword is required');
  if (typeof a.region !== 'string' || !a.region) throw new TiemError('PARAMETER_INVALID', 'region is required');
  if (a.copies !== undefined && ![1, 3, 5, 7].includes(a.copies)) throw new TiemError('PARAMETER_INVALID', 'copies must be 1, 3, 5 or 7');
  if (a.controlHost !== undefined) validateControlHostName(String(a.controlHost), 'controlHost');
}

export function createTakeoverActivities(deps: ActivityDeps): TakeoverActivities {
  const { store, tiup } = deps;

  return {
    // Idempotent: importCluster, the root user and the topology snapshot are upserts keyed by the cluster id.
    async takeoverCluster(input) {
      checkInput(input);
      const name = input.clusterName;
      const clusterId = name;
      const signal = cancellationSignal();
      if (!(await tiup.list({ signal })).some((c) => c.name === name)) {
        throw new TiemError('CLUSTER_NOT_FOUND', `tiup cluster ${name} does not exist on this control host`);
      }
      const registered = await store.getCluster(clusterId);
      if (registered && registered.name !== name) {
        throw new TiemError('DUPLICATED_NAME', `tiup cluster ${name} is already registered as cluster ${clusterId} named ${registered.name}`);
      }
      const display = await tiup.display(name, { signal });
      const metaYaml = await readOptional(join(tiup.clusterDir(name), 'meta.yaml'));
      if (!metaYaml) throw new TiemError('SYSTEM_MISSING_DATA', `meta.yaml of tiup cluster ${name} not found`);
      const privateKey = await readOptional(join(tiup.clusterDir(name), 'ssh', 'id_rsa'));
      const publicKey = await readOptional(join(tiup.clusterDir(name), 'ssh', 'id_rsa.pub'));

      const tidb = display.instances.find((i) => i.role.toLowerCase() === 'tidb');
      if (!tidb) throw new TiemError('CONNECT_TIDB_ERROR', 'component TiDB not found!');
      let maxReplicas: number | undefined;
      try {
        maxReplicas = await withSession(deps, { host: tidb.host, port: Number(tidb.Port), user: 'root', password: input.dbPassword }, async (s) => {
          await s.ping();
          const rows = await s.showConfig({ type: 'pd', name: MAX_REPLICAS }).catch(() => []);
          const n = Number(rows[0]?.value);
          return Number.isInteger(n) && n > 0 ? n : undefined;
        });
      } catch (err) {
        // A wrong password stays wrong: no point retrying.
        if (isAccessDenied(err)) throw new TiemError('CONNECT_TIDB_ERROR', `access denied for user root at ${tidb.host}:${tidb.Port}`, { nonRetryable: true });
        throw err;
      }

      const version = display.cluster_meta.cluster_version;
      const group = await store.findDefaultParameterGroup(minorOf(version));
      const hostsByIp = new Map((await store.listHosts()).map((h) => [h.ip, h]));
      const instances = instancesFromDisplay(clusterId, display, hostsByIp);
      const tikvCount = instances.filter((i) => i.component === 'TiKV').length;
      const cluster: NewCluster = {
        id: clusterId,
        name,
        version,
        copies: input.copies ?? maxReplicas ?? Math.min(3, tikvCount),
        region: input.region,
        cpuArchitecture: input.cpuArchitecture ?? archOf(display),
        tags: input.tags ?? registered?.tags ?? [],
        tls: display.cluster_meta.tls_enabled === true,
        exclusive: false,
        vendor: input.vendor ?? registered?.vendor ?? '',
        // No group for this minor: clones fall back to the default group of their own version.
        parameterGroupId: group?.id ?? '',
        // Bound to the control host this ran on: its TIUP_HOME holds the meta, keys and TLS files.
        controlHost: ownControlHostOf(deps),
      };
      await store.importCluster(cluster, instances);
      await store.upsertClusterUser({ clusterId, name: 'root', password: input.dbPassword, role: 'Root' });
      await store.saveTopologySnapshot({ clusterId, metaYaml, ...(privateKey ? { privateKey } : {}), ...(publicKey ? { publicKey } : {}) });
      return {
        clusterId,
        resultLines: [
          `takeover tiup cluster ${name} (${version}) as cluster ${clusterId}: ${instances.length} instance(s), ${cluster.copies} copies`,
          group ? `parameter group ${group.id}` : `no default parameter group for ${minorOf(version)}`,
        ],
      };
    },
  };
}
