import { describe, expect, it } from '@jest/globals';
import { ZERO_TIME, type WorkflowDetail } from '../../client/api-types.js';
import {
  brLine,
  formatBytes,
  formatDuration,
  formatRate,
  nodeLine,
  plainUpdate,
  progressBar,
  redraw,
  renderFrame,
  toWatchState,
  type WatchState,
} from '../../client/watch-render.js';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const GiB = 1024 ** 3;
const ESC = '\x1b';

function state(over: Partial<WatchState> = {}): WatchState {
  return {
    workFlowId: 'clone-ABC',
    flowName: 'CloneCluster',
    clusterId: 'ABC',
    status: 'Processing',
    compensationErrors: [],
    nodes: [
      { name: 'startMaintenance', state: 'done', startTime: at(0), endTime: at(0.4), result: ['source BeingCloned, target Cloning'] },
      { name: 'backupSourceCluster', state: 'running', startTime: at(1), result: [], br: { step: 'Full Backup', percent: 48, bytes: 2 * GiB, totalBytes: 4 * GiB } },
      { name: 'deployCluster', state: 'pending', result: [] },
      { name: 'syncIncrData', state: 'skipped', result: [] },
    ],
    ...over,
  };
}

describe('formatting', () => {
  it('formats bytes in binary units and rates per second', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(2 * GiB)).toBe('2.0 GiB');
    expect(formatRate(100 * 1024 * 1024)).toBe('100.0 MiB/s');
  });

  it('formats durations as seconds, minutes or hours', () => {
    expect(formatDuration(400)).toBe('0.4s');
    expect(formatDuration(59_949)).toBe('59.9s');
    expect(formatDuration(245_000)).toBe('4m05s');
    expect(formatDuration(2 * 3600_000 + 3 * 60_000)).toBe('2h03m');
    expect(formatDuration(-5)).toBe('0.0s');
  });

  it('draws a bar of exactly the requested width, clamped to 0–100 %', () => {
    expect(progressBar(50, 10)).toBe('[█████░░░░░]');
    expect(progressBar(0, 4)).toBe('[░░░░]');
    expect(progressBar(130, 4)).toBe('[████]');
    for (const p of [0, 12.5, 33, 99.9, 100]) expect([...progressBar(p, 24)].length).toBe(26);
  });
});

describe('step lines', () => {
  it('shows mark, name, state, duration and the last result line', () => {
    expect(nodeLine(state().nodes[0], T0 + 10_000)).toBe('  ✓ startMaintenance             done           0.4s  source BeingCloned, target Cloning');
  });

  it('shows the time so far of a running step and no result line', () => {
    expect(nodeLine(state().nodes[1], T0 + 11_000)).toBe('  ▶ backupSourceCluster          running       10.0s');
  });

  it('the BR line carries bar, percent, bytes and the average rate since the step started', () => {
    // 2 GiB in 10 s since the start → 204.8 MiB/s
    expect(brLine(state().nodes[1], T0 + 11_000, 10)).toBe('      [█████░░░░░]  48.0%  2.0 GiB / 4.0 GiB  204.8 MiB/s  Full Backup');
  });

  it("prefers BR's own speed when reported", () => {
    const n = { ...state().nodes[1], br: { step: 'Full Restore', percent: 5, bytes: 1024, speedBytesPerSec: 3 * 1024 * 1024 } };
    expect(brLine(n, T0 + 11_000, 10)).toBe('      [█░░░░░░░░░]   5.0%  1.0 KiB  3.0 MiB/s  Full Restore');
  });
});

describe('frames', () => {
  it('plain frames carry no escape codes', () => {
    const lines = renderFrame(state(), { tty: false, now: T0 + 11_000 });
    expect(lines.join('\n')).not.toContain(ESC);
    expect(lines).toEqual([
      'CloneCluster clone-ABC → cluster ABC',
      '  ✓ startMaintenance             done           0.4s  source BeingCloned, target Cloning',
      '  ▶ backupSourceCluster          running       10.0s',
      '      [████████████░░░░░░░░░░░░]  48.0%  2.0 GiB / 4.0 GiB  204.8 MiB/s  Full Backup',
      '  · deployCluster                pending',
      '  - syncIncrData                 skipped',
    ]);
  });

  it('TTY frames highlight only the current step (and dim pending ones)', () => {
    const lines = renderFrame(state(), { tty: true, now: T0 + 11_000 });
    expect(lines[2]).toBe(`${ESC}[1;36m  ▶ backupSourceCluster          running       10.0s${ESC}[0m`);
    expect(lines[1]).not.toContain(ESC); // a done step is not highlighted
    expect(lines[4]).toBe(`${ESC}[2m  · deployCluster                pending${ESC}[0m`);
    expect(lines.filter((l) => l.includes('[1;36m'))).toHaveLength(1);
  });

  it('TTY frames clip lines to the terminal width so the redraw stays aligned', () => {
    const lines = renderFrame(state(), { tty: true, now: T0 + 11_000, columns: 30 });
    expect(lines[1]).toBe('  ✓ startMaintenance         …');
    expect([...lines[1]].length).toBe(30);
    expect([...lines[3]].length).toBe(30);
  });

  it('an ended workflow shows the status and the TiEM error code', () => {
    const s = state({ status: 'Error', error: { code: 21399, message: 'version mismatch' }, compensationErrors: ['recoverSourceClusterGCTime: timeout'] });
    const lines = renderFrame(s, { tty: false, now: T0 });
    expect(lines.slice(-2)).toEqual(['clone-ABC: Error  error [21399]: version mismatch', '  cleanup error: recoverSourceClusterGCTime: timeout']);
  });

  it('redraw moves the cursor up over the previous frame and clears every line', () => {
    expect(redraw(0, ['a', 'b'])).toBe(`\r${ESC}[2Ka\n\r${ESC}[2Kb\n`);
    expect(redraw(2, ['c'])).toBe(`${ESC}[2A\r${ESC}[2Kc\n\r${ESC}[2K\n${ESC}[1A`);
  });
});

