// reconcileOrphans: the reconciler (spec §5.4), run by the `tiem-reconciler` Temporal schedule and
// on demand (API POST /api/v1/reconciler/run, `tiem reconcile [--dry-run]`). It repairs what a
// closed workflow left behind: GC holds, changefeeds, allocations, maintenance locks — the source
// first. Each repair is recorded in the metadata store (GET /api/v1/reconciler/repairs).
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Orphan, ReconcileActivities } from '../activities/types.js';
import type { RepairRecord } from '../metadata/types.js';

const reconcile = proxyActivities<ReconcileActivities>({
  // TiUP list and a describe per holder: seconds; a failed run is simply the next period's work.
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 3 },
});

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
  const { workflowId: runId } = workflowInfo();
  const orphans = await reconcile.findOrphans({});
  const dryRun = input?.dryRun === true;
  const repairs: RepairRecord[] = [];
  // One at a time, in the order found (source first): a repair never races another.
  if (!dryRun) for (const orphan of orphans) repairs.push(await reconcile.repairOrphan({ runId, orphan }));
  return { runId, dryRun, orphans, repairs };
}
