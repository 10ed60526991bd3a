// The reconciler (spec §5.4): a terminated, timed-out or reset clone runs no compensation, and a
// clone whose compensation could not finish leaves it undone. Whatever a workflow holds — a GC
// hold, a maintenance lock, an allocation, a changefeed — names its holder, so anything held by a
// workflow that no longer runs is found here and repaired, the source first.
import { TiemError } from '../domain/errors.js';
import { holderOfAllocationRequest, workflowIds } from '../domain/ids.js';
import type { Cluster } from '../domain/types.js';
import type { ReconcileActivities, Orphan, WorkflowStatusName } from './types.js';
import type { ActivityDeps } from './deps.js';
import { tiupNameOf } from './cluster-access.js';
import { removeCloneChangefeed } from './cdc.js';
import { releaseGcHold } from './gc.js';
import { requireWorkflowInspector } from './delete.js';
import { cancellationSignal } from './heartbeat.js';
import { defaultControlHostOf } from './control-host.js';

/** The order of repairs: the source first (GC, then the changefeed reading it), the locks last (they gate new clones). */
const REPAIR_ORDER: Orphan['kind'][] = ['gcHold', 'changefeed', 'allocation', 'maintenanceLock'];

/** Closed without running (all of) its compensation. */
const DIED_WITHOUT_COMPENSATION = new Set<WorkflowStatusName>(['TERMINATED', 'TIMED_OUT', 'NOT_FOUND']);

/** A clone that finished keeps what it made (the changefeed, the hosts of its target). */
function finishedClone(status: WorkflowStatusName, target: Cluster | undefined): boolean {
  if (status === 'COMPLETED') return true;
  // Past retention Temporal forgets it: a Running target with no lock is a finished clone.
  return status === 'NOT_FOUND' && target?.status === 'Running' && target.maintenanceStatus === '';
}

