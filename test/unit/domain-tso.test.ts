import { describe, expect, it } from '@jest/globals';
import { compareTso, isValidTso, tsoFromPhysicalMs, tsoLagMs, tsoLogical, tsoPhysicalMs } from '../../domain/tso.js';

// A real TSO: 2024-01-01T00:00:00.000Z with logical 5.
const MS = Date.UTC(2024, 0, 1);
const TSO = (BigInt(MS) * 262144n + 5n).toString();

describe('tso', () => {
  it('extracts the physical milliseconds without precision loss', () => {
    expect(TSO).toBe('446710992076800005');
    expect(Number(TSO) > Number.MAX_SAFE_INTEGER).toBe(true);
    expect(tsoPhysicalMs(TSO)).toBe(MS);
    expect(tsoLogical(TSO)).toBe(5);
  });

  it('builds a TSO from physical ms with logical 0', () => {
    const t = tsoFromPhysicalMs(MS);
    expect(t).toBe('446710992076800000');
    expect(tsoPhysicalMs(t)).toBe(MS);
    expect(tsoLogical(t)).toBe(0);
  });

  it('compares TSOs that differ only in the last digit (beyond double precision)', () => {
    expect(compareTso('446710992076800005', '446710992076800004')).toBe(1);
    expect(compareTso('446710992076800004', '446710992076800005')).toBe(-1);
    expect(compareTso(TSO, TSO)).toBe(0);
    expect(compareTso('99', '100')).toBe(-1);
  });

  it('measures lag between two TSOs in ms, never negative', () => {
    const ahead = tsoFromPhysicalMs(MS + 90_000);
    expect(tsoLagMs(ahead, TSO)).toBe(90_000);
    expect(tsoLagMs(TSO, ahead)).toBe(0);
  });

  it('rejects non-decimal input', () => {
    expect(isValidTso('12a')).toBe(false);
    expect(isValidTso('446710992076800005')).toBe(true);
    expect(() => tsoPhysicalMs('-1')).toThrow(/invalid TSO/);
    expect(() => compareTso('1.5', '2')).toThrow(/invalid TSO/);
    expect(() => tsoFromPhysicalMs(-1)).toThrow();
    expect(() => tsoFromPhysicalMs(1.5)).toThrow();
  });
});
