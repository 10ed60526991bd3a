// Shared pacing of a tool run: applies an injected fault (fail / hang / die at N%) and spreads
// output lines over a duration scaled by the speed factor.
import type { Simulator } from './sim.js';
import type { Fault } from './faults.js';
import type { ExecIO } from './tiup-exec.js';
import { ToolExit, hangUntilAborted, sleep } from './util.js';

export class OpRun {
  constructor(
    readonly sim: Simulator,
    readonly io: ExecIO,
    readonly fault: Fault | undefined,
  ) {}

  /** Fail/hang faults act before any work; `die` is handled by the work loops. */
  async preflight(): Promise<void> {
    const f = this.fault;
    if (!f) return;
    if (f.mode === 'fail') throw new ToolExit(1, f.message ?? `injected failure (${f.op})`);
    if (f.mode === 'hang') await hangUntilAborted(this.io.signal);
  }

  /** The fraction of the work after which a `die` fault kills the tool (exit 137), if any. */
  get dieAt(): number | undefined {
    return this.fault?.mode === 'die' ? Math.min(1, Math.max(0, (this.fault.atPercent ?? 50) / 100)) : undefined;
  }

  /** Prints `lines` spread over `totalMs` (at speed 1). Dies part-way under a die fault. */
  async steps(lines: string[], totalMs: number): Promise<void> {
    const per = this.sim.scaled(totalMs) / Math.max(1, lines.length);
    const dieAt = this.dieAt;
    for (let i = 0; i < lines.length; i++) {
      if (dieAt !== undefined && i / lines.length >= dieAt) throw new ToolExit(137, '');
      await sleep(per, this.io.signal);
      this.io.out(lines[i]);
    }
    if (dieAt !== undefined) throw new ToolExit(137, '');
  }
}
