import { describe, expect, it } from '@jest/globals';
import { generatePassword, PASSWORD_ALPHABET, REDACTED, redact } from '../../security/passwords.js';
import { openSecret, sealSecret, isSealed } from '../../security/secrets.js';
import { randomBytes } from 'node:crypto';

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

describe('sealSecret / openSecret (passwords at rest)', () => {
  const key = { keyId: 'k1', key: randomBytes(32) };
  it('round-trips and hides the plaintext', () => {
    const sealed = sealSecret(key, 'Root-Pass-123');
    expect(isSealed(sealed)).toBe(true);
    expect(sealed).not.toContain('Root-Pass-123');
    expect(sealed.startsWith('v1:k1:')).toBe(true);
    expect(openSecret([key], sealed)).toBe('Root-Pass-123');
    expect(sealSecret(key, 'x')).not.toBe(sealSecret(key, 'x'));
  });
  it('fails on an unknown key, a wrong key or tampering', () => {
    const sealed = sealSecret(key, 'pw');
    expect(() => openSecret({ keyId: 'k2', key: key.key }, sealed)).toThrow(/unknown key id "k1"/);
    expect(() => openSecret({ keyId: 'k1', key: randomBytes(32) }, sealed)).toThrow(/authentication failed/);
    const body = Buffer.from(sealed.split(':')[2], 'base64');
    body[13] ^= 1;
    expect(() => openSecret(key, `v1:k1:${body.toString('base64')}`)).toThrow(/authentication failed/);
    expect(() => openSecret(key, 'plaintext')).toThrow(/not a sealed secret/);
    expect(isSealed('plaintext')).toBe(false);
  });
});
