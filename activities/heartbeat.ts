// Heartbeats, cancellation and waits of long activities. Cancellation reaches an activity only
// through heartbeats, so every tool run heartbeats on its output and hands the activity's
// cancellation signal to the adapter, which kills the tool's process group.
import { Context, sleep as activitySleep } from '@temporalio/activity';
import type { RunOptions } from '../adapters/types.js';
import type { BrProgress } from '../domain/types.js';
import type { BrProgressSignal, ProgressReport } from './types.js';
import type { ActivityDeps } from './deps.js';

/** The current activity context, or undefined when called outside an activity (plain calls in scripts). */
export function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

export function heartbeat(details?: unknown): void {
  currentContext()?.heartbeat(details);
}

/** The details of the previous attempt's last heartbeat (what a retried activity resumes from). */
export function lastHeartbeat<T>(): T | undefined {
  return currentContext()?.info.heartbeatDetails as T | undefined;
}

/** The SDK's activity logger (worker Runtime logger, with the activity's attributes); silent outside an activity. */
export function logWarning(message: string, fields: Record<string, unknown>): void {
  currentContext()?.log.warn(message, fields);
}

export function cancellationSignal(): AbortSignal | undefined {
  return currentContext()?.cancellationSignal;
}

/** Cancellable wait: throws CancelledFailure when the activity is cancelled. */
export async function sleep(ms: number): Promise<void> {
  if (currentContext()) return activitySleep(ms);
  await new Promise<void>((resolve) => setTimeout(resolve, ms));
}

/** Heartbeat while a tool is silent or a poll waits, so a worker crash is noticed and a cancel is delivered. */
const KEEPALIVE_MS = 5000;

/** A poll wait that keeps heartbeating (with `details`), so a long poll interval never trips the heartbeat timeout. */
export async function pollSleep(ms: number, details: unknown): Promise<void> {
  for (let left = ms; left > 0; left -= KEEPALIVE_MS) {
    await sleep(Math.min(left, KEEPALIVE_MS));
    if (left > KEEPALIVE_MS) heartbeat(details);
  }
}

const MAX_LINE_IN_HEARTBEAT = 200;

/**
 * Runs a tool with the activity's cancellation signal and heartbeats: one per output line, and
 * one every few seconds while the tool prints nothing (BR can sit at 100% for a long time).
 * `details` gives the heartbeat details when the caller tracks richer progress (BR percent).
 */
export async function runWithHeartbeat<T>(step: string, fn: (opts: RunOptions) => Promise<T>, details?: () => unknown): Promise<T> {
  let lines = 0;
  let lastLine = '';
  const current = () => details?.() ?? { step, lines, lastLine };
  const opts: RunOptions = {
    signal: cancellationSignal(),
    onLine: (_stream, line) => {
      lines += 1;
      lastLine = line.slice(0, MAX_LINE_IN_HEARTBEAT);
      heartbeat(current());
    },
  };
  heartbeat(current());
  const timer = setInterval(() => heartbeat(current()), KEEPALIVE_MS);
  timer.unref?.();
  try {
    return await fn(opts);
  } finally {
    clearInterval(timer);
  }
}

export const BR_PROGRESS_SIGNAL = 'brProgress';
const SIGNAL_MIN_INTERVAL_MS = 1000;
const SIGNAL_MIN_PERCENT_STEP = 1;

/**
 * Turns BR `[progress]` samples into heartbeats (every sample) and `brProgress` signals to the
 * clone workflow (only on a step change or ≥1% change, at most once a second, so a chatty BR
 * cannot flood the workflow history). `flush()` sends the last sample that was held back.
 */
export class BrProgressReporter {
  private lastSent?: BrProgress;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private pendingSample?: BrProgress;
  /** The latest sample, for heartbeats between BR's progress lines. */
  latest?: BrProgress;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: Pick<ActivityDeps, 'signalWorkflow'>,
    private readonly report: ProgressReport | undefined,
    private readonly totalBytes: number | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  onProgress(p: { step: string; percent: number }): void {
    const progress: BrProgress = { step: p.step, percent: p.percent };
    if (this.totalBytes && this.totalBytes > 0) {
      progress.totalBytes = this.totalBytes;
      progress.bytes = Math.round((this.totalBytes * Math.min(100, Math.max(0, p.percent))) / 100);
    }
    this.latest = progress;
    heartbeat(progress);
    if (!this.report || !this.deps.signalWorkflow) return;
    const last = this.lastSent;
    const changed = !last || last.step !== progress.step || Math.abs(progress.percent - last.percent) >= SIGNAL_MIN_PERCENT_STEP;
    if (!changed) return;
    if (this.now() - this.lastSentAt < SIGNAL_MIN_INTERVAL_MS) {
      this.pendingSample = progress;
      return;
    }
    this.send(progress);
  }

  /** Sends the held-back sample (the latest state) and waits for every signal in flight. */
  async flush(): Promise<void> {
    if (this.pendingSample) this.send(this.pendingSample);
    await this.inFlight;
  }

  private send(progress: BrProgress): void {
    const { report, deps } = this;
    if (!report || !deps.signalWorkflow) return;
    this.lastSent = progress;
    this.lastSentAt = this.now();
    this.pendingSample = undefined;
    const payload: BrProgressSignal = { node: report.node, progress };
    const signalWorkflow = deps.signalWorkflow;
    // Progress is best effort: a failed signal must never fail the BR run.
    this.inFlight = this.inFlight.then(() =>
      signalWorkflow(report.workflowId, BR_PROGRESS_SIGNAL, payload).catch((err: unknown) => {
        logWarning('brProgress signal failed', { workflowId: report.workflowId, error: String(err) });
      }),
    );
  }
}
