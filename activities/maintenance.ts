// Admission (maintenance locks + target row) and the end/failure bookkeeping of a clone.
import { TiemError } from '../domain/errors.js';
import type { ClusterInstance, ClusterWithInstances, ComponentType, SourceFacts } from '../domain/types.js';
import { COMPONENT_TYPES } from '../domain/types.js';
import { validateCloneAgainstSource } from '../domain/validation.js';
import { minorOf } from '../domain/version.js';
import type { TiupDisplayInstance } from '../adapters/types.js';
import type { NewCluster } from '../metadata/types.js';
import type { CloneActivities } from './types.js';
import type { ActivityDeps } from './deps.js';
import { requireCluster, requireTlsMaterial, withClusterUser } from './cluster-access.js';
import { runWithHeartbeat } from './heartbeat.js';

type MaintenanceActivities = Pick<CloneActivities, 'startMaintenance' | 'endMaintenance' | 'setClusterFailure' | 'persistCluster'>;

/** TiUP display status → our instance status; undefined when TiUP cannot tell (N/A, Pending…). */
function instanceStatusOf(status: string): ClusterInstance['status'] | undefined {
  if (/^(up|healthy)/i.test(status)) return 'Running';
  if (/^(down|err|inactive|disconnected|offline|tombstone)/i.test(status)) return 'Failure';
  return undefined;
}

/** Up front, not after hours of backup: TiCDC refuses the changefeed when a table has no unique key. */
export async function refuseIneligibleTables(deps: Pick<ActivityDeps, 'sql' | 'store' | 'tiup'>, source: ClusterWithInstances): Promise<void> {
  const tables = await withClusterUser(deps, source, 'root', (s) => s.tablesWithoutUniqueKey());
  if (!tables.length) return;
  const named = tables.length > MAX_NAMED_TABLES ? `${tables.slice(0, MAX_NAMED_TABLES).join(', ')} and ${tables.length - MAX_NAMED_TABLES} more` : tables.join(', ');
  throw new TiemError(
    'CLONE_CDC_INELIGIBLE_TABLES',
    `TiCDC cannot replicate ${tables.length} table(s) of ${source.id} without a primary key or a NOT NULL unique key: ${named}; add a key, or clone with ignoreIneligibleTables: true (they are then copied once, not kept in sync)`,
  );
}
const MAX_NAMED_TABLES = 20;

/** Request's group, else the source's if it is for the target's minor version, else the default of that minor. */
export async function chooseParameterGroup(
  store: ActivityDeps['store'],
  a: { requested: string | undefined; sourceGroupId: string; targetVersion: string; targetId: string },
): Promise<string> {
  if (a.requested) return a.requested;
  const minor = minorOf(a.targetVersion);
  if (a.sourceGroupId) {
    const sourceGroup = await store.getParameterGroup(a.sourceGroupId);
    if (sourceGroup && sourceGroup.clusterVersion === minor) return sourceGroup.id;
  }
  const fallback = await store.findDefaultParameterGroup(minor);
  // The request can fix it: name a group for this version (an undocumented 500 was the answer before).
  if (!fallback) throw new TiemError('PARAMETER_INVALID', `no default parameter group for version ${minor} (cluster ${a.targetId}): give parameterGroupID`);
  return fallback.id;
}

/** Instances per component of a cluster (the TiKV count rule, CDC presence). */
export function componentCountsOf(cluster: ClusterWithInstances): Partial<Record<ComponentType, number>> {
  const counts: Partial<Record<ComponentType, number>> = {};
  for (const inst of cluster.instances) {
    if ((COMPONENT_TYPES as readonly string[]).includes(inst.component)) {
      const c = inst.component as ComponentType;
      counts[c] = (counts[c] ?? 0) + 1;
    }
  }
  return counts;
}

export function createMaintenanceActivities(deps: ActivityDeps): MaintenanceActivities {
  const { store } = deps;

  return {
    // Idempotent: startCloneMaintenance returns without change when the target row already exists under this holder.
    async startMaintenance({ holder, targetClusterId, request }) {
      const source = await requireCluster(deps, request.sourceClusterId);
      const facts: SourceFacts = { cluster: source, componentCounts: componentCountsOf(source), isSlave: await store.isSlave(source.id) };
      // The rules never read the password; the public request deliberately does not carry it.
      const { copies } = validateCloneAgainstSource({ ...request, dbPassword: '' }, facts);
      if (request.cloneStrategy === 'CDCSync' && !request.ignoreIneligibleTables) await refuseIneligibleTables(deps, source);
      await requireTlsMaterial(deps, source);
      const target: NewCluster = {
        id: targetClusterId,
        name: request.clusterName,
        version: request.clusterVersion,
        copies,
        region: request.region,
        cpuArchitecture: request.cpuArchitecture,
        tags: request.tags && request.tags.length ? [...request.tags] : [...source.tags],
        tls: request.tls ?? source.tls, // a copy keeps the source's TLS unless asked otherwise
        exclusive: request.exclusive ?? false,
        vendor: request.vendor ?? source.vendor ?? '',
        parameterGroupId: await chooseParameterGroup(store, {
          requested: request.parameterGroupID,
          sourceGroupId: source.parameterGroupId,
          targetVersion: request.clusterVersion,
          targetId: targetClusterId,
        }),
        // The source's TiUP deploys the target: its files (meta, keys, TLS) live beside the source's.
        controlHost: source.controlHost ?? '',
      };
      await store.startCloneMaintenance({ sourceClusterId: source.id, target, holder });
      return {
        source: { id: source.id, name: source.name, version: source.version, parameterGroupId: source.parameterGroupId },
        target,
      };
    },

    // Idempotent: clears only what `holder` holds; clearing twice is a no-op.
    async endMaintenance({ holder, clusterIds }) {
      await store.endMaintenance(clusterIds, holder);
    },

    // Idempotent: a plain status SET; no-op when the target row does not exist (admission failed).
    async setClusterFailure({ targetClusterId }) {
      const cluster = await store.getCluster(targetClusterId);
      if (!cluster) return;
      await store.setClusterStatus(targetClusterId, 'Failure');
    },

    // Idempotent: re-reads TiUP's view and upserts instance statuses by id. Heartbeats while TiUP
    // answers (display asks every instance: slow on a big or sick cluster).
    async persistCluster({ targetClusterId }) {
      const cluster = await store.getCluster(targetClusterId);
      if (!cluster) return;
      const deployed = (await runWithHeartbeat('list', (opts) => deps.tiup.list(opts))).some((c) => c.name === targetClusterId);
      if (!deployed) return;
      const display = await runWithHeartbeat('display', (opts) => deps.tiup.display(targetClusterId, opts));
      const byAddress = new Map<string, TiupDisplayInstance>(display.instances.map((i) => [`${i.host}:${i.Port}`, i]));
      const updated = cluster.instances.map(({ clusterId: _c, ...inst }) => {
        const shown = byAddress.get(`${inst.hostIp}:${inst.ports[0]}`);
        const status = shown ? instanceStatusOf(shown.status) : undefined;
        return status ? { ...inst, status } : inst;
      });
      await store.upsertInstances(targetClusterId, updated);
    },
  };
}
