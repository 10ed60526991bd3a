import { randomBytes } from 'node:crypto';
import { SecretBox, SecretKeyError, parseSecretKey } from '../../metadata/secrets.js';

describe('SecretBox (AES-256-GCM at rest)', () => {
  const key = randomBytes(32);

  test('round trip; v1 format; a fresh IV each time', () => {
    const box = new SecretBox(key);
    const a = box.encrypt('p@ss wörd');
    const b = box.encrypt('p@ss wörd');
    expect(a).not.toBe(b);
    const [version, iv, tag, ct] = a.split(':');
    expect(version).toBe('v1');
    expect(Buffer.from(iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(tag, 'base64')).toHaveLength(16);
    expect(ct.length).toBeGreaterThan(0);
    expect(box.decrypt(a)).toBe('p@ss wörd');
    expect(box.decrypt(box.encrypt(''))).toBe('');
  });

  test('key given as base64 text works the same', () => {
    const enc = new SecretBox(key.toString('base64')).encrypt('x');
    expect(new SecretBox(key).decrypt(enc)).toBe('x');
  });

  test('wrong key, wrong context or tampering → clear SecretKeyError', () => {
    const enc = new SecretBox(key).encrypt('secret', 'ctx-1');
    expect(() => new SecretBox(randomBytes(32)).decrypt(enc, 'ctx-1')).toThrow(SecretKeyError);
    expect(() => new SecretBox(randomBytes(32)).decrypt(enc, 'ctx-1')).toThrow(/metadata secret key is wrong/);
    expect(() => new SecretBox(key).decrypt(enc, 'ctx-2')).toThrow(SecretKeyError);
    const parts = enc.split(':');
    const ct = Buffer.from(parts[3], 'base64');
    ct[0] ^= 1;
    expect(() => new SecretBox(key).decrypt([parts[0], parts[1], parts[2], ct.toString('base64')].join(':'), 'ctx-1')).toThrow(
      SecretKeyError,
    );
    expect(() => new SecretBox(key).decrypt('plaintext')).toThrow(/not in the v1 encrypted format/);
  });

  test('keys must be exactly 32 bytes', () => {
    expect(() => parseSecretKey(randomBytes(16))).toThrow(/32 bytes/);
    expect(() => new SecretBox('c2hvcnQ=')).toThrow(/32 bytes/);
    expect(parseSecretKey(key.toString('base64'))).toEqual(key);
  });
});
