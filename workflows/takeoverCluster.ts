// takeoverCluster: TiEM's takeover — registers a cluster TiUP already manages (display, meta.yaml,
// keys, root checked over SQL) so it can be cloned. One idempotent activity; the workflow gives it
// durability, retries and an entry in Temporal's history.
import { ApplicationFailure, patched, proxyActivities, upsertSearchAttributes, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { ClusterActivities, TakeoverInput } from '../activities/types.js';
import { controlHostQueue, validateControlHostName } from '../domain/control-host.js';
import { NON_RETRYABLE_ERROR_TYPES } from '../domain/errors.js';
import { short } from './activity-options.js';
import { TiemClusterId } from './definitions.js';
import { check, finalFailure } from './failures.js';
import { PATCHES } from './patches.js';

const takeoverOptions: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 5,
    nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
  },
};
const acts = proxyActivities<Pick<ClusterActivities, 'takeoverCluster'>>(takeoverOptions);

/** Input: api/types.ts TakeoverRequestBody. Returns the id of the registered cluster (= the TiUP name). */
export async function takeoverCluster(input: TakeoverInput): Promise<{ clusterId: string; resultLines: string[] }> {
  if (!input || typeof input !== 'object' || typeof input.clusterName !== 'string') {
    throw ApplicationFailure.create({
      type: 'PARAMETER_INVALID',
      message: 'workflow input must be {"clusterName": "…", "dbPassword": "…", "region": "…"}',
      nonRetryable: true,
      details: [{ code: 10001, httpStatus: 400 }],
    });
  }
  // The cluster id is the TiUP name (the activity refuses names that cannot be one).
  upsertSearchAttributes([{ key: TiemClusterId, value: input.clusterName }]);
  try {
    return await (await onControlHost(input)).acts.takeoverCluster(input);
  } catch (err) {
    // The TiEM type and code at the top of the failure, as the clone's.
    throw finalFailure(err, []);
  }
}

/**
 * The named control host's TiUP (default: the one it is registered on, or the deployment's default).
 * Wrapped: an activity proxy is not awaitable (its `then` would be an activity).
 */
async function onControlHost(input: TakeoverInput): Promise<{ acts: typeof acts }> {
  if (!patched(PATCHES.controlHostRouting)) return { acts };
  const named = input.controlHost;
  const controlHost = named !== undefined ? check(() => validateControlHostName(String(named), 'controlHost')) : (await short.controlHostOf({ clusterId: input.clusterName })).controlHost;
  // A control host without a worker fails the takeover after 5 minutes instead of waiting forever.
  const taskQueue = controlHostQueue(workflowInfo().taskQueue, controlHost);
  return { acts: proxyActivities<Pick<ClusterActivities, 'takeoverCluster'>>({ ...takeoverOptions, taskQueue, scheduleToStartTimeout: '5 minutes' }) };
}
