import { describe, expect, it } from '@jest/globals';
import { generatePassword, PASSWORD_ALPHABET, REDACTED, redact } from '../../security/passwords.js';

describe('generatePassword', () => {
  it('has the requested length, default 16', () => {
    expect(generatePassword()).toHaveLength(16);
    expect(generatePassword(8)).toHaveLength(8);
    expect(generatePassword(32)).toHaveLength(32);
  });

  it('uses only MySQL/URI-safe characters and every class', () => {
    for (let i = 0; i < 200; i++) {
      const p = generatePassword(12);
      expect(p).toMatch(/^[A-Za-z0-9._~-]+$/);
      expect(p).toMatch(/[a-z]/);
      expect(p).toMatch(/[A-Z]/);
      expect(p).toMatch(/[0-9]/);
      expect(p).toMatch(/[-_.~]/);
      expect(encodeURIComponent(p)).toBe(p);
    }
    expect(PASSWORD_ALPHABET).not.toMatch(/['"\\`$ @:/?#%]/);
  });

  it('does not repeat across calls', () => {
    const seen = new Set(Array.from({ length: 2000 }, () => generatePassword()));
    expect(seen.size).toBe(2000);
  });

  it('covers the alphabet (not a narrow generator)', () => {
    const chars = new Set(Array.from({ length: 300 }, () => generatePassword(32)).join(''));
    expect(chars.size).toBe(PASSWORD_ALPHABET.length);
  });

  it.each([7, 129, 10.5])('rejects length %p', (n) => expect(() => generatePassword(n)).toThrow(/length/));
});

describe('redact', () => {
  it('replaces every occurrence of each secret', () => {
    expect(redact('mysql://root:pw1-xyz@h:4000 and pw1-xyz again, token abc', ['pw1-xyz', 'abc'])).toBe(
      `mysql://root:${REDACTED}@h:4000 and ${REDACTED} again, token ${REDACTED}`,
    );
  });
  it('replaces the URI-encoded form and the longer secret first', () => {
    expect(redact('sink mysql://root:p%40ss%2Fw@h', ['p@ss/w'])).toBe(`sink mysql://root:${REDACTED}@h`);
    expect(redact('secret-long', ['secret', 'secret-long'])).toBe(REDACTED);
  });
  it('ignores empty secrets', () => expect(redact('abc', ['', undefined, null])).toBe('abc'));
});
