// Update-with-start of a workflow that answers an `admission` update (clone, delete): the caller
// gets the synchronous verdict (locks taken, or the TiEM code of the refusal) while every state
// change happens inside the workflow. Nothing is held by the caller between the start and the
// answer, so a caller that crashes in between cannot leave a lock or a row behind.
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  type Client,
} from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { admissionOutcomeQuery, admissionUpdate, type AdmissionOutcome } from '../workflows/definitions.js';

export type Rejection = Extract<AdmissionOutcome, { accepted: false }>;

/** The workflow refused at admission (source checks, duplicate name, maintenance lock): nothing was left behind. */
export class AdmissionRejectedError extends Error {
  constructor(readonly outcome: Rejection) {
    super(outcome.message);
    this.name = 'AdmissionRejectedError';
  }
  get code(): number {
    return this.outcome.code;
  }
  get httpStatus(): number {
    return this.outcome.httpStatus;
  }
}

export interface AdmissionStart {
  workflowType: string;
  workflowId: string;
  taskQueue: string;
  args: unknown[];
  typedSearchAttributes?: SearchAttributePair[];
  /**
   * REJECT_DUPLICATE (clone): a closed workflow is never run again; its recorded answer is returned.
   * ALLOW_DUPLICATE (delete): a new run once the previous one closed, so a refused delete can be retried.
   */
  reusePolicy: WorkflowIdReusePolicy;
}

/**
 * Starts the workflow (or joins the running one with that id) and waits for its admission verdict.
 * Returns the outcome, accepted or not; throws only on transport/server errors.
 */
export async function startWithAdmission(client: Client, s: AdmissionStart): Promise<AdmissionOutcome> {
  const start = new WithStartWorkflowOperation(s.workflowType, {
    taskQueue: s.taskQueue,
    workflowId: s.workflowId,
    args: s.args,
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: s.reusePolicy,
    typedSearchAttributes: s.typedSearchAttributes,
  });
  try {
    return await client.workflow.executeUpdateWithStart(admissionUpdate, { startWorkflowOperation: start });
  } catch (err) {
    // REJECT_DUPLICATE and that workflow has already closed: answer what it answered then.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const earlier = await client.workflow.getHandle(s.workflowId).query(admissionOutcomeQuery);
    if (!earlier) throw err;
    return earlier;
  }
}
