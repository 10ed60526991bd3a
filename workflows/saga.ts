// Compensation list (spec §5.3): undos are registered before their forward step and run newest
// first, each only after its step has settled (the activity proxies wait for cancelled activities).
// A failing undo does not stop the others; its error is logged and kept for the final failure.
// Undos of the source (GC, changefeed, locks) are `untilDone`: retried without limit, visible as
// `compensating` with the last error while they wait.
import { log } from '@temporalio/workflow';
import type { ProgressTracker } from '../domain/progress.js';
import { describe } from './failures.js';
import { untilDone } from './retry.js';

/** What an undo did: lines for the node; `kept` when it deliberately left things in place. */
export type UndoOutcome = string[] | string | void | { kept: string };
type Undo = () => Promise<UndoOutcome>;

export interface UndoOptions {
  /** Distinguishes several undos of one node; registering the same id twice keeps one. Default: the node. */
  id?: string;
  /** Retry without limit (cleanup of the source). */
  untilDone?: boolean;
}

export class Saga {
  private readonly undos: { id: string; node: string; fn: Undo; untilDone: boolean }[] = [];

  constructor(private readonly progress: ProgressTracker) {}

  add(node: string, fn: Undo, opts: UndoOptions = {}): void {
    const id = opts.id ?? node;
    if (!this.undos.some((u) => u.id === id)) this.undos.push({ id, node, fn, untilDone: opts.untilDone ?? false });
  }

  /** The forward work is complete: nothing is to be undone any more. */
  disarm(): void {
    this.undos.length = 0;
  }

  /** Call inside CancellationScope.nonCancellable. Returns the cleanup errors. */
  async compensate(): Promise<string[]> {
    const errors: string[] = [];
    for (const { id, node, fn, untilDone: patient } of [...this.undos].reverse()) {
      try {
        const r = patient ? await untilDone(fn, (error, attempt) => this.progress.compensating(node, `${id}: ${error} (attempt ${attempt}, retrying)`)) : await fn();
        if (r && typeof r === 'object' && 'kept' in r) this.progress.addLines(node, [r.kept]);
        else this.progress.compensated(node, Array.isArray(r) ? r : r ? [r] : []);
      } catch (err) {
        const msg = `${id}: ${describe(err)}`;
        log.error('compensation step failed', { step: id, error: describe(err) });
        errors.push(msg);
        this.progress.compensationError(msg);
        this.progress.addLines(node, [`compensation failed: ${describe(err)}`]);
      }
    }
    this.undos.length = 0;
    return errors;
  }
}
