// Prints step progress as lines: one line when a step starts, ends, fails, is skipped or is
// compensated, and BR progress every 10 %. Shared by `tiem clone` and the demo.
import type { CloneProgress, ProgressNode } from '../domain/types.js';

const mark: Record<ProgressNode['status'], string> = {
  pending: ' ',
  running: '▶',
  done: '✓',
  skipped: '-',
  failed: '✗',
  compensating: '⟳',
  compensated: '↺',
};

function seconds(n: ProgressNode): string {
  if (!n.startTime || !n.endTime) return '';
  return ` (${((Date.parse(n.endTime) - Date.parse(n.startTime)) / 1000).toFixed(1)}s)`;
}

function bytes(n?: number): string {
  if (n === undefined) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

export function createProgressPrinter(write: (line: string) => void = (l) => console.log(l)) {
  const seen = new Map<string, string>();
  return (p: CloneProgress): void => {
    for (const n of p.nodes) {
      const br = n.br ? Math.floor(n.br.percent / 10) : -1;
      const key = `${n.status}|${br}|${n.result.length}|${n.lastError ?? ''}`;
      if (seen.get(n.name) === key) continue;
      const prev = seen.get(n.name);
      seen.set(n.name, key);
      if (n.status === 'pending') continue;
      if (n.status === 'running' && n.br && prev?.startsWith('running')) {
        const total = n.br.totalBytes ? ` ${bytes(n.br.bytes)} / ${bytes(n.br.totalBytes)}` : '';
        write(`  ${mark.running} ${n.name.padEnd(28)} ${n.br.step} ${n.br.percent.toFixed(1)}%${total}`);
        continue;
      }
      const last = n.status === 'compensating' ? `retrying: ${n.lastError ?? ''}` : n.status === 'running' ? '' : n.result.at(-1);
      write(`  ${mark[n.status]} ${n.name.padEnd(28)} ${n.status}${seconds(n)}${last ? `  ${last}` : ''}`);
    }
    if (p.status !== 'Running' && !seen.has(`__end`)) {
      seen.set('__end', p.status);
      write(`clone ${p.workflowId}: ${p.status}${p.error ? ` [${p.error.code}] ${p.error.message}` : ''}`);
      for (const e of p.compensationErrors) write(`  cleanup error: ${e}`);
    }
  };
}
