// Compensation list (spec §5.3): undos are registered before their forward step and run newest
// first. A failing undo does not stop the others; its error is kept for the final failure.
import type { ProgressTracker } from '../domain/progress.js';
import { describe } from './failures.js';

type Undo = () => Promise<string[] | string | void>;

export class Saga {
  private readonly undos: { node: string; fn: Undo }[] = [];

  constructor(private readonly progress: ProgressTracker) {}

  /** Registering the same node twice (a retried branch) keeps one entry. */
  add(node: string, fn: Undo): void {
    if (!this.undos.some((u) => u.node === node)) this.undos.push({ node, fn });
  }

  /** Call inside CancellationScope.nonCancellable. Returns the cleanup errors. */
  async compensate(): Promise<string[]> {
    const errors: string[] = [];
    for (const { node, fn } of [...this.undos].reverse()) {
      try {
        const r = await fn();
        this.progress.compensated(node, Array.isArray(r) ? r : r ? [r] : []);
      } catch (err) {
        const msg = `${node}: ${describe(err)}`;
        errors.push(msg);
        this.progress.compensationError(msg);
        this.progress.addLines(node, [`compensation failed: ${describe(err)}`]);
      }
    }
    this.undos.length = 0;
    return errors;
  }
}
