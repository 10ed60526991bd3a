// Turning errors into workflow failures that carry the TiEM code (spec §5.4).
import { ApplicationFailure, CancellationScope, CancelledFailure, isCancellation } from '@temporalio/workflow';
import { TiemError, tiemCodeOf } from '../domain/errors.js';

/**
 * A cancellation that arrived while a step that does not heartbeat ran is only seen by the next
 * cancellable call: where a decision depends on it, ask here.
 */
export function throwIfCancelled(): void {
  if (CancellationScope.current().consideredCancelled) throw new CancelledFailure('Workflow cancelled');
}

/** A TiemError raised by pure code in the workflow → non-retryable ApplicationFailure. */
export function tiemFailure(err: TiemError): ApplicationFailure {
  return ApplicationFailure.create({ type: err.errorName, message: err.message, nonRetryable: true, details: [err.details] });
}

/** Runs pure validation inside the workflow; a plain Error would only fail the workflow task. */
export function check<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TiemError) throw tiemFailure(err);
    throw ApplicationFailure.nonRetryable(String((err as Error)?.message ?? err), 'PARAMETER_INVALID');
  }
}

/** The innermost ApplicationFailure with a TiEM type, through Activity/ChildWorkflow failure causes. */
export function findTiemFailure(err: unknown): ApplicationFailure | undefined {
  let cur: unknown = err;
  let found: ApplicationFailure | undefined;
  for (let depth = 0; cur && depth < 10; depth++) {
    if (cur instanceof ApplicationFailure && cur.type && tiemCodeOf(cur.type) !== undefined) found = cur;
    cur = (cur as { cause?: unknown }).cause;
  }
  return found;
}

export function errorCodeOf(err: unknown): number {
  const f = findTiemFailure(err);
  return (f?.type && tiemCodeOf(f.type)) || 10000;
}

/** One line for progress nodes: the innermost message (TiEM text when there is one). */
export function describe(err: unknown): string {
  if (isCancellation(err)) return 'cancelled';
  const f = findTiemFailure(err);
  if (f) return f.message;
  let cur: unknown = err;
  let msg = String((err as Error)?.message ?? err);
  for (let depth = 0; cur && depth < 10; depth++) {
    const m = (cur as Error).message;
    if (m) msg = m;
    cur = (cur as { cause?: unknown }).cause;
  }
  return msg;
}

/** The error the workflow ends with: the original failure, its code, and any cleanup errors. */
export function finalFailure(err: unknown, compensationErrors: string[]): unknown {
  if (isCancellation(err)) return err;
  const f = findTiemFailure(err);
  const type = f?.type ?? 'UNRECOGNIZED_ERROR';
  const code = tiemCodeOf(type) ?? 10000;
  const base = f?.message ?? describe(err);
  const suffix = compensationErrors.length ? ` (cleanup errors: ${compensationErrors.join('; ')})` : '';
  return ApplicationFailure.create({
    type,
    message: base + suffix,
    nonRetryable: true,
    details: [{ code, httpStatus: (f?.details?.[0] as { httpStatus?: number } | undefined)?.httpStatus ?? 500, compensationErrors }],
    cause: err instanceof Error ? err : undefined,
  });
}

/** TiEM name, code and HTTP status of a failure (for rejections answered to the API). */
export function tiemSummary(err: unknown): { errorName: string; code: number; httpStatus: number; message: string } {
  const f = findTiemFailure(err);
  const errorName = f?.type ?? 'UNRECOGNIZED_ERROR';
  const detail = f?.details?.[0] as { httpStatus?: number } | undefined;
  return { errorName, code: tiemCodeOf(errorName) ?? 10000, httpStatus: detail?.httpStatus ?? 500, message: f?.message ?? describe(err) };
}
