// The reconciler's Temporal schedule (spec §5.4): every worker makes sure it exists with the
// configured period at start, so no setup step is needed; several workers agree (create, or update
// to the same spec). Overlapping runs are skipped: one reconciler at a time.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { workflowIds } from '../domain/ids.js';
import { reconcileOrphans, type ReconcileInput } from '../workflows/reconcileOrphans.js';

export async function ensureReconcilerSchedule(client: Client, o: { taskQueue: string; intervalMs: number }): Promise<void> {
  const spec = { intervals: [{ every: o.intervalMs }] };
  const action = { type: 'startWorkflow' as const, workflowType: reconcileOrphans, taskQueue: o.taskQueue, workflowId: workflowIds.reconciler, args: [{}] as [ReconcileInput] };
  try {
    await client.schedule.create({
      scheduleId: workflowIds.reconciler,
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(workflowIds.reconciler).update((prev) => ({ ...prev, spec, action }));
  }
}
