// Typed client: start a clone and follow it. Used by the CLI, the demo and the tests; the HTTP
// API will use the same functions.
import { createHash, randomBytes } from 'node:crypto';
import { WorkflowIdReusePolicy, type Client, type WorkflowHandle } from '@temporalio/client';
import type { CloneClusterInput, CloneClusterRequest, CloneOptions, ClonePreflight, CloneProgress, CloneResult } from '../domain/types.js';
import { validateCloneRequestShape } from '../domain/validation.js';
import type { cloneCluster } from '../workflows/cloneCluster.js';
import type { precheckClone as precheckCloneWorkflow } from '../workflows/precheckClone.js';
import { TASK_QUEUE, TiemCloneStrategy, TiemClusterId, TiemSourceClusterId, progressQuery, workflowIds } from '../workflows/definitions.js';
import { AdmissionRejectedError, startWithAdmission } from './admission.js';

/** The clone was refused at admission (source checks, duplicate name, maintenance lock): nothing was left behind. */
export class CloneRejectedError extends AdmissionRejectedError {
  override readonly name = 'CloneRejectedError';
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A 22-character cluster id (TiEM's length), alphanumeric so it is also a valid TiUP cluster name
 * and TiCDC changefeed id. Derived from the requestId when there is one: the same request maps to
 * the same clone workflow (idempotency).
 */
export function newClusterId(requestId?: string): string {
  const bytes = requestId ? createHash('sha256').update(`tiem-clone:${requestId}`).digest() : randomBytes(32);
  let id = '';
  for (let i = 0; id.length < 22; i++) id += ALPHABET[bytes[i % bytes.length]! % ALPHABET.length];
  return id;
}

export interface StartedClone {
  workflowId: string;
  clusterId: string;
  handle: WorkflowHandle<typeof cloneCluster>;
}

/**
 * Starts the clone and waits for its admission (update-with-start): resolves once the locks and the
 * target row exist, or throws CloneRejectedError with the TiEM code. Nothing outside the workflow
 * holds state in between, so a crash of the caller can never leave a lock behind.
 */
export async function startClone(
  client: Client,
  request: CloneClusterRequest,
  opts: { options?: CloneOptions; taskQueue?: string; clusterId?: string } = {},
): Promise<StartedClone> {
  validateCloneRequestShape(request); // fail fast with the TiEM code, before anything exists
  const clusterId = opts.clusterId ?? newClusterId(request.requestId);
  const workflowId = workflowIds.clone(clusterId);
  const input: CloneClusterInput = { request, targetClusterId: clusterId, options: opts.options };
  const outcome = await startWithAdmission(client, {
    workflowType: 'cloneCluster',
    workflowId,
    taskQueue: opts.taskQueue ?? TASK_QUEUE,
    args: [input],
    // A repeated requestId finds the running clone (USE_EXISTING) or, once it closed, is refused
    // (REJECT_DUPLICATE) and answered from the closed one: never a second clone.
    reusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    typedSearchAttributes: [
      { key: TiemClusterId, value: clusterId },
      { key: TiemSourceClusterId, value: request.sourceClusterId },
      { key: TiemCloneStrategy, value: request.cloneStrategy },
    ],
  });
  if (!outcome.accepted) throw new CloneRejectedError(outcome);
  return { workflowId, clusterId, handle: client.workflow.getHandle<typeof cloneCluster>(workflowId) };
}

/**
 * The pre-flight of a request (`dryRun`): every check without a side effect, all problems at once,
 * and the plan. Runs on a worker (it has the source's credentials); the password is not sent.
 */
export async function precheckClone(client: Client, request: CloneClusterRequest, opts: { taskQueue?: string } = {}): Promise<ClonePreflight> {
  validateCloneRequestShape(request);
  const { dbPassword: _password, ...publicRequest } = request;
  const id = newClusterId();
  return client.workflow.execute<typeof precheckCloneWorkflow>('precheckClone', {
    taskQueue: opts.taskQueue ?? TASK_QUEUE,
    workflowId: `precheck-${id}`,
    args: [{ request: publicRequest, targetClusterId: id }],
    workflowExecutionTimeout: '2 minutes',
  });
}

/** Polls the progress query until the clone ends; calls onProgress on every change. */
export async function followClone(
  handle: WorkflowHandle<typeof cloneCluster>,
  onProgress: (p: CloneProgress) => void,
  intervalMs = 1000,
): Promise<CloneResult> {
  let last = '';
  let done = false;
  const result = handle.result().finally(() => {
    done = true;
  });
  const poll = async () => {
    while (!done) {
      try {
        const p = await handle.query(progressQuery);
        const key = JSON.stringify(p);
        if (key !== last) {
          last = key;
          onProgress(p);
        }
      } catch {
        // the query can fail while the workflow closes; the result tells the outcome
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  };
  const [r] = await Promise.all([result, poll()]);
  try {
    onProgress(await handle.query(progressQuery));
  } catch {
    // closed workflows still answer queries on the dev server; ignore if not
  }
  return r;
}
