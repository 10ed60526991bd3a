// TiEM's workflow API (pingcap/tiunimanager micro-api/controller/task/flowtask/flowtask_api.go: list,
// detail, stop, start), plus our list by search attributes and cancel.
import { WorkflowFailedError, WorkflowNotFoundError, type Client, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { tiemCodeOf } from '../../domain/errors.js';
import type { CloneProgress } from '../../domain/types.js';
import { progressQuery, startUpdate, stopUpdate, TiemCloneStep, TiemCloneStrategy, TiemClusterId, TiemSourceClusterId } from '../../workflows/definitions.js';
import { ok, type ApiApp, type RouteDeps } from '../context.js';
import { ApiError } from '../errors.js';
import {
  EmptyResponse,
  errorResponses,
  TiemWorkflowListQuery,
  TiemWorkflowListResponse,
  WorkflowCancelResponse,
  WorkflowDetailResponse,
  WorkflowIdParams,
  WorkflowListQuery,
  WorkflowListResponse,
  WorkflowStopStartBody,
} from '../schemas.js';
import type { WorkflowInfo, WorkflowSummary } from '../../client/api-types.js';
import { buildListQuery, buildTiemListQuery, flowNameOf, toWorkflowDetail, toWorkflowInfo, toWorkflowSummary, type ExecutionStatusName, type FlowFacts } from '../workflow-view.js';

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

/** What a flow is now: its progress (running flows answer the query; closed ones replay it) and, for a failed one, the failure. */
async function flowFacts(handle: WorkflowHandle, base: Omit<FlowFacts, 'progress' | 'failure'>): Promise<FlowFacts> {
  let progress: CloneProgress | undefined;
  try {
    progress = await handle.query(progressQuery);
  } catch {
    // a flow without the progress query (takeover): info only
  }
  let failure: { code: number; message: string } | undefined;
  if (!progress?.error && CLOSED_WITH_ERROR.includes(base.status)) {
    failure = await handle.result().then(
      () => undefined,
      (err: unknown) => {
        const f = err instanceof WorkflowFailedError ? tiemFailureOf(err.cause) : undefined;
        return f ? { code: f.code, message: f.message } : { code: 10000, message: String((err as Error).message ?? err) };
      },
    );
  }
  return { ...base, progress, failure };
}

/** stop / start of a running flow: the update's answer, or TiEM's code for a flow that has ended. */
async function stopOrStart(client: Client, workFlowId: string, what: 'stop' | 'start', by?: string): Promise<void> {
  const { handle, desc } = await describeFlow(client, workFlowId);
  // TiEM refuses both for a Finished, Error or Canceled flow (workflow2/workflow.go Stop/Start).
  const refused = () => new ApiError(409, what === 'stop' ? 40106 : 40103, `workflow ${workFlowId} has already ended (${desc.status.name}): it cannot be ${what === 'stop' ? 'stopped' : 'started'}`);
  if (desc.status.name !== 'RUNNING') throw refused();
  try {
    if (what === 'stop') await handle.executeUpdate(stopUpdate, { args: [{ by }] });
    else await handle.executeUpdate(startUpdate);
  } catch (err) {
    // it closed in between
    if ((await handle.describe()).status.name !== 'RUNNING') throw refused();
    throw err;
  }
}

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
      const facts = await flowFacts(handle, {
        workflowId: workFlowId,
        workflowType: desc.type,
        status: desc.status.name as ExecutionStatusName,
        startTime: desc.startTime,
        closeTime: desc.closeTime,
        clusterId: desc.typedSearchAttributes.get(TiemClusterId),
      });
      return ok(toWorkflowDetail(facts));
    },
  );

  app.get(
    '/api/v1/workflow/',
    {
      schema: {
        operationId: 'queryWorkflows',
        tags: ['workflows'],
        summary: 'List flows (TiEM QueryWorkFlows), newest first',
        description: "TiEM's filters (bizId = the cluster, flowName substring, status) and page object; Stopped is a running flow waiting at a step boundary.",
        querystring: TiemWorkflowListQuery,
        response: { 200: TiemWorkflowListResponse, ...errorResponses },
      },
    },
    async (req) => {
      const { page = 1, pageSize = 20, bizType, ...filter } = req.query;
      if (bizType && bizType !== 'cluster') return { ...ok({ workFlows: [] as WorkflowInfo[] }), page: { page, pageSize, total: 0 } };
      const query = buildTiemListQuery(filter);
      // Processing and Stopped are both Running in Temporal: tell them apart by asking each flow.
      const bySubstate = filter.status === 'Processing' || filter.status === 'Stopped';
      const rows: WorkflowInfo[] = [];
      let total = 0;
      const skip = (page - 1) * pageSize;
      for await (const info of deps.client.workflow.list({ query })) {
        if (!bySubstate && total >= skip + pageSize) {
          total = (await deps.client.workflow.count(query)).count;
          break;
        }
        const inPage = total >= skip && total < skip + pageSize;
        if (!bySubstate && !inPage) {
          total++;
          continue;
        }
        const facts = await flowFacts(deps.client.workflow.getHandle(info.workflowId, info.runId), {
          workflowId: info.workflowId,
          workflowType: info.type,
          status: info.status.name as ExecutionStatusName,
          startTime: info.startTime,
          closeTime: info.closeTime,
          clusterId: info.typedSearchAttributes.get(TiemClusterId),
        });
        if (!flowNameOf(facts.workflowType)) continue;
        const row = toWorkflowInfo(facts);
        if (bySubstate && row.status !== filter.status) continue;
        if (total >= skip && total < skip + pageSize) rows.push(row);
        total++;
      }
      return { ...ok({ workFlows: rows }), page: { page, pageSize, total } };
    },
  );

  for (const what of ['stop', 'start'] as const) {
    app.post(
      `/api/v1/workflow/${what}`,
      {
        schema: {
          operationId: `${what}Workflow`,
          tags: ['workflows'],
          summary: what === 'stop' ? 'Stop a flow at its next step boundary (TiEM)' : 'Start a stopped flow again (TiEM)',
          description:
            what === 'stop'
              ? 'The running step is not interrupted; the flow waits before its next step until started. A stopped clone can still be cancelled.'
              : 'The flow goes on from the step where it stopped. Starting a flow that is not stopped changes nothing.',
          body: WorkflowStopStartBody,
          response: { 200: EmptyResponse, ...errorResponses },
        },
      },
      async (req) => {
        await stopOrStart(deps.client, req.body.workFlowId, what, 'http api');
        return ok({});
      },
    );
  }

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
