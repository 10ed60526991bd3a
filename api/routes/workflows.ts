// TiEM's workflow detail, plus our list (visibility, search attributes) and cancel.
import { WorkflowFailedError, WorkflowNotFoundError, type Client, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { tiemCodeOf } from '../../domain/errors.js';
import type { CloneProgress } from '../../domain/types.js';
import { progressQuery, TiemCloneStep, TiemCloneStrategy, TiemClusterId, TiemSourceClusterId } from '../../workflows/definitions.js';
import { ok, type ApiApp, type RouteDeps } from '../context.js';
import { ApiError } from '../errors.js';
import { errorResponses, WorkflowCancelResponse, WorkflowDetailResponse, WorkflowIdParams, WorkflowListQuery, WorkflowListResponse } from '../schemas.js';
import type { WorkflowSummary } from '../../client/api-types.js';
import { buildListQuery, flowNameOf, toWorkflowDetail, toWorkflowSummary, type ExecutionStatusName } from '../workflow-view.js';

/** The outermost ApplicationFailure whose type is a TiEM error name: its code and message. */
export function tiemFailureOf(err: unknown): { code: number; httpStatus?: number; message: string } | undefined {
  let cur: unknown = err;
  for (let depth = 0; cur && depth < 10; depth++) {
    if (cur instanceof ApplicationFailure && cur.type) {
      const code = tiemCodeOf(cur.type);
      if (code !== undefined) {
        const detail = cur.details?.[0] as { httpStatus?: number } | undefined;
        return { code, httpStatus: detail?.httpStatus, message: cur.message };
      }
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** describe() of one of our flows, or 404 40101. */
async function describeFlow(client: Client, workFlowId: string): Promise<{ handle: WorkflowHandle; desc: WorkflowExecutionDescription }> {
  const handle = client.workflow.getHandle(workFlowId);
  try {
    const desc = await handle.describe();
    if (!flowNameOf(desc.type)) throw ApiError.of('WORKFLOW_QUERY_FAILED', `workflow ${workFlowId} is a ${desc.type} step, not a cluster flow`);
    return { handle, desc };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw ApiError.of('WORKFLOW_QUERY_FAILED', `workflow ${workFlowId} not found`);
    throw err;
  }
}

const CLOSED_WITH_ERROR: ExecutionStatusName[] = ['FAILED', 'TERMINATED', 'TIMED_OUT'];

export function workflowRoutes(app: ApiApp, deps: RouteDeps): void {
  app.get(
    '/api/v1/workflow/:workFlowId',
    {
      schema: {
        operationId: 'getWorkflow',
        tags: ['workflows'],
        summary: 'Workflow detail (TiEM DetailWorkFlow)',
        description: 'Node list with status, times and result lines, BR progress of backup/restore; for running and closed flows.',
        params: WorkflowIdParams,
        response: { 200: WorkflowDetailResponse, ...errorResponses },
      },
    },
    async (req) => {
      const { workFlowId } = req.params;
      const { handle, desc } = await describeFlow(deps.client, workFlowId);
      const status = desc.status.name as ExecutionStatusName;
      let progress: CloneProgress | undefined;
      try {
        progress = await handle.query(progressQuery);
      } catch {
        // a flow without the progress query (takeover): info only
      }
      let failure: { code: number; message: string } | undefined;
      if (!progress?.error && CLOSED_WITH_ERROR.includes(status)) {
        failure = await handle.result().then(
          () => undefined,
          (err: unknown) => {
            const f = err instanceof WorkflowFailedError ? tiemFailureOf(err.cause) : undefined;
            return f ? { code: f.code, message: f.message } : { code: 10000, message: String((err as Error).message ?? err) };
          },
        );
      }
      return ok(
        toWorkflowDetail({
          workflowId: workFlowId,
          workflowType: desc.type,
          status,
          startTime: desc.startTime,
          closeTime: desc.closeTime,
          clusterId: desc.typedSearchAttributes.get(TiemClusterId),
          progress,
          failure,
        }),
      );
    },
  );

  app.get(
    '/api/v1/workflows',
    {
      schema: {
        operationId: 'listWorkflows',
        tags: ['workflows'],
        summary: 'List flows (ours), newest first',
        description: 'Through Temporal visibility and the Keyword search attributes TiemSourceClusterId, TiemClusterId, TiemCloneStrategy.',
        querystring: WorkflowListQuery,
        response: { 200: WorkflowListResponse, ...errorResponses },
      },
    },
    async (req) => {
      const { pageSize = 100, ...filter } = req.query;
      const rows: WorkflowSummary[] = [];
      for await (const info of deps.client.workflow.list({ query: buildListQuery(filter), pageSize })) {
        rows.push(
          toWorkflowSummary({
            workflowId: info.workflowId,
            type: info.type,
            status: info.status.name as ExecutionStatusName,
            startTime: info.startTime,
            closeTime: info.closeTime,
            attributes: {
              clusterId: info.typedSearchAttributes.get(TiemClusterId),
              sourceClusterId: info.typedSearchAttributes.get(TiemSourceClusterId),
              strategy: info.typedSearchAttributes.get(TiemCloneStrategy),
              step: info.typedSearchAttributes.get(TiemCloneStep),
            },
          }),
        );
        if (rows.length >= pageSize) break;
      }
      return ok(rows);
    },
  );

  app.post(
    '/api/v1/workflow/:workFlowId/cancel',
    {
      schema: {
        operationId: 'cancelWorkflow',
        tags: ['workflows'],
        summary: 'Cancel a running flow (ours)',
        description: 'Requests cancellation; the flow runs its compensation (GC restored, locks cleared, target Failure). 409 when it has already ended.',
        params: WorkflowIdParams,
        response: { 200: WorkflowCancelResponse, ...errorResponses },
      },
    },
    async (req) => {
      const { workFlowId } = req.params;
      const { handle, desc } = await describeFlow(deps.client, workFlowId);
      if (desc.status.name !== 'RUNNING') {
        throw new ApiError(409, 10001, `workflow ${workFlowId} has already ended (${desc.status.name})`);
      }
      await handle.cancel();
      return ok({ workFlowId });
    },
  );
}
