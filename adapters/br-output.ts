// Pure parsers of BR output (tidb-tooling.md §A.2). BR logs zap-style `[key=value]` fields; values
// with spaces are quoted.
import type { BrProgressLine } from './types.js';

// TiDB Operator's ParseRestoreProgress regex, with the quotes around the step made optional
// (zap leaves single-word values such as Checksum unquoted).
const PROGRESS_LOG = /\[progress\] \[step=(?:"((?:[^"\\]|\\.)*)"|([^\]]*))\] \[progress=([0-9.]+)%\]/;
// Terminal-style bar, e.g. `Full Backup <-------/.........> 42.10%`.
const PROGRESS_BAR = /^\s*([A-Za-z][A-Za-z0-9 _-]*?)\s+<[^<>]*>\s+([0-9.]+)%/;

export function parseBrProgress(line: string): BrProgressLine | undefined {
  const log = PROGRESS_LOG.exec(line);
  if (log) {
    const percent = Number.parseFloat(log[3]);
    if (Number.isFinite(percent)) return { step: (log[1] ?? log[2]).replace(/\\(.)/g, '$1'), percent };
  }
  const bar = PROGRESS_BAR.exec(line);
  if (bar) {
    const percent = Number.parseFloat(bar[2]);
    if (Number.isFinite(percent)) return { step: bar[1].trim(), percent };
  }
  return undefined;
}

export interface BrSummary {
  kind: 'backup' | 'restore';
  /** TSO as a decimal string, when the summary carries BackupTS. */
  backupTs?: string;
  /** `Size`, else `total-kv-size`, else the after-compressed data size, in bytes. */
  sizeBytes?: number;
  fields: Record<string, string>;
  line: string;
}

// zap quotes messages with spaces: `["Full Backup success summary"]`; the docs show it unquoted.
const SUMMARY = /\["?Full (Backup|Restore) success summary"?\]/;
const FIELD = /\["?([^\]\s="]+)"?=("(?:[^"\\]|\\.)*"|[^\]]*)\]/g;

/** `[Full Backup success summary] … [BackupTS=…] … [Size=…]` / `[Full Restore success summary] …`. */
export function parseBrSummary(line: string): BrSummary | undefined {
  const m = SUMMARY.exec(line);
  if (!m) return undefined;
  const fields: Record<string, string> = {};
  for (const f of line.slice(m.index + m[0].length).matchAll(FIELD)) {
    const raw = f[2];
    fields[f[1]] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
  }
  const ts = fields['BackupTS'] ?? fields['backup-ts'];
  const sizeField = ['Size', 'total-kv-size', 'backup-data-size(after-compressed)', 'restore-data-size(after-compressed)']
    .map((k) => fields[k])
    .find((v) => v !== undefined && parseByteSize(v) !== undefined);
  return {
    kind: m[1] === 'Backup' ? 'backup' : 'restore',
    backupTs: ts && /^\d+$/.test(ts) ? ts : undefined,
    sizeBytes: sizeField !== undefined ? parseByteSize(sizeField) : undefined,
    fields,
    line,
  };
}

const UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12, p: 1e15, pb: 1e15,
  kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40, pib: 2 ** 50,
};

/**
 * "123456" → 123456; "1.2GB" → 1.2e9 (decimal units, as go-units HumanSize prints them);
 * "512MiB" → 512·2^20. Undefined when it is not a size.
 */
export function parseByteSize(text: string): number | undefined {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) return undefined;
  const factor = UNITS[m[2].toLowerCase()];
  if (factor === undefined) return undefined;
  return Math.round(Number.parseFloat(m[1]) * factor);
}

/** A storage URI without its query string (S3 keys) or user info, for messages and logs. */
export function maskStorageUri(uri: string): string {
  return uri.replace(/\?.*$/s, '?***').replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@');
}
