// API configuration from the environment and bearer-token verification.
import { randomBytes } from 'node:crypto';
import { TokenVerifier } from '../../api/auth.js';
import { ApiConfigError, loadApiConfig } from '../../api/config.js';

const key = randomBytes(32).toString('base64');
const token = 'a-long-enough-token-123456';

describe('loadApiConfig', () => {
  test('defaults and parsing', () => {
    const c = loadApiConfig({ TIEM_SECRET_KEY: key, TIEM_API_TOKENS: ` ${token} , second-token-abcdefgh ,`, TIEM_ALLOW_PLAINTEXT_PAYLOADS: '1' });
    expect(() => loadApiConfig({ TIEM_SECRET_KEY: key, TIEM_API_TOKENS: token })).toThrow(/TIEM_CODEC_KEY is required/);
    expect(c).toMatchObject({ temporalAddress: 'localhost:7233', namespace: 'default', taskQueue: 'tiem-clone', port: 4100, host: '127.0.0.1', tokens: [token, 'second-token-abcdefgh'] });
    expect(c.codecKey).toBeUndefined();
    expect(c.secretKey.length).toBe(32);
    const codec = loadApiConfig({ TIEM_SECRET_KEY: key, TIEM_API_TOKENS: token, TIEM_CODEC_KEY: key, TIEM_CODEC_KEY_ID: 'k1', TIEM_API_PORT: '0', TIEM_API_HOST: '0.0.0.0' });
    expect(codec.codecKey?.keyId).toBe('k1');
    expect([codec.port, codec.host]).toEqual([0, '0.0.0.0']);
  });

  test('every problem listed at once, no secret echoed', () => {
    const secretish = 'c2hvcnQ=';
    let err: unknown;
    try {
      loadApiConfig({ TIEM_SECRET_KEY: secretish, TIEM_CODEC_KEY: 'bm90LTMyLWJ5dGVz', TIEM_API_TOKENS: 'tiny1,has space-in-it-0123456789', TIEM_API_PORT: '99999' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiConfigError);
    const problems = (err as ApiConfigError).problems;
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/TIEM_SECRET_KEY must be 32 bytes/);
    expect(problems.join('\n')).toMatch(/TIEM_CODEC_KEY/);
    expect(problems.join('\n')).toMatch(/token #1 is shorter than 16/);
    expect(problems.join('\n')).toMatch(/token #2 has characters/);
    expect(problems.join('\n')).toMatch(/TIEM_API_PORT/);
    const text = (err as Error).message;
    for (const secret of [secretish, 'bm90LTMyLWJ5dGVz', 'tiny1', 'has space-in-it']) expect(text).not.toContain(secret);
  });

  test('tokens and the secret key are required', () => {
    expect(() => loadApiConfig({})).toThrow(/TIEM_SECRET_KEY is required[\s\S]*TIEM_API_TOKENS is required/);
  });
});

describe('TokenVerifier', () => {
  const v = new TokenVerifier([token, 'other-token-0123456789']);
  const verify = (authorization?: string) => {
    try {
      v.verify({ headers: authorization === undefined ? {} : { authorization } });
      return 'ok';
    } catch (e) {
      return (e as { httpStatus: number; code: number; message: string }).message;
    }
  };

  test('accepts any configured token, exactly', () => {
    expect(verify(`Bearer ${token}`)).toBe('ok');
    expect(verify('Bearer other-token-0123456789')).toBe('ok');
    expect(v.matches(token.toUpperCase())).toBe(false);
    expect(v.matches(`${token} `)).toBe(false);
    expect(v.matches('')).toBe(false);
  });

  test('missing, malformed, unknown', () => {
    expect(verify()).toMatch(/missing Authorization header/);
    for (const h of ['Bearer', 'Bearer ', `bearer ${token}`, `Basic ${token}`, `Bearer ${token} x`, `Bearer\t${token}`]) expect(verify(h)).toMatch(/malformed/);
    expect(verify('Bearer not-a-configured-token')).toBe('invalid token');
  });

  test('an empty token list is refused', () => {
    expect(() => new TokenVerifier([])).toThrow();
    expect(() => new TokenVerifier(['  '])).toThrow();
  });
});
