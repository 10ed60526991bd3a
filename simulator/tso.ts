// PD-style timestamp oracle: TSO = (physical ms << 18) + logical, strictly increasing.

const LOGICAL_BITS = 18n;

export class Tso {
  private lastPhysical = 0n;
  private logical = 0n;

  /** Allocates a fresh TSO (strictly greater than every earlier one). */
  next(): bigint {
    const now = BigInt(Date.now());
    if (now > this.lastPhysical) {
      this.lastPhysical = now;
      this.logical = 0n;
    } else {
      this.logical += 1n;
      if (this.logical >= 1n << LOGICAL_BITS) {
        this.lastPhysical += 1n;
        this.logical = 0n;
      }
    }
    return (this.lastPhysical << LOGICAL_BITS) + this.logical;
  }
}

export function tsoFromMs(ms: number): bigint {
  return BigInt(Math.floor(ms)) << LOGICAL_BITS;
}

export function tsoToMs(tso: bigint): number {
  return Number(tso >> LOGICAL_BITS);
}

/** `20261126-07:01:02.123 +0000` — how TiDB prints tikv_gc_safe_point (Go layout "20060102-15:04:05.000 -0700"). */
export function formatGcTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)} +0000`
  );
}

/** ISO-ish time as TiCDC prints checkpoint_time ("2006-01-02 15:04:05.000"). */
export function formatCdcTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** Parses a decimal TSO string; undefined when malformed. */
export function parseTso(s: unknown): bigint | undefined {
  if (typeof s === 'number' && Number.isFinite(s)) return BigInt(Math.floor(s));
  if (typeof s !== 'string' || !/^\d+$/.test(s.trim())) return undefined;
  return BigInt(s.trim());
}
