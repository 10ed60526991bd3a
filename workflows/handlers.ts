// Handlers and helpers every cluster workflow (clone, delete) shares: the admission answer the
// API waits for, and the step runner that keeps the progress query and search attributes current.
import { allHandlersFinished, CancellationScope, condition, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { ProgressTracker } from '../domain/progress.js';
import { admissionOutcomeQuery, admissionUpdate, progressQuery, startUpdate, stopUpdate, TiemCloneStep, type AdmissionOutcome } from './definitions.js';
import { describe, tiemSummary } from './failures.js';

export interface Admission {
  accept(): void;
  /** Records the refusal (first answer wins) and lets the update's caller get it before the workflow closes. */
  reject(err: unknown): Promise<void>;
}

/** Registers the progress query and the admission update/query; call first thing in the workflow. */
export function registerHandlers(progress: ProgressTracker, ids: { clusterId: string; workflowId: string }): Admission {
  let admission: AdmissionOutcome | undefined;
  setHandler(progressQuery, () => progress.snapshot());
  setHandler(admissionUpdate, async () => {
    // Answered even when the workflow is cancelled meanwhile: the caller must learn the verdict.
    await CancellationScope.nonCancellable(() => condition(() => admission !== undefined));
    return admission!;
  });
  setHandler(admissionOutcomeQuery, () => admission ?? null);
  setHandler(stopUpdate, (req) => {
    progress.stop(req?.by);
    return { stopped: true };
  });
  setHandler(startUpdate, () => {
    progress.resume();
    return { stopped: false };
  });
  return {
    accept() {
      admission ??= { accepted: true, ...ids };
    },
    async reject(err) {
      admission ??= { accepted: false, ...ids, ...tiemSummary(err) };
      await condition(allHandlersFinished);
    },
  };
}

/** Runs one node of `Node` (the flow's typed node names): progress times and result lines, the TiemCloneStep search attribute. */
export type StepRunner<Node extends string> = <T>(name: Node, fn: () => Promise<T>, lines?: (r: T) => string[]) => Promise<T>;

export function stepRunner<Node extends string = string>(progress: ProgressTracker): StepRunner<Node> {
  return async function step<T>(name: Node, fn: () => Promise<T>, lines?: (r: T) => string[]): Promise<T> {
    // A stopped flow waits here, before its next step (a cancel still ends the wait). Only a stopped
    // flow awaits anything: a running one schedules exactly the commands it always did.
    if (progress.isStopped) await condition(() => !progress.isStopped);
    progress.start(name);
    upsertSearchAttributes([{ key: TiemCloneStep, value: name }]);
    try {
      const r = await fn();
      progress.done(name, lines ? lines(r) : Array.isArray(r) ? (r as string[]) : typeof r === 'string' ? [r] : []);
      return r;
    } catch (err) {
      progress.fail(name, describe(err));
      throw err;
    }
  };
}
