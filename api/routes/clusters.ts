// Clusters: list, detail (instances, StandBy relations), delete (deleteCluster workflow) and
// takeover (takeoverCluster workflow).
import { WorkflowFailedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import proto from '@temporalio/proto';
import { controlHostQueue } from '../../domain/control-host.js';
import { httpStatusOf } from '../../domain/validation.js';
import { startWithAdmission } from '../../client/admission.js';
import type { DeleteClusterInput } from '../../workflows/deleteCluster.js';
import { TiemClusterId, workflowIds } from '../../workflows/definitions.js';
import { toClusterDetail, toClusterInfo } from '../cluster-view.js';
import { ok, type ApiApp, type RouteDeps } from '../context.js';
import { ApiError } from '../errors.js';
import {
  ClusterDeleteQuery,
  ClusterDetailResponse,
  ClusterFlowResponse,
  ClusterIdParams,
  ClusterListResponse,
  errorResponses,
  TakeoverRequestBody,
} from '../schemas.js';
import type { ClusterInfo, TakeoverRequestBody as TakeoverBody } from '../../client/api-types.js';
import { tiemFailureOf } from './workflows.js';

export function clusterRoutes(app: ApiApp, deps: RouteDeps): void {
  const notFound = (id: string) => ApiError.of('CLUSTER_NOT_FOUND', `cluster ${id} not found`);

  app.get(
    '/api/v1/clusters',
    {
      schema: {
        operationId: 'listClusters',
        tags: ['clusters'],
        summary: 'Clusters that are not deleted',
        response: { 200: ClusterListResponse, ...errorResponses },
      },
    },
    async () => {
      const clusters = await deps.store.listClusters();
      const out: ClusterInfo[] = [];
      for (const c of clusters) out.push(toClusterInfo(c, await deps.store.getRelations(c.id)));
      return ok(out);
    },
  );

  app.get(
    '/api/v1/clusters/:id',
    {
      schema: {
        operationId: 'getCluster',
        tags: ['clusters'],
        summary: 'A cluster with its instances and StandBy relations',
        params: ClusterIdParams,
        response: { 200: ClusterDetailResponse, ...errorResponses },
      },
    },
    async (req) => {
      const c = await deps.store.getCluster(req.params.id);
      if (!c) throw notFound(req.params.id);
      return ok(toClusterDetail(c, await deps.store.getRelations(c.id)));
    },
  );

  app.delete(
    '/api/v1/clusters/:id',
    {
      schema: {
        operationId: 'deleteCluster',
        tags: ['clusters'],
        summary: 'Delete a cluster (deleteCluster workflow)',
        description:
          'TiUP destroy when deployed, resources released, changefeeds into it removed, relations dropped. ' +
          'Refused with 409 (20114) while the cluster is under maintenance unless `force`.',
        params: ClusterIdParams,
        querystring: ClusterDeleteQuery,
        response: { 200: ClusterFlowResponse, ...errorResponses },
      },
    },
    async (req) => {
      const clusterId = req.params.id;
      if (!(await deps.store.getCluster(clusterId))) throw notFound(clusterId);
      const workflowId = workflowIds.deleteCluster(clusterId);
      const input: DeleteClusterInput = { clusterId, force: req.query.force === true };
      // As the clone: the lock is taken inside the workflow and answered through its admission update.
      const outcome = await startWithAdmission(deps.client, {
        workflowType: 'deleteCluster',
        workflowId,
        taskQueue: deps.taskQueue,
        args: [input],
        // A running delete is joined; once it closed (e.g. refused), a new DELETE runs again.
        reusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        typedSearchAttributes: [{ key: TiemClusterId, value: clusterId }],
      });
      if (!outcome.accepted) throw new ApiError(httpStatusOf(outcome), outcome.code, outcome.message);
      return ok({ workFlowId: workflowId, clusterId });
    },
  );

  app.post(
    '/api/v1/clusters/takeover',
    {
      schema: {
        operationId: 'takeoverCluster',
        tags: ['clusters'],
        summary: 'Register an existing TiUP-managed cluster (takeoverCluster workflow)',
        description: 'Reads `tiup cluster display` and the meta of the named cluster on the control host, checks the root credentials over SQL and stores them encrypted. Waits until the takeover ends.',
        body: TakeoverRequestBody,
        response: { 200: ClusterFlowResponse, ...errorResponses },
      },
    },
    async (req) => {
      const body: TakeoverBody = req.body;
      const workflowId = workflowIds.takeoverCluster(body.clusterName);
      if (body.controlHost !== undefined) await requireControlHostWorker(deps, body.controlHost);
      try {
        const result = await deps.client.workflow.execute('takeoverCluster', {
          taskQueue: deps.taskQueue,
          workflowId,
          args: [body],
          // the same takeover sent twice while running: wait for the one that runs
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
          typedSearchAttributes: [{ key: TiemClusterId, value: body.clusterName }],
        });
        return ok({ workFlowId: workflowId, clusterId: (result as { clusterId: string }).clusterId });
      } catch (err) {
        if (!(err instanceof WorkflowFailedError)) throw err;
        const f = tiemFailureOf(err.cause);
        if (!f) throw new ApiError(500, 10000, `takeover of ${body.clusterName} failed: ${err.cause?.message ?? err.message}`);
        throw new ApiError(httpStatusOf({ code: f.code, httpStatus: f.httpStatus }), f.code, f.message);
      }
    },
  );
}

/**
 * A takeover names its control host: refused at once when no worker of that host polls its queue
 * (its TiUP would never be reached, and the takeover would wait for one forever).
 */
async function requireControlHostWorker(deps: RouteDeps, controlHost: string): Promise<void> {
  const queue = controlHostQueue(deps.taskQueue, controlHost);
  const { pollers } = await deps.client.workflowService.describeTaskQueue({
    namespace: deps.client.options.namespace,
    taskQueue: { name: queue },
    taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  if (!pollers?.length) {
    throw new ApiError(400, 10001, `control host ${controlHost} has no worker: nothing polls task queue ${queue} (run one with TIEM_WORKER_ROLE=control-host TIEM_CONTROL_HOST=${controlHost})`);
  }
}
