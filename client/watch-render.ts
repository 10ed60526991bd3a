// The `tiem watch` view as pure functions: an API workflow detail → a view state → lines.
// Two modes: on a terminal the whole node list is redrawn in place (ANSI cursor up + clear line,
// the running step highlighted); otherwise only changes are appended as plain lines, so logs and
// CI output stay readable. No I/O here: the CLI owns timing and writing.
import { ZERO_TIME, type WorkflowDetail, type WorkflowNodeInfo } from './api-types.js';
import type { NodeStatus } from '../domain/types.js';

export interface ViewNode {
  name: string;
  state: NodeStatus;
  startTime?: string;
  endTime?: string;
  result: string[];
  br?: { step: string; percent: number; bytes?: number; totalBytes?: number; speedBytesPerSec?: number };
  lastError?: string;
}

export interface WatchState {
  workFlowId: string;
  flowName: string;
  clusterId: string;
  status: WorkflowDetail['info']['status'];
  error?: { code: number; message: string };
  nodes: ViewNode[];
  compensationErrors: string[];
}

const fromWire: Record<WorkflowNodeInfo['status'], NodeStatus> = {
  Initializing: 'pending',
  Processing: 'running',
  Finished: 'done',
  Error: 'failed',
  Skipped: 'skipped',
  Compensated: 'compensated',
};

/** Prefers the raw progress (exact node states, BR speed); falls back to TiEM's nodes. */
export function toWatchState(d: WorkflowDetail): WatchState {
  const p = d.progress;
  const nodes: ViewNode[] = p
    ? p.nodes.map((n) => ({ name: n.name, state: n.status, startTime: n.startTime, endTime: n.endTime, result: n.result, br: n.br, lastError: n.lastError }))
    : d.nodes.map((n) => ({
        name: n.name,
        state: fromWire[n.status] ?? 'pending',
        startTime: n.startTime === ZERO_TIME ? undefined : n.startTime,
        endTime: n.endTime === ZERO_TIME ? undefined : n.endTime,
        result: n.result ? n.result.split('\n').filter(Boolean) : [],
        br: n.progress,
      }));
  const error = d.info.errorCode ? { code: d.info.errorCode, message: d.info.errorMessage ?? '' } : p?.error;
  return {
    workFlowId: d.info.id,
    flowName: d.info.name,
    clusterId: d.info.bizId,
    status: d.info.status,
    error,
    nodes,
    compensationErrors: p?.compensationErrors ?? [],
  };
}

export function isEnded(s: Pick<WatchState, 'status'>): boolean {
  return s.status !== 'Processing' && s.status !== 'Stopped';
}

// ── formatting ───────────────────────────────────────────────────────────────────────────────

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

export function formatRate(bytesPerSec: number): string {
  return `${formatBytes(Math.round(bytesPerSec))}/s`;
}

