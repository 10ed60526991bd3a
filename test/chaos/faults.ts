// Faults at the activity boundary, for the steps no simulated system is involved in (metadata,
// files) and for failures after a side effect landed. The harness holds the registry and serves
// it over loopback HTTP; the chaos worker (worker.ts) asks before and after every activity.
// Faults are scoped to one clone (its target cluster id), so cases that run at once never meet
// each other's faults.
import { createServer, type Server } from 'node:http';

export type ActivityFaultMode =
  /** Throw a retryable failure before the activity runs (nothing happened). */
  | 'failBefore'
  /** Run the activity, then throw a retryable failure: the side effect landed, the completion is lost. */
  | 'failAfter'
  /** Throw a non-retryable failure before the activity runs: the step fails for good. */
  | 'failPermanently'
  /** Slow the activity down (before it runs), so a cancel or a kill lands mid-run. */
  | 'delay';

export interface ActivityFault {
  /** The clone's target cluster id; an activity matches when its workflow or input names it. */
  target: string;
  activity: string;
  mode: ActivityFaultMode;
  /** How many matching calls it hits ('always' by default for failPermanently, else 1). */
  times?: number | 'always';
  /** Only from this matching call on (1-based; e.g. 2 = the end step's persistCluster). */
  fromCall?: number;
  delayMs?: number;
}

interface Armed extends ActivityFault {
  calls: number;
  hits: number;
}

export interface FaultQuery {
  activity: string;
  phase: 'before' | 'after';
  /** Workflow id and the ids in the activity's input (targetClusterId, clusterId, report.workflowId). */
  keys: string[];
}

export interface FaultAnswer {
  mode?: ActivityFaultMode;
  delayMs?: number;
}

/** Does an activity with these keys belong to the clone of `target`? */
function belongsTo(target: string, keys: string[]): boolean {
  return keys.some(
    (k) => k === target || k === `clone-${target}` || k.startsWith(`restore-${target}-`) || k.startsWith(`modify-parameters-${target}-`) || k === `build-log-config-${target}`,
  );
}

export class ActivityFaultRegistry {
  private faults: Armed[] = [];

  add(f: ActivityFault): void {
    this.faults.push({ ...f, calls: 0, hits: 0 });
  }

  clear(target: string): void {
    this.faults = this.faults.filter((f) => f.target !== target);
  }

  /** How often a fault hit (the case checks its fault was really exercised). */
  hits(target: string, activity: string): number {
    return this.faults.filter((f) => f.target === target && f.activity === activity).reduce((n, f) => n + f.hits, 0);
  }

  answer(q: FaultQuery): FaultAnswer {
    for (const f of this.faults) {
      if (f.activity !== q.activity || !belongsTo(f.target, q.keys)) continue;
      const after = f.mode === 'failAfter';
      if ((q.phase === 'after') !== after) continue;
      f.calls++;
      if (f.calls < (f.fromCall ?? 1)) continue;
      const times = f.times ?? (f.mode === 'failPermanently' ? 'always' : 1);
      if (times !== 'always' && f.hits >= times) continue;
      f.hits++;
      return { mode: f.mode, delayMs: f.delayMs };
    }
    return {};
  }

  /** Loopback HTTP: POST /activity-fault {activity, phase, keys} → {mode?, delayMs?}. */
  async serve(): Promise<{ url: string; server: Server }> {
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        let answer: FaultAnswer = {};
        try {
          answer = this.answer(JSON.parse(body) as FaultQuery);
        } catch {
          res.statusCode = 400;
        }
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
  }
}
