// The error boundary of every activity: domain errors are TiemErrors; whatever an activity throws
// leaves it as an ApplicationFailure whose `type` is the TiEM error name, `nonRetryable` when a
// retry cannot help, and `details[0]` = { code, httpStatus, causeCode }. Messages are scrubbed of
// credentials (sink URIs, storage keys) because they end up in Temporal history and logs.
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { maskSecrets } from '../adapters/process.js';
import { TicdcApiError, ToolError } from '../adapters/types.js';
import { NON_RETRYABLE_ERROR_TYPES, TiemError, TiemErrorCode, type TiemErrorName } from '../domain/errors.js';
import { currentContext } from './heartbeat.js';

/** Tool refusals that a retry cannot fix (spec §8 "realism that matters"). */
const TOOL_REFUSALS: { pattern: RegExp; what: string }[] = [
  { pattern: /ErrVersionMismatch|version mismatch|incompatible version|not compatible with|version is not supported/i, what: 'BR refused the cluster version' },
  { pattern: /ErrRestoreIncompatible|incompatible backup/i, what: 'BR refused to restore a backup of an incompatible version' },
  { pattern: /ErrRestoreNotFreshCluster|not fresh|non-fresh|non-empty cluster|cluster is not empty/i, what: 'BR refused to restore into a cluster that is not fresh' },
  { pattern: /name_dup|is duplicated/i, what: 'TiUP refused a duplicate cluster name' },
  { pattern: /edit-config refused|New topology could not be saved/i, what: 'TiUP refused the topology edit' },
];

const MYSQL_CONNECT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'PROTOCOL_CONNECTION_LOST', 'ER_ACCESS_DENIED_ERROR']);

/** Scrubs anything that looks like a credential out of a message. */
export function scrub(text: string): string {
  return maskSecrets(text).replace(/(IDENTIFIED BY\s+)('[^']*'|"[^"]*"|\S+)/gi, '$1***');
}

/** Everything a tool said about its failure: tiup-cluster's error, the message, stderr and stdout tails. */
export function toolText(err: ToolError): string {
  return [err.toolError, err.message, err.stderrTail, err.stdoutTail].filter(Boolean).join('\n');
}

/** The tiup wrapper's own "Starting component …" banner says nothing about the failure. */
function lastLines(text: string, n: number): string {
  return text.split('\n').filter((l) => l.trim() && !/^Starting component /.test(l)).slice(-n).join(' | ');
}

export function isToolError(err: unknown): err is ToolError {
  return err instanceof ToolError || (err instanceof Error && (err.name === 'ToolError' || err.name === 'ToolTimeoutError'));
}

function isTicdcError(err: unknown): err is TicdcApiError {
  return err instanceof TicdcApiError || (err instanceof Error && err.name === 'TicdcApiError');
}

/** TiDB said "Access denied" (1045): the password we tried is not the current one. */
export function isAccessDenied(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const e = err as Error & { code?: string; errno?: number; cause?: unknown };
  if (e.code === 'ER_ACCESS_DENIED_ERROR' || e.errno === 1045) return true;
  if (/access denied/i.test(e.message)) return true;
  return e.cause !== undefined && isAccessDenied(e.cause);
}

/** Maps what adapters throw to a TiemError (domain errors pass through). */
export function toTiemError(err: unknown): TiemError {
  if (err instanceof TiemError) return err;
  if (isTicdcError(err)) {
    const text = `${err.errorCode} ${err.message}`;
    if (/ErrStartTsBeforeGC|ErrSnapshotLostByGC|ErrGCTTLExceeded/.test(text)) {
      return new TiemError('TOOL_REJECTED', scrub(`TiCDC refused the changefeed: [${err.errorCode}] ${err.message}`));
    }
    return new TiemError('CHANGE_FEED_EXECUTE_ERROR', scrub(`[${err.errorCode}] ${err.message}`));
  }
  if (isToolError(err)) {
    const text = toolText(err);
    for (const refusal of TOOL_REFUSALS) {
      if (refusal.pattern.test(text)) {
        const line = text.split('\n').find((l) => refusal.pattern.test(l) && !/^Starting component /.test(l));
        return new TiemError('TOOL_REJECTED', scrub(`${refusal.what}: ${err.toolError ?? line ?? lastLines(text, 3)}`));
      }
    }
    // TiEM's polling node failure: TASK_FAILED with the tool's stderr/stdout (retryable).
    const tail = lastLines([err.toolError, err.stderrTail || err.stdoutTail].filter(Boolean).join('\n'), 5);
    return new TiemError('TASK_FAILED', scrub(tail ? `${err.message}: ${tail}` : err.message));
  }
  if (err instanceof Error) {
    const e = err as Error & { code?: string; errno?: number; sqlMessage?: string; connectFailure?: boolean };
    // PostgreSQL cannot store the value (a NUL, invalid UTF-8): retrying never helps.
    if (e.code === '22021' || e.code === '22P05') return new TiemError('PARAMETER_INVALID', scrub(`the metadata DB cannot store a value: ${e.message}`));
    if (e.connectFailure === true || (e.code && MYSQL_CONNECT_CODES.has(e.code))) return new TiemError('CONNECT_TIDB_ERROR', scrub(e.message));
    if (e.name === 'TidbSqlError' || e.sqlMessage !== undefined || (typeof e.code === 'string' && e.code.startsWith('ER_'))) {
      return new TiemError('SQL_ERROR', scrub(e.message));
    }
    return new TiemError('UNRECOGNIZED_ERROR', scrub(e.message));
  }
  return new TiemError('UNRECOGNIZED_ERROR', scrub(String(err)));
}

function isCancellation(err: unknown): boolean {
  return err instanceof CancelledFailure || (err instanceof Error && err.name === 'AbortError');
}

/**
 * The boundary conversion. A cancelled activity rethrows the CancelledFailure so Temporal records
 * it as cancelled (not failed) even when the tool died with its own error when it was killed.
 */
export function toActivityFailure(err: unknown): ApplicationFailure | CancelledFailure {
  const signal = currentContext()?.cancellationSignal;
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof CancelledFailure ? reason : new CancelledFailure(String(reason ?? 'CANCELLED'));
  }
  if (err instanceof CancelledFailure) return err;
  if (isCancellation(err)) return new CancelledFailure((err as Error).message);
  if (err instanceof ApplicationFailure) return err;
  const tiem = toTiemError(err);
  const type = tiem.errorName as TiemErrorName;
  return ApplicationFailure.create({
    type,
    message: scrub(tiem.message),
    nonRetryable: tiem.nonRetryable ?? NON_RETRYABLE_ERROR_TYPES.includes(type),
    details: [{ code: TiemErrorCode[type], httpStatus: tiem.httpStatus, causeCode: tiem.causeCode }],
  });
}

type AnyActivity = (...args: never[]) => Promise<unknown>;

/**
 * Wraps every activity of `activities` so its errors always cross the boundary as ApplicationFailures.
 * (The worker's own activity log interceptor logs each failure, with this scrubbed message.)
 */
export function withErrorBoundary<T extends Record<string, AnyActivity>>(activities: T): T {
  const wrapped: Record<string, AnyActivity> = {};
  for (const [name, fn] of Object.entries(activities)) {
    const activity = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        const failure = toActivityFailure(err);
        throw failure;
      }
    };
    // Temporal registers activities by property name; keep the function name for stack traces too.
    Object.defineProperty(activity, 'name', { value: name });
    wrapped[name] = activity;
  }
  return wrapped as T;
}
