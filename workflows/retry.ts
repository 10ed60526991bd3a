// Cleanup of the source must not give up (spec §5.4): the failures that make a clone fail (the
// source's TiDB is down) are the ones that make its cleanup fail, and the original GC value must
// come back whenever the source returns. Each call keeps its activity's own quick retries; between
// calls we wait with capped backoff, and the caller shows the last error while we wait.
import { sleep } from '@temporalio/workflow';
import { describe } from './failures.js';

const FIRST_WAIT_MS = 2_000;
/** One minute at most: five history events a minute keeps even a week-long outage under Temporal's history limit, and the reconciler covers the rest. */
const MAX_WAIT_MS = 60_000;

/** Runs `fn` until it succeeds. Call inside CancellationScope.nonCancellable. */
export async function untilDone<T>(fn: () => Promise<T>, onRetry: (error: string, attempt: number) => void): Promise<T> {
  for (let attempt = 1, waitMs = FIRST_WAIT_MS; ; attempt++, waitMs = Math.min(waitMs * 2, MAX_WAIT_MS)) {
    try {
      return await fn();
    } catch (err) {
      onRetry(describe(err), attempt);
      await sleep(waitMs);
    }
  }
}