export function createReconcileActivities(deps: ActivityDeps): ReconcileActivities {
  const { store } = deps;

  async function deployed(clusterId: string): Promise<boolean> {
    return (await deps.tiup.list({ signal: cancellationSignal() })).some((c) => c.name === tiupNameOf(clusterId));
  }

  return {
    // Idempotent: reads only.
    async findOrphans({ controlHost } = {}) {
      const workflows = requireWorkflowInspector(deps);
      const statuses = new Map<string, Promise<WorkflowStatusName>>();
      const statusOf = (id: string) => {
        if (!statuses.has(id)) statuses.set(id, workflows.status(id));
        return statuses.get(id)!;
      };
      const clusters = new Map((await store.listClusters()).map((c) => [c.id, c]));
      // Each control host repairs what touches its clusters (TiUP, TiCDC and SQL are reached from there).
      const here = (clusterId: string) => !controlHost || (clusters.get(clusterId)?.controlHost || defaultControlHostOf(deps)) === controlHost;
      const orphans: Orphan[] = [];

      for (const h of await store.listGcHolds({ active: true })) {
        if (!here(h.sourceClusterId)) continue;
        const holderStatus = await statusOf(h.holder);
        if (holderStatus === 'RUNNING') continue;
        orphans.push({ kind: 'gcHold', subject: h.sourceClusterId, holder: h.holder, holderStatus, action: `restore tidb_gc_life_time of ${h.sourceClusterId} to ${h.original} and release the hold` });
      }

      for (const t of await store.listChangefeedTasks({})) {
        // Only the changefeeds clones create; a CDCSync that finished keeps replicating.
        if (t.status === 'Deleted' || t.id !== workflowIds.changefeed(t.downstreamClusterId) || !here(t.clusterId)) continue;
        const holder = workflowIds.clone(t.downstreamClusterId);
        const holderStatus = await statusOf(holder);
        if (holderStatus === 'RUNNING' || finishedClone(holderStatus, clusters.get(t.downstreamClusterId))) continue;
        orphans.push({ kind: 'changefeed', subject: t.id, holder, holderStatus, action: `remove changefeed ${t.id} (${t.clusterId} → unfinished target ${t.downstreamClusterId}) and the StandBy relation` });
      }

      for (const a of await store.listAllocationHeaders()) {
        const holder = holderOfAllocationRequest(a.requestId);
        if (!holder || !here(a.holderId)) continue;
        const holderStatus = await statusOf(holder);
        // A clone that failed or was cancelled ran its compensation to the end (its release is retried
        // until it lands), so what it still holds, it kept on purpose (failAfterDeploy).
        if (!DIED_WITHOUT_COMPENSATION.has(holderStatus) || finishedClone(holderStatus, clusters.get(a.holderId))) continue;
        // A deployed target keeps its hosts until it is deleted (TiEM failAfterDeploy).
        if (await deployed(a.holderId)) continue;
        orphans.push({ kind: 'allocation', subject: a.requestId, holder, holderStatus, action: `release the hosts of never deployed target ${a.holderId}` });
      }

      for (const c of clusters.values()) {
        if (!c.maintenanceHolder || !here(c.id)) continue;
        const holderStatus = await statusOf(c.maintenanceHolder);
        if (holderStatus === 'RUNNING') continue;
        const unfinishedTarget = c.maintenanceHolder === workflowIds.clone(c.id) && holderStatus !== 'COMPLETED';
        orphans.push({
          kind: 'maintenanceLock',
          subject: c.id,
          holder: c.maintenanceHolder,
          holderStatus,
          action: `clear ${c.maintenanceStatus} of ${c.id}${unfinishedTarget ? ' and mark the unfinished clone target Failure' : ''}`,
        });
      }
      return orphans.sort((x, y) => REPAIR_ORDER.indexOf(x.kind) - REPAIR_ORDER.indexOf(y.kind));
    },

    // Idempotent: each repair is (GC hold release, TiCDC delete, release by request id, holder-checked
    // lock clear); the holder is asked again first, so a workflow that came back is left alone.
    async repairOrphan({ runId, orphan }) {
      const record = (outcome: 'repaired' | 'failed', action: string, error?: string) =>
        store.recordRepair({ runId, kind: orphan.kind, subject: orphan.subject, holder: orphan.holder, holderStatus: orphan.holderStatus, action, outcome, error });
      try {
        if ((await requireWorkflowInspector(deps).status(orphan.holder)) === 'RUNNING') {
          throw new TiemError('CLUSTER_MAINTENANCE_CONFLICT', `${orphan.holder} is running again: left to it`);
        }
        let done: string;
        switch (orphan.kind) {
          case 'gcHold':
            done = await releaseGcHold(deps, orphan.subject, orphan.holder, runId);
            break;
          case 'changefeed': {
            const task = await store.getChangefeedTask(orphan.subject);
            if (!task) throw new TiemError('SYSTEM_MISSING_DATA', `changefeed task ${orphan.subject} not found`);
            done = await removeCloneChangefeed(deps, { sourceClusterId: task.clusterId, targetClusterId: task.downstreamClusterId, changefeedId: task.id });
            break;
          }
          case 'allocation': {
            const allocation = await store.getAllocation(orphan.subject);
            if (allocation && (await deployed(allocation.holderId))) throw new TiemError('CLUSTER_MAINTENANCE_CONFLICT', `target ${allocation.holderId} is deployed now: its hosts stay`);
            done = (await store.release(orphan.subject)) ? `released ${orphan.subject}` : `${orphan.subject} was already released`;
            break;
          }
          case 'maintenanceLock': {
            const cluster = await store.getCluster(orphan.subject);
            const lines: string[] = [];
            if (cluster && orphan.holder === workflowIds.clone(cluster.id) && orphan.holderStatus !== 'COMPLETED' && cluster.status !== 'Failure') {
              await store.setClusterStatus(cluster.id, 'Failure');
              lines.push(`target ${cluster.id} status Failure`);
            }
            await store.endMaintenance([orphan.subject], orphan.holder);
            done = [...lines, `maintenance of ${orphan.subject} held by ${orphan.holder} cleared`].join('; ');
            break;
          }
        }
        return await record('repaired', done);
      } catch (err) {
        // Recorded, not thrown: the run lists it, and the next run tries again.
        return record('failed', orphan.action, err instanceof Error ? err.message : String(err));
      }
    },
  };
}
