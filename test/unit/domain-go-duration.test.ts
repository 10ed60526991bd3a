import { describe, expect, it } from '@jest/globals';
import { formatGoDuration, parseGoDuration } from '../../domain/go-duration.js';

describe('parseGoDuration', () => {
  it.each([
    ['10m0s', 600_000],
    ['10m', 600_000],
    ['720h', 2_592_000_000],
    ['720h0m0s', 2_592_000_000],
    ['1h30m', 5_400_000],
    ['24h0m0s', 86_400_000],
    ['500ms', 500],
    ['1.5s', 1500],
    ['.5s', 500],
    ['5.s', 5000],
    ['1h0.5m', 3_630_000],
    ['8760h0m0s', 31_536_000_000],
    ['0', 0],
    ['0s', 0],
    ['-1m', -60_000],
    ['+2s', 2000],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['2000000ns', 2],
    ['1m30s500ms', 90_500],
  ])('%s → %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it.each(['', '10', '1x', 'm', '.s', '10m0', '1h 30m', 'h1', '--1s', 'abc', '1.2.3s'])('rejects %p', (text) => {
    expect(() => parseGoDuration(text)).toThrow(/invalid duration/);
  });
});

describe('formatGoDuration', () => {
  it.each([
    [600_000, '10m0s'],
    [2_592_000_000, '720h0m0s'],
    [5_400_000, '1h30m0s'],
    [86_400_000, '24h0m0s'],
    [500, '500ms'],
    [1500, '1.5s'],
    [61_001, '1m1.001s'],
    [0, '0s'],
    [-60_000, '-1m0s'],
    [1.5, '1.5ms'],
    [0.002, '2µs'],
    [0.000001, '1ns'],
    [31_536_000_000, '8760h0m0s'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatGoDuration(ms)).toBe(text);
  });

  it('round-trips what TiDB prints', () => {
    for (const t of ['10m0s', '720h0m0s', '1h30m0s', '24h0m0s', '500ms', '2h0m1.25s']) {
      expect(formatGoDuration(parseGoDuration(t))).toBe(t);
    }
  });

  it('rejects non-finite input', () => expect(() => formatGoDuration(Number.NaN)).toThrow());
});
