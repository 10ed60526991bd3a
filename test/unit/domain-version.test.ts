import { describe, expect, it } from '@jest/globals';
import { TiemError } from '../../domain/errors.js';
import {
  brCompatibility,
  compareVersions,
  isValidVersion,
  minorOf,
  parseVersion,
  tryParseVersion,
  versionAtLeast,
} from '../../domain/version.js';

describe('parseVersion (TiEM CompareTiDBVersion parsing)', () => {
  it('parses vX.Y.Z', () => {
    expect(parseVersion('v7.5.1')).toEqual({ major: 7, minor: 5, patch: 1 });
    expect(parseVersion('v10.0.12')).toEqual({ major: 10, minor: 0, patch: 12 });
  });

  it.each(['7.5.1', 'v7.5', 'v7.5.1.2', 'v7.x.1', 'v7.5.1-beta', 'v', '', 'V7.5.1', 'v7..1', 'v-1.0.0'])(
    'rejects %p',
    (v) => {
      expect(isValidVersion(v)).toBe(false);
      expect(tryParseVersion(v)).toBeUndefined();
      expect(() => parseVersion(v)).toThrow(TiemError);
    },
  );

  it('throws PARAMETER_INVALID with TiEM wording', () => {
    try {
      parseVersion('v5.a.0');
      throw new Error('not thrown');
    } catch (e) {
      expect(e).toBeInstanceOf(TiemError);
      expect((e as TiemError).code).toBe(10001);
      expect((e as TiemError).detail).toBe('TiDB version v5.a.0 format is invalid');
    }
  });
});

describe('compareVersions (TiEM TestCompareTiDBVersion)', () => {
  it('v5.0.0 vs v5.2.2 is not ≥', () => {
    expect(versionAtLeast('v5.0.0', 'v5.2.2')).toBe(false);
    expect(compareVersions('v5.0.0', 'v5.2.2')).toBe(-1);
  });
  it('v5.2.2 vs v5.0.0 is ≥', () => {
    expect(versionAtLeast('v5.2.2', 'v5.0.0')).toBe(true);
    expect(compareVersions('v5.2.2', 'v5.0.0')).toBe(1);
  });
  it('v5.0.2 vs v5.0.0 is ≥ (patch)', () => expect(versionAtLeast('v5.0.2', 'v5.0.0')).toBe(true));
  it('equal versions are ≥', () => {
    expect(compareVersions('v6.5.3', 'v6.5.3')).toBe(0);
    expect(versionAtLeast('v6.5.3', 'v6.5.3')).toBe(true);
  });
  it('compares numerically, not as text', () => {
    expect(compareVersions('v10.0.0', 'v9.9.9')).toBe(1);
    expect(compareVersions('v7.10.0', 'v7.9.0')).toBe(1);
    expect(compareVersions('v7.5.10', 'v7.5.9')).toBe(1);
  });
  it('any non-numeric component in either version is an error', () => {
    expect(() => compareVersions('v5.0.x', 'v5.0.0')).toThrow(TiemError);
    expect(() => compareVersions('v5.0.0', 'vA.0.0')).toThrow(TiemError);
  });
});

describe('minorOf', () => {
  it('keeps major.minor', () => {
    expect(minorOf('v7.5.1')).toBe('v7.5');
    expect(minorOf('v8.5.0')).toBe('v8.5');
  });
  it('throws on invalid', () => expect(() => minorOf('7.5')).toThrow(TiemError));
});

describe('brCompatibility', () => {
  it.each([
    ['v7.1.5', 'v7.1.5'],
    ['v7.1.1', 'v7.1.5'],
    ['v6.5.0', 'v7.1.0'],
    ['v6.5.9', 'v7.4.0'],
    ['v7.5.0', 'v7.5.2'],
    ['v7.5.0', 'v8.1.0'],
    ['v7.5.3', 'v8.5.0'],
    ['v8.1.0', 'v8.1.2'],
    ['v8.1.0', 'v8.5.0'],
    ['v5.2.2', 'v6.5.0'],
  ])('%s → %s is ok', (s, t) => {
    expect(brCompatibility(s, t)).toEqual({ ok: true });
  });

  it.each([
    ['v7.1.5', 'v7.5.0'],
    ['v6.5.9', 'v8.1.1'],
    ['v5.4.3', 'v8.5.0'],
  ])('%s → %s: across the v7.5 privilege-table change, user data only (--with-sys-table=false)', (s, t) => {
    expect(brCompatibility(s, t)).toEqual({ ok: true, withSysTable: false });
  });

  it('refuses a target older than the source', () => {
    const r = brCompatibility('v8.1.0', 'v7.5.0');
    expect(r).toEqual({
      ok: false,
      rule: 'BR cannot restore a backup of v8.1.0 into v7.5.0: the target version is older than the source version',
    });
    expect(brCompatibility('v7.5.2', 'v7.5.1').ok).toBe(false);
  });

  it('throws on invalid versions', () => expect(() => brCompatibility('v7.5', 'v7.5.0')).toThrow(TiemError));
});
