// reconcileOrphans: the reconciler (spec §5.4), run by the `tiem-reconciler` Temporal schedule and
// on demand (API POST /api/v1/reconciler/run, `tiem reconcile [--dry-run]`). It repairs what a
// closed workflow left behind: GC holds, changefeeds, allocations, maintenance locks — the source
// first. Each repair is recorded in the metadata store (GET /api/v1/reconciler/repairs).
import { patched, proxyActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { Orphan, ReconcileActivities } from '../activities/types.js';
import type { RepairRecord } from '../metadata/types.js';
import { controlHostQueue } from '../domain/control-host.js';
import { short } from './activity-options.js';
import { PATCHES } from './patches.js';

const reconcileOptions: ActivityOptions = {
  // TiUP list and a describe per holder: seconds; a failed run is simply the next period's work.
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 3 },
};
const reconcile = proxyActivities<ReconcileActivities>(reconcileOptions);

export interface ReconcileInput {
  /** List what would be repaired, change nothing. */
  dryRun?: boolean;
}

export interface ReconcileReport {
  runId: string;
  dryRun: boolean;
  orphans: Orphan[];
  repairs: RepairRecord[];
}

export async function reconcileOrphans(input: ReconcileInput = {}): Promise<ReconcileReport> {
  const { workflowId: runId, taskQueue } = workflowInfo();
  const dryRun = input?.dryRun === true;
  const orphans: Orphan[] = [];
  const repairs: RepairRecord[] = [];
  // Each control host finds and repairs what touches its clusters (it runs their TiUP, TiCDC and SQL).
  const hosts = patched(PATCHES.controlHostRouting) ? await short.controlHostsInUse({}) : [undefined];
  for (const controlHost of hosts) {
    const on = controlHost ? proxyActivities<ReconcileActivities>({ ...reconcileOptions, taskQueue: controlHostQueue(taskQueue, controlHost) }) : reconcile;
    const found = await on.findOrphans(controlHost ? { controlHost } : {});
    orphans.push(...found);
    // One at a time, in the order found (source first): a repair never races another.
    if (!dryRun) for (const orphan of found) repairs.push(await on.repairOrphan({ runId, orphan }));
  }
  return { runId, dryRun, orphans, repairs };
}
