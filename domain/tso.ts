// PD TSO arithmetic on decimal strings: physical milliseconds << 18 | logical counter.
// TSOs exceed 2^53, so they travel as strings and are computed with BigInt (available in the
// workflow sandbox's V8). Pure module: imported by workflow code.

const LOGICAL_BITS = 18n;
const DECIMAL = /^\d+$/;

function toBig(tso: string): bigint {
  if (typeof tso !== 'string' || !DECIMAL.test(tso)) throw new Error(`invalid TSO "${String(tso)}"`);
  return BigInt(tso);
}

export function isValidTso(tso: string): boolean {
  return typeof tso === 'string' && DECIMAL.test(tso);
}

/** Physical part of a TSO: Unix milliseconds. */
export function tsoPhysicalMs(tso: string): number {
  return Number(toBig(tso) >> LOGICAL_BITS);
}

/** Logical counter of a TSO (low 18 bits). */
export function tsoLogical(tso: string): number {
  return Number(toBig(tso) & ((1n << LOGICAL_BITS) - 1n));
}

/** TSO with the given physical milliseconds and logical 0. */
export function tsoFromPhysicalMs(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new Error(`invalid physical time ${ms}`);
  return (BigInt(ms) << LOGICAL_BITS).toString();
}

export function compareTso(a: string, b: string): -1 | 0 | 1 {
  const x = toBig(a);
  const y = toBig(b);
  return x === y ? 0 : x < y ? -1 : 1;
}

/** How far `behind` (e.g. a changefeed checkpoint) trails `ahead` (the source's current TSO), in ms; ≥ 0. */
export function tsoLagMs(ahead: string, behind: string): number {
  return Math.max(0, tsoPhysicalMs(ahead) - tsoPhysicalMs(behind));
}