/** 0.4s · 12.3s · 4m05s · 2h03m */
export function formatDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** `[██████░░░░░░░░░░░░░░]`: `width` cells between the brackets, filled by percent (clamped). */
export function progressBar(percent: number, width = 20): string {
  const filled = Math.round((Math.min(100, Math.max(0, percent)) / 100) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
}

const mark: Record<NodeStatus, string> = { pending: '·', running: '▶', done: '✓', skipped: '-', failed: '✗', compensating: '⟳', compensated: '↺' };

const ansi = {
  current: (s: string) => `\x1b[1;36m${s}\x1b[0m`,
  failed: (s: string) => `\x1b[31m${s}\x1b[0m`,
  done: (s: string) => `\x1b[32m${s}\x1b[0m`,
  compensated: (s: string) => `\x1b[33m${s}\x1b[0m`,
  dim: (s: string) => `\x1b[2m${s}\x1b[0m`,
};

function elapsedMs(n: ViewNode, now: number): number | undefined {
  if (!n.startTime) return undefined;
  const end = n.endTime ? Date.parse(n.endTime) : now;
  return end - Date.parse(n.startTime);
}

/** Bytes per second: BR's reported speed, else the average since the step started. */
export function brRate(n: ViewNode, now: number): number | undefined {
  if (!n.br) return undefined;
  if (n.br.speedBytesPerSec) return n.br.speedBytesPerSec;
  const ms = elapsedMs(n, now);
  return n.br.bytes !== undefined && ms && ms > 0 ? (n.br.bytes * 1000) / ms : undefined;
}

/** The step line: mark, name, state, duration (running: so far), last result line. */
export function nodeLine(n: ViewNode, now: number): string {
  const ms = elapsedMs(n, now);
  const duration = ms === undefined || n.state === 'pending' || n.state === 'skipped' ? '' : formatDuration(ms);
  const last = n.state === 'compensating' ? `retrying: ${n.lastError ?? ''}` : n.state === 'running' ? '' : (n.result.at(-1) ?? '');
  return `  ${mark[n.state]} ${n.name.padEnd(28)} ${n.state.padEnd(11)} ${duration.padStart(7)}${last ? `  ${last}` : ''}`.trimEnd();
}

/** The BR line under a running backup/restore: bar, percent, bytes, rate, BR's step. */
export function brLine(n: ViewNode, now: number, barWidth = 24): string | undefined {
  if (!n.br) return undefined;
  const { step, percent, bytes, totalBytes } = n.br;
  const size = bytes !== undefined ? `  ${formatBytes(bytes)}${totalBytes ? ` / ${formatBytes(totalBytes)}` : ''}` : '';
  const rate = brRate(n, now);
  return `      ${progressBar(percent, barWidth)} ${percent.toFixed(1).padStart(5)}%${size}${rate ? `  ${formatRate(rate)}` : ''}  ${step}`;
}

export function headerLine(s: WatchState): string {
  return `${s.flowName} ${s.workFlowId} → cluster ${s.clusterId}`;
}

export function endLines(s: WatchState): string[] {
  const lines = [`${s.workFlowId}: ${s.status}${s.error ? `  error [${s.error.code}]: ${s.error.message}` : ''}`];
  for (const e of s.compensationErrors) lines.push(`  cleanup error: ${e}`);
  return lines;
}

function clip(line: string, columns?: number): string {
  return columns && [...line].length > columns ? `${[...line].slice(0, columns - 1).join('')}…` : line;
}

function paint(n: ViewNode, line: string): string {
  switch (n.state) {
    case 'running':
      return ansi.current(line);
    case 'failed':
      return ansi.failed(line);
    case 'compensating':
    case 'compensated':
      return ansi.compensated(line);
    case 'pending':
    case 'skipped':
      return ansi.dim(line);
    default:
      return line;
  }
}

/**
 * A full frame: header, every node, BR bar under running backup/restore, the ending. With `tty`
 * the current step is highlighted and lines are clipped to `columns` (a wrapped line would break
 * the cursor-up redraw); without it the lines carry no escape codes.
 */
export function renderFrame(s: WatchState, opts: { tty: boolean; now: number; columns?: number }): string[] {
  const out: string[] = [headerLine(s)];
  for (const n of s.nodes) {
    const line = clip(nodeLine(n, opts.now), opts.tty ? opts.columns : undefined);
    out.push(opts.tty ? paint(n, line) : line);
    const bar = n.state === 'running' ? brLine(n, opts.now) : undefined;
    if (bar) out.push(clip(bar, opts.tty ? opts.columns : undefined));
  }
  if (isEnded(s)) out.push(...endLines(s).map((l) => (opts.tty && s.status !== 'Finished' ? ansi.failed(l) : l)));
  return out;
}

/** ANSI to replace the previous frame of `previousLines` lines with `lines`. */
export function redraw(previousLines: number, lines: string[]): string {
  let out = previousLines > 0 ? `\x1b[${previousLines}A` : '';
  for (const l of lines) out += `\r\x1b[2K${l}\n`;
  // the new frame is shorter: clear what is left of the old one, then come back up
  const extra = previousLines - lines.length;
  if (extra > 0) out += `${'\r\x1b[2K\n'.repeat(extra)}\x1b[${extra}A`;
  return out;
}

/**
 * Plain mode: the lines to append for this state given what was printed before (`seen` is
 * updated). One line when a step changes state, BR progress every 10 %, the ending once.
 */
export function plainUpdate(s: WatchState, seen: Map<string, string>, now: number): string[] {
  const out: string[] = [];
  if (!seen.has('__header')) {
    seen.set('__header', '1');
    out.push(headerLine(s));
  }
  for (const n of s.nodes) {
    const decile = n.br && n.state === 'running' ? Math.floor(n.br.percent / 10) : -1;
    const key = `${n.state}|${decile}|${n.result.length}`;
    const prev = seen.get(n.name);
    if (prev === key) continue;
    seen.set(n.name, key);
    if (n.state === 'pending') continue;
    if (n.state === 'running' && prev?.startsWith('running|')) {
      const bar = brLine(n, now);
      if (bar) out.push(`  ${mark.running} ${n.name.padEnd(28)}${bar.trimStart() ? ` ${bar.trimStart()}` : ''}`);
      continue;
    }
    out.push(nodeLine(n, now));
  }
  if (isEnded(s) && !seen.has('__end')) {
    seen.set('__end', s.status);
    out.push(...endLines(s));
  }
  return out;
}
