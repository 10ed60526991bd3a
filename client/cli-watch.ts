// Following a workflow through the API: polls GET /api/v1/workflow/{id} and draws it with
// watch-render.ts — redrawn in place on a terminal, appended plain lines otherwise.
import type { WorkflowDetail } from './api-types.js';
import { ApiError, type ApiClient } from './api-client.js';
import { EXIT, type ExitCode } from './cli-common.js';
import { isEnded, plainUpdate, redraw, renderFrame, toWatchState, type WatchState } from './watch-render.js';

export interface WatchOptions {
  /** Human output off: only the final detail is returned (for --json). */
  quiet?: boolean;
  tty?: boolean;
  intervalMs?: number;
  /** How long the API may be unreachable or failing before the watch gives up. */
  outageMs?: number;
  write?: (s: string) => void;
  columns?: () => number | undefined;
}

export function exitCodeOfWorkflow(s: Pick<WatchState, 'status'>): ExitCode {
  if (s.status === 'Finished') return EXIT.ok;
  if (s.status === 'Canceled') return EXIT.cancelled;
  return EXIT.failed;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function watchIntervalMs(env: NodeJS.ProcessEnv): number {
  const v = Number(env.TIEM_WATCH_INTERVAL_MS);
  return Number.isFinite(v) && v > 0 ? v : 1000;
}

/** Polls until the workflow ends; returns its last detail. A brief API outage is ridden out. */
export async function watchWorkflow(api: ApiClient, workFlowId: string, opts: WatchOptions = {}): Promise<WorkflowDetail> {
  const write = opts.write ?? ((s: string) => void process.stdout.write(s));
  const tty = opts.tty ?? Boolean(process.stdout.isTTY);
  const columns = opts.columns ?? (() => process.stdout.columns);
  const seen = new Map<string, string>();
  let drawn = 0;
  let failingSince: number | undefined;
  for (;;) {
    let detail: WorkflowDetail;
    try {
      detail = await api.getWorkflow(workFlowId);
      failingSince = undefined;
    } catch (err) {
      // 4xx (unknown id, auth) is final; a restarting API or a 5xx is waited out for a while
      const transient = err instanceof ApiError && (err.unreachable || err.httpStatus >= 500);
      failingSince ??= Date.now();
      if (!transient || Date.now() - failingSince > (opts.outageMs ?? 60_000)) throw err;
      await sleep(opts.intervalMs ?? 1000);
      continue;
    }
    const state = toWatchState(detail);
    if (!opts.quiet) {
      const now = Date.now();
      if (tty) {
        const lines = renderFrame(state, { tty: true, now, columns: columns() });
        write(redraw(drawn, lines));
        drawn = lines.length;
      } else {
        const lines = plainUpdate(state, seen, now);
        if (lines.length) write(`${lines.join('\n')}\n`);
      }
    }
    if (isEnded(state)) return detail;
    await sleep(opts.intervalMs ?? 1000);
  }
}
