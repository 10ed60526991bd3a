// Names shared by the workflows, the worker and the clients: task queue, queries, signals and
// search attributes (spec §5.5). Import from here rather than repeating strings.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { BrProgressSignal } from '../activities/types.js';
import type { CloneProgress } from '../domain/types.js';

export const TASK_QUEUE = 'tiem-clone';

/** TiEM's node list with status, times, result lines and BR progress. */
export const progressQuery = defineQuery<CloneProgress>('progress');

/** The answer to a clone request: accepted once the locks and the target row exist, or rejected with the TiEM code. */
export type AdmissionOutcome =
  | { accepted: true; clusterId: string; workflowId: string }
  | { accepted: false; clusterId: string; workflowId: string; code: number; httpStatus: number; errorName: string; message: string };

/** Waits for the admission (validation, duplicate name, maintenance locks): lets the API answer synchronously. */
export const admissionUpdate = defineUpdate<AdmissionOutcome>('admission');

/** The same answer for a clone that has already closed (updates need a running workflow). */
export const admissionOutcomeQuery = defineQuery<AdmissionOutcome | null>('admissionOutcome');

/** TiEM's workflow stop and start: the flow pauses at its next step boundary (the running step goes
 *  on) and resumes where it stopped. Both answer whether the flow is stopped now. */
export interface StopRequest {
  /** Who asked, for the progress record. */
  by?: string;
}
export const stopUpdate = defineUpdate<{ stopped: boolean }, [StopRequest]>('stop');
export const startUpdate = defineUpdate<{ stopped: boolean }, []>('start');

/** Sent by the BR activities of the backupCluster / restoreCluster children to the clone. */
export const brProgressSignal = defineSignal<[BrProgressSignal]>('brProgress');

export const TiemClusterId = defineSearchAttributeKey('TiemClusterId', SearchAttributeType.KEYWORD);
export const TiemSourceClusterId = defineSearchAttributeKey('TiemSourceClusterId', SearchAttributeType.KEYWORD);
export const TiemCloneStrategy = defineSearchAttributeKey('TiemCloneStrategy', SearchAttributeType.KEYWORD);
export const TiemCloneStep = defineSearchAttributeKey('TiemCloneStep', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [TiemClusterId, TiemSourceClusterId, TiemCloneStrategy, TiemCloneStep];

export { workflowIds } from '../domain/ids.js';
