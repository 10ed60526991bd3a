// Runs an external tool (tiup, br) as an argv array in its own process group, streams its output
// line by line, and on cancellation or timeout kills the whole group: `tiup` forks the component
// binary, so killing only the direct child would leave BR or tiup-cluster running.
// With a `lease`, at most one run of the operation exists at a time, even across worker crashes (tool-lease.ts).
import { execa } from 'execa';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { abortError, terminateGroup } from './process-group.js';
import { acquireToolLease, LEASE_ENV, type HeldLease, type ToolLeaseSpec } from './tool-lease.js';
import { maskSecrets } from './redact.js';
import { parseTiupErrorLine } from './tiup-output.js';
import { ToolError, type RunOptions } from './types.js';

export { maskSecrets } from './redact.js';

export interface RunToolOptions extends RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Name used in error messages, e.g. "tiup cluster deploy" (argv may hold secrets, so it is never printed). */
  displayName?: string;
  /** Extra masking applied to every line before it reaches onLine or an error tail. */
  redact?: (line: string) => string;
  /** Time between SIGTERM and SIGKILL of the process group. Default 5000 ms. */
  killGraceMs?: number;
  /** Lines kept per stream for error tails. Default 50. */
  tailLines?: number;
  /**
   * Per-operation lease ($TIUP_HOME/tiem-leases/<key>.json) taken before the spawn and released after
   * the run: an orphaned run of the same operation left on this host by a dead worker is killed first,
   * a run on another host is waited for (abortable). Lease messages reach `onLine` as stderr lines.
   */
  lease?: ToolLeaseSpec;
}

export interface ToolResult {
  exitCode: number;
  /** Complete raw stdout (not masked: callers parse it, e.g. show-config YAML, JSON, a TSO). Never log it. */
  stdout: string;
  stdoutTail: string;
  stderrTail: string;
}

/** The tool ran longer than `timeoutMs`; its process group was killed. Retryable, unlike a cancel. */
export class ToolTimeoutError extends ToolError {
  constructor(message: string, stdoutTail: string, stderrTail: string) {
    super(message, undefined, stdoutTail, stderrTail);
    this.name = 'ToolTimeoutError';
  }
}

const MAX_STDOUT_CHARS = 16 * 1024 * 1024;

class Tail {
  private readonly lines: string[] = [];
  constructor(private readonly max: number) {}
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
  }
  text(): string {
    return this.lines.join('\n');
  }
}

/** Variables a tool may inherit from the worker: system basics, locale, proxies, TiUP's and cloud storage credentials. */
const TOOL_ENV = /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LC_[A-Z]+|TZ|TMPDIR|TERM|SSH_AUTH_SOCK|(HTTPS?|NO|ALL)_PROXY|(https?|no|all)_proxy|TIUP_[A-Z_]+|AWS_[A-Z_]+|AZURE_[A-Z_]+|GOOGLE_APPLICATION_CREDENTIALS|TIEM_SIMULATOR_URL)$/;

export function toolEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => TOOL_ENV.test(e[0]) && e[1] !== undefined));
}

/**
 * Runs `bin argv…` without a shell. Resolves on exit 0; throws ToolError on a non-zero exit,
 * ToolTimeoutError on timeout, and an error named 'AbortError' when `signal` aborts.
 */
export async function runTool(bin: string, argv: readonly string[], opts: RunToolOptions = {}): Promise<ToolResult> {
  const { signal, onLine } = opts;
  const displayName = opts.displayName ?? bin.split('/').pop() ?? bin;
  const redact = (line: string) => (opts.redact ? opts.redact(maskSecrets(line)) : maskSecrets(line));
  const graceMs = opts.killGraceMs ?? 5000;
  if (signal?.aborted) throw abortError(signal);
  const notify = (stream: 'stdout' | 'stderr', line: string) => {
    try {
      onLine?.(stream, line);
    } catch {
      // A failing listener must not break the tool run.
    }
  };

  let lease: HeldLease | undefined;
  if (opts.lease) {
    lease = await acquireToolLease({
      ...opts.lease,
      operation: displayName,
      signal,
      killGraceMs: graceMs,
      report: (line) => notify('stderr', redact(line)),
    });
  }
  try {
    return await spawnAndWait(bin, argv, opts, displayName, redact, notify, lease);
  } finally {
    lease?.release();
  }
}

