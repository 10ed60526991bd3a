// The reconciler (spec §5.4): run it now (or as a dry run: what it would repair), and the log of
// every repair it made. The scheduled runs and these share one workflow, reconcileOrphans.
import { randomUUID } from 'node:crypto';
import { ok, type ApiApp, type RouteDeps } from '../context.js';
import { errorResponses, ReconcileReportResponse, ReconcileRunBody, RepairListQuery, RepairListResponse } from '../schemas.js';
import { workflowIds } from '../../domain/ids.js';
import { reconcileOrphans } from '../../workflows/reconcileOrphans.js';

export function reconcilerRoutes(app: ApiApp, deps: RouteDeps): void {
  app.post(
    '/api/v1/reconciler/run',
    {
      schema: {
        operationId: 'runReconciler',
        tags: ['reconciler'],
        summary: 'Find (and unless dryRun, repair) what closed workflows left behind',
        description:
          'GC holds, maintenance locks, allocations of never deployed targets and changefeeds into unfinished targets whose holder workflow is no longer running. ' +
          'The same workflow the `tiem-reconciler` schedule runs; waits for it to end.',
        body: ReconcileRunBody,
        response: { 200: ReconcileReportResponse, ...errorResponses },
      },
    },
    async (req) => {
      const dryRun = req.body?.dryRun === true;
      const report = await deps.client.workflow.execute(reconcileOrphans, {
        taskQueue: deps.taskQueue,
        workflowId: `${workflowIds.reconciler}-${dryRun ? 'dry-run' : 'manual'}-${randomUUID()}`,
        args: [{ dryRun }],
      });
      return ok(report);
    },
  );

  app.get(
    '/api/v1/reconciler/repairs',
    {
      schema: {
        operationId: 'listRepairs',
        tags: ['reconciler'],
        summary: 'What the reconciler repaired (or failed to), newest first',
        querystring: RepairListQuery,
        response: { 200: RepairListResponse, ...errorResponses },
      },
    },
    async (req) => ok({ repairs: await deps.store.listRepairs({ limit: req.query.limit }) }),
  );
}
