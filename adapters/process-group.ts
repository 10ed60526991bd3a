// Process-group helpers shared by runTool (killing its own tool on cancel/timeout) and the tool
// lease (killing a tool orphaned by a crashed worker): liveness without zombies, SIGTERM→SIGKILL.
import { readdirSync, readFileSync } from 'node:fs';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The error runTool throws when its signal aborts: the abort reason when it is an AbortError, else a new one. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const err = new Error(reason instanceof Error ? reason.message : 'The operation was aborted', { cause: reason });
  err.name = 'AbortError';
  return err;
}

export interface ProcStat {
  state: string;
  pgrp: number;
  /** Clock ticks after boot at which the process started: tells a reused pid from the original one. */
  startTime: number;
}

/** /proc/<pid>/stat, or undefined when there is no such process (or no /proc). */
export function procStat(pid: number): ProcStat | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the parenthesised command: state ppid pgrp session tty_nr tpgid flags minflt
  // cminflt majflt cmajflt utime stime cutime cstime priority nice num_threads itrealvalue starttime …
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: f[0], pgrp: Number(f[2]), startTime: Number(f[19]) };
}

export const isZombie = (s: ProcStat) => s.state === 'Z' || s.state === 'X';

/** Whether any live (non-zombie) process remains in process group `pgid`. */
export function groupAlive(pgid: number): boolean {
  if (process.platform === 'linux') {
    // kill(-pgid, 0) also succeeds for zombies that an init without reaping keeps around: scan /proc.
    try {
      for (const entry of readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        const s = procStat(Number(entry)); // undefined: exited meanwhile
        if (s && s.pgrp === pgid && !isZombie(s)) return true;
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

export function killGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * SIGTERM the group, wait for it to drain, SIGKILL whatever is left after the grace period.
 * `exited` is the leader's exit when it is our child; an orphan's group is polled instead.
 */
export async function terminateGroup(pgid: number, graceMs: number, exited?: Promise<unknown>): Promise<void> {
  killGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  if (exited) await Promise.race([exited, sleep(graceMs)]);
  // The leader may be gone while grandchildren that ignore SIGTERM linger in the group.
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(50);
  if (groupAlive(pgid)) killGroup(pgid, 'SIGKILL');
  if (exited) await exited;
  for (let i = 0; i < 40 && groupAlive(pgid); i++) await sleep(25);
}