async function spawnAndWait(
  bin: string,
  argv: readonly string[],
  opts: RunToolOptions,
  displayName: string,
  redact: (line: string) => string,
  notify: (stream: 'stdout' | 'stderr', line: string) => void,
  lease: HeldLease | undefined,
): Promise<ToolResult> {
  const { signal, timeoutMs, env, cwd } = opts;
  const graceMs = opts.killGraceMs ?? 5000;
  if (signal?.aborted) throw abortError(signal);

  const child = execa(bin, [...argv], {
    // Only what tools need: the worker's own secrets (TIEM_SECRET_KEY, TIEM_CODEC_KEY…) stay out of
    // /proc/<pid>/environ of tiup, BR and whatever they start. The lease token lets a later attempt
    // find this tool (and what it forks) should the worker die before recording its pgid.
    env: { ...toolEnvironment(process.env), ...env, ...(lease ? { [LEASE_ENV]: lease.token } : {}) },
    extendEnv: false,
    cwd,
    detached: true, // own process group, so the whole tree can be signalled
    stdin: 'ignore', // a prompt must fail fast instead of hanging
    buffer: false,
    reject: false,
  });
  if (lease && child.pid !== undefined) lease.setTool(child.pid); // detached: the pid is the pgid
  const exited = child.then(
    (r) => r,
    (e: unknown) => e,
  );

  const stdoutTail = new Tail(opts.tailLines ?? 50);
  const stderrTail = new Tail(opts.tailLines ?? 50);
  let stdout = '';
  const pump = (stream: Readable | null, name: 'stdout' | 'stderr', tail: Tail) =>
    new Promise<void>((resolve) => {
      if (!stream) return resolve();
      const rl = createInterface({ input: stream, crlfDelay: Infinity });
      rl.on('line', (raw) => {
        const line = redact(raw);
        tail.push(line);
        if (name === 'stdout' && stdout.length < MAX_STDOUT_CHARS) stdout += raw + '\n';
        notify(name, line);
      });
      rl.on('close', resolve);
    });
  const pumps = Promise.all([pump(child.stdout, 'stdout', stdoutTail), pump(child.stderr, 'stderr', stderrTail)]);

  let stopReason: 'abort' | 'timeout' | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (why: 'abort' | 'timeout') => {
    if (stopReason || child.pid === undefined) return;
    stopReason = why;
    stopping = terminateGroup(child.pid, graceMs, exited);
  };
  const onAbort = () => stop('abort');
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = timeoutMs !== undefined && timeoutMs > 0 ? setTimeout(() => stop('timeout'), timeoutMs) : undefined;

  try {
    const result = await child.catch((e: unknown) => e as Awaited<typeof child>);
    await pumps;
    if (stopping) await stopping;
    if (stopReason === 'abort' && signal) throw abortError(signal);
    if (stopReason === 'timeout') {
      throw new ToolTimeoutError(`${displayName} timed out after ${timeoutMs} ms`, stdoutTail.text(), stderrTail.text());
    }
    if (result.failed && result.exitCode === undefined && !result.signal) {
      // Spawn failure (ENOENT, EACCES): execa's message holds the command line, so build our own.
      const code = (result.cause as NodeJS.ErrnoException | undefined)?.code ?? 'spawn error';
      throw new ToolError(`${displayName} could not be started (${code})`, undefined, stdoutTail.text(), stderrTail.text());
    }
    const exitCode = result.exitCode ?? -1;
    if (exitCode !== 0 || result.signal) {
      const toolError = parseTiupErrorLine(stderrTail.text())?.error;
      // tiup and BR end with "Error: …" followed by hints and a debug-log path: the Error line says most.
      const detail =
        toolError ?? lastErrorLine(stderrTail.text()) ?? lastNonEmpty(stderrTail.text()) ?? lastNonEmpty(stdoutTail.text());
      const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${exitCode}`;
      throw new ToolError(
        `${displayName} ${how}${detail ? `: ${detail}` : ''}`,
        result.exitCode,
        stdoutTail.text(),
        stderrTail.text(),
        toolError,
      );
    }
    return { exitCode, stdout, stdoutTail: stdoutTail.text(), stderrTail: stderrTail.text() };
  } finally {
    if (timer) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

function lastErrorLine(text: string): string | undefined {
  const lines = text.split('\n').filter((l) => /^Error: /.test(l.trim()));
  return lines[lines.length - 1]?.trim();
}

function lastNonEmpty(text: string): string | undefined {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines[lines.length - 1]?.trim();
}
