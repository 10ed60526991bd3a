// TiEM's cluster delete (manager.go deleteClusterFlow, reference §2.3 end, §3, §4): the `Deleting`
// lock, the changefeeds replicating INTO the cluster, TiUP destroy, resources, metadata.
import { TiemError } from '../domain/errors.js';
import type { ChangefeedTask } from '../metadata/types.js';
import type { ClusterActivities } from './types.js';
import type { ActivityDeps, WorkflowInspector } from './deps.js';
import { requireCluster, tiupNameOf } from './cluster-access.js';
import { changefeedServerOf } from './cdc.js';
import { cancellationSignal, heartbeat, pollSleep, runWithHeartbeat } from './heartbeat.js';

type DeleteActivities = Pick<
  ClusterActivities,
  'startDeleteMaintenance' | 'clearCDCLinks' | 'destroyTiupCluster' | 'revertResource' | 'deleteClusterMeta' | 'describeMaintenance' | 'waitWorkflowClosed'
>;

/** How often waitWorkflowClosed asks Temporal. */
const HOLDER_POLL_MS = 1000;

export function requireWorkflowInspector(deps: Pick<ActivityDeps, 'workflows'>): WorkflowInspector {
  if (!deps.workflows) throw new TiemError('SYSTEM_MISSING_DATA', 'this worker has no Temporal client to look up other workflows');
  return deps.workflows;
}

export function createDeleteActivities(deps: ActivityDeps): DeleteActivities {
  const { store, cdc, tiup } = deps;

  return {
    // Idempotent: a read of the lock and of its holder's status.
    async describeMaintenance({ clusterId }) {
      const cluster = await store.getCluster(clusterId);
      if (!cluster || !cluster.maintenanceHolder) return undefined;
      const holderStatus = await requireWorkflowInspector(deps).status(cluster.maintenanceHolder);
      return { status: cluster.maintenanceStatus, holder: cluster.maintenanceHolder, holderStatus };
    },

    // Idempotent: read-only polling, heartbeating (cancellable).
    async waitWorkflowClosed({ workflowId }) {
      const workflows = requireWorkflowInspector(deps);
      for (let poll = 1; ; poll++) {
        const status = await workflows.status(workflowId);
        if (status !== 'RUNNING') return { status };
        heartbeat({ workflowId, status, poll });
        await pollSleep(HOLDER_POLL_MS, { workflowId, status, poll });
      }
    },

    // Idempotent: setMaintenanceStatus returns without change when this holder already holds Deleting.
    async startDeleteMaintenance({ clusterId, holder, force }) {
      const cluster = await requireCluster(deps, clusterId);
      const replaced = await store.setMaintenanceStatus({ clusterId, status: 'Deleting', holder, force });
      return { clusterId, name: cluster.name, replaced };
    },

    // Idempotent: TiCDC's delete succeeds for a missing changefeed; tasks already Deleted and dropped relations are skipped.
    async clearCDCLinks({ clusterId }) {
      const tasks = (await store.listChangefeedTasks({ downstreamClusterId: clusterId })).filter((t) => t.status !== 'Deleted');
      const { masters } = await store.getRelations(clusterId);
      // TiEM reads the changefeed ids from the relations; tasks cover changefeeds created before their relation.
      const links = new Map<string, { upstreamId: string; task?: ChangefeedTask }>();
      for (const t of tasks) links.set(t.id, { upstreamId: t.clusterId, task: t });
      for (const r of masters) {
        if (r.syncChangefeedTaskId && !links.has(r.syncChangefeedTaskId)) {
          links.set(r.syncChangefeedTaskId, { upstreamId: r.subjectClusterId, task: await store.getChangefeedTask(r.syncChangefeedTaskId) });
        }
      }
      const lines: string[] = [];
      for (const [id, { upstreamId, task }] of links) {
        // A deleted upstream took its changefeeds with it.
        const server = await changefeedServerOf(deps, upstreamId, task?.cdcServer);
        if (server?.upstreamLive) {
          await cdc.removeChangefeed(server.endpoint, id);
          lines.push(`remove changefeed ${id} on ${server.address} (upstream ${upstreamId})`);
        } else {
          lines.push(`changefeed ${id}: upstream ${upstreamId} has no CDC any more, nothing to remove`);
        }
        if (task && task.status !== 'Deleted') await store.upsertChangefeedTask({ ...task, status: 'Deleted' });
      }
      for (const r of masters) {
        await store.deleteRelation(r.subjectClusterId, clusterId);
        lines.push(`delete relation ${r.relationType}, master ${r.subjectClusterId}, slave ${clusterId}`);
      }
      return lines.length ? lines : [`no changefeed replicates into cluster ${clusterId}`];
    },

    // Idempotent: destroys only while `tiup cluster list` still has the name.
    async destroyTiupCluster({ clusterId }) {
      const name = tiupNameOf(clusterId);
      const deployed = (await tiup.list({ signal: cancellationSignal() })).some((c) => c.name === name);
      if (!deployed) return `cluster ${name} is not deployed by TiUP, nothing to destroy`;
      await runWithHeartbeat('destroy', (opts) => tiup.destroy(name, { ...opts, force: true }));
      return `destroy cluster ${name} succeed`;
    },

    // Idempotent: releasing by holder gives back what is left (0 the second time).
    async revertResource({ clusterId }) {
      const released = await store.releaseByHolder(clusterId);
      return released ? `release ${released} resource allocation(s) of cluster ${clusterId}` : `cluster ${clusterId} holds no allocated resource`;
    },

    // Idempotent: soft deletes only rows not yet deleted; tasks already Deleted are left alone.
    async deleteClusterMeta({ clusterId }) {
      const cluster = await store.getCluster(clusterId);
      if (cluster && cluster.maintenanceStatus !== 'Deleting') {
        // Someone forced the lock away meanwhile: never delete a cluster another operation now owns.
        throw new TiemError('CLUSTER_MAINTENANCE_CONFLICT', `cluster maintenance status is '${cluster.maintenanceStatus}'`);
      }
      // Its own changefeeds went away with its CDC instances.
      for (const t of await store.listChangefeedTasks({ clusterId })) {
        if (t.status !== 'Deleted') await store.upsertChangefeedTask({ ...t, status: 'Deleted' });
      }
      await store.markClusterDeleted(clusterId);
      return `delete cluster ${clusterId} metadata and its relations`;
    },
  };
}
