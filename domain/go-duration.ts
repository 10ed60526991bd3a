// Go time.Duration text, as TiDB prints tidb_gc_life_time ("10m0s", "720h0m0s").
// Pure module: imported by workflow code.

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5 micro sign
  'μs': 1e-3, // U+03BC Greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const TERM = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;

/** Parses Go duration syntax (time.ParseDuration) to milliseconds. Throws on invalid text. */
export function parseGoDuration(text: string): number {
  if (typeof text !== 'string') throw new Error(`invalid duration ${String(text)}`);
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new Error(`invalid duration "${text}"`);
  let total = 0;
  while (rest !== '') {
    const m = TERM.exec(rest);
    // A term needs digits before or after the dot.
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) throw new Error(`invalid duration "${text}"`);
    const value = Number(`${m[1] || '0'}.${m[2] ?? ''}0`);
    total += value * UNIT_MS[m[3]];
    rest = rest.slice(m[0].length);
  }
  if (!Number.isFinite(total)) throw new Error(`invalid duration "${text}"`);
  // Avoid float noise such as 0.30000000000000004 from fractional terms.
  return sign * Number(total.toPrecision(15));
}

function trimFraction(digits: string): string {
  const t = digits.replace(/0+$/, '');
  return t === '' ? '' : `.${t}`;
}

/** Formats milliseconds like Go's Duration.String(): 600000 → "10m0s", 500 → "500ms", 0 → "0s". */
export function formatGoDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new Error(`invalid duration ${ms}`);
  if (ms === 0) return '0s';
  const neg = ms < 0;
  const abs = Math.abs(ms);
  const sign = neg ? '-' : '';
  // Whole milliseconds and the nanoseconds below them, kept apart to stay exact for large values.
  const wholeMs = Math.floor(abs);
  const subNs = Math.round((abs - wholeMs) * 1e6);
  if (wholeMs < 1000) {
    const ns = wholeMs * 1e6 + subNs;
    if (ns < 1000) return `${sign}${ns}ns`;
    if (ns < 1e6) return `${sign}${Math.floor(ns / 1000)}${trimFraction(String(ns % 1000).padStart(3, '0'))}µs`;
    return `${sign}${Math.floor(ns / 1e6)}${trimFraction(String(ns % 1e6).padStart(6, '0'))}ms`;
  }
  const hours = Math.floor(wholeMs / 3_600_000);
  const minutes = Math.floor((wholeMs % 3_600_000) / 60_000);
  const seconds = Math.floor((wholeMs % 60_000) / 1000);
  const fraction = trimFraction(String(wholeMs % 1000).padStart(3, '0') + String(subNs).padStart(6, '0'));
  const s = `${seconds}${fraction}s`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${s}`;
  if (minutes > 0) return `${sign}${minutes}m${s}`;
  return `${sign}${s}`;
}