describe('plain updates', () => {
  it('appends one line per state change and BR progress per 10 %, then the ending once', () => {
    const seen = new Map<string, string>();
    const s1 = state();
    expect(plainUpdate(s1, seen, T0 + 11_000)).toEqual([
      'CloneCluster clone-ABC → cluster ABC',
      '  ✓ startMaintenance             done           0.4s  source BeingCloned, target Cloning',
      '  ▶ backupSourceCluster          running       10.0s',
      '  - syncIncrData                 skipped',
    ]);
    // nothing changed → nothing printed
    expect(plainUpdate(s1, seen, T0 + 12_000)).toEqual([]);
    // 48 % → 49 %: same decile, quiet; 52 %: a bar line
    const n49 = state();
    n49.nodes[1].br!.percent = 49;
    expect(plainUpdate(n49, seen, T0 + 12_000)).toEqual([]);
    const n52 = state();
    n52.nodes[1].br = { step: 'Full Backup', percent: 52, bytes: 2 * GiB, totalBytes: 4 * GiB };
    expect(plainUpdate(n52, seen, T0 + 11_000)).toEqual(['  ▶ backupSourceCluster          [████████████░░░░░░░░░░░░]  52.0%  2.0 GiB / 4.0 GiB  204.8 MiB/s  Full Backup']);
    // compensation and the end
    const ended = state({ status: 'Canceled' });
    ended.nodes[1] = { name: 'backupSourceCluster', state: 'failed', startTime: at(1), endTime: at(3), result: ['canceled'] };
    ended.nodes[0] = { ...ended.nodes[0], state: 'compensated', result: ['maintenance cleared'] };
    const lines = plainUpdate(ended, seen, T0 + 20_000);
    expect(lines).toEqual([
      '  ↺ startMaintenance             compensated    0.4s  maintenance cleared',
      '  ✗ backupSourceCluster          failed         2.0s  canceled',
      'clone-ABC: Canceled',
    ]);
    expect(plainUpdate(ended, seen, T0 + 21_000)).toEqual([]);
  });
});

describe('toWatchState', () => {
  const base: WorkflowDetail = {
    info: { id: 'delete-X', name: 'DeleteCluster', bizId: 'X', bizType: 'cluster', status: 'Error', createTime: at(0), updateTime: at(5), deleteTime: ZERO_TIME, errorCode: 20114, errorMessage: 'locked' },
    nodes: [
      { id: 'delete-X/destroyCluster', name: 'destroyCluster', parameters: '', status: 'Error', result: 'line 1\nline 2', startTime: at(0), endTime: at(5) },
      { id: 'delete-X/restore', name: 'restore', parameters: '', status: 'Processing', result: '', startTime: at(1), endTime: ZERO_TIME, progress: { step: 'Full Restore', percent: 10 } },
      { id: 'delete-X/end', name: 'end', parameters: '', status: 'Initializing', result: '', startTime: ZERO_TIME, endTime: ZERO_TIME },
    ],
    nodeNames: ['destroyCluster', 'restore', 'end'],
  };

  it("maps TiEM's node statuses when there is no raw progress", () => {
    const s = toWatchState(base);
    expect(s.nodes.map((n) => n.state)).toEqual(['failed', 'running', 'pending']);
    expect(s.nodes[0].result).toEqual(['line 1', 'line 2']);
    expect(s.nodes[1].br?.percent).toBe(10);
    expect(s.error).toEqual({ code: 20114, message: 'locked' });
    expect(s.clusterId).toBe('X');
  });

  it('uses the raw progress when the API includes it', () => {
    const s = toWatchState({
      ...base,
      progress: {
        workflowId: 'delete-X', sourceClusterId: 'S', targetClusterId: 'X', strategy: 'Snapshot', status: 'Failed',
        nodes: [{ name: 'prepareResource', status: 'compensated', result: ['released'] }],
        compensationErrors: ['boom'],
      },
    });
    expect(s.nodes).toEqual([{ name: 'prepareResource', state: 'compensated', result: ['released'], startTime: undefined, endTime: undefined, br: undefined }]);
    expect(s.compensationErrors).toEqual(['boom']);
  });
});
