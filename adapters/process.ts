// Runs an external tool (tiup, br) as an argv array in its own process group, streams its output
// line by line, and on cancellation or timeout kills the whole group: `tiup` forks the component
// binary, so killing only the direct child would leave BR or tiup-cluster running.
import { execa } from 'execa';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
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

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const err = new Error(reason instanceof Error ? reason.message : 'The operation was aborted', { cause: reason });
  err.name = 'AbortError';
  return err;
}

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

/** Whether any live (non-zombie) process remains in process group `pgid`. */
function groupAlive(pgid: number): boolean {
  if (process.platform === 'linux') {
    // kill(-pgid, 0) also succeeds for zombies that an init without reaping keeps around: scan /proc.
    try {
      for (const entry of readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        let stat: string;
        try {
          stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        } catch {
          continue; // exited meanwhile
        }
        // Fields after the parenthesised command: state ppid pgrp …
        const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
      }
      return false;
    } catch {
      // no /proc: fall through
    }
  }
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    // EPERM means something still exists in the group that we cannot signal.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // ESRCH: the group is already gone.
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** SIGTERM the group, wait for it to drain, SIGKILL whatever is left after the grace period. */
async function terminateGroup(pid: number, exited: Promise<unknown>, graceMs: number): Promise<void> {
  killGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  await Promise.race([exited, sleep(graceMs)]);
  // The leader may be gone while grandchildren that ignore SIGTERM linger in the group.
  while (groupAlive(pid) && Date.now() < deadline) await sleep(50);
  if (groupAlive(pid)) killGroup(pid, 'SIGKILL');
  await exited;
  for (let i = 0; i < 40 && groupAlive(pid); i++) await sleep(25);
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
  const { signal, onLine, timeoutMs, env, cwd } = opts;
  const displayName = opts.displayName ?? bin.split('/').pop() ?? bin;
  const redact = (line: string) => (opts.redact ? opts.redact(maskSecrets(line)) : maskSecrets(line));
  const graceMs = opts.killGraceMs ?? 5000;
  if (signal?.aborted) throw abortError(signal);

  const child = execa(bin, [...argv], {
    // Only what tools need: the worker's own secrets (TIEM_SECRET_KEY, TIEM_CODEC_KEY…) stay out of
    // /proc/<pid>/environ of tiup, BR and whatever they start.
    env: { ...toolEnvironment(process.env), ...env },
    extendEnv: false,
    cwd,
    detached: true, // own process group, so the whole tree can be signalled
    stdin: 'ignore', // a prompt must fail fast instead of hanging
    buffer: false,
    reject: false,
  });
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
        try {
          onLine?.(name, line);
        } catch {
          // A failing listener must not break the tool run.
        }
      });
      rl.on('close', resolve);
    });
  const pumps = Promise.all([pump(child.stdout, 'stdout', stdoutTail), pump(child.stderr, 'stderr', stderrTail)]);

  let stopReason: 'abort' | 'timeout' | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (why: 'abort' | 'timeout') => {
    if (stopReason || child.pid === undefined) return;
    stopReason = why;
    stopping = terminateGroup(child.pid, exited, graceMs);
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
