// The production codec server: its configuration (key rotation, tokens, origins) and a rotated
// key's payloads decoded by the server that encrypts with the new one.
import type { Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { createEncryptionCodec } from '../../security/codec.js';
import { startCodecServer } from '../../security/codec-server.js';
import { loadCodecServerConfig } from '../../security/codec-server-main.js';

const oldKey = randomBytes(32).toString('base64');
const newKey = randomBytes(32).toString('base64');
const env = {
  TIEM_CODEC_KEY: newKey,
  TIEM_CODEC_KEY_ID: 'k2',
  TIEM_CODEC_DECRYPTION_KEYS: `k1=${oldKey}`,
  TIEM_CODEC_SERVER_TOKENS: 'first-token-0123456789,second-token-0123456789',
  TIEM_CODEC_SERVER_ORIGINS: 'https://temporal.example.com',
};

test('configuration: every problem at once, no key echoed', () => {
  expect(() => loadCodecServerConfig({ TIEM_CODEC_DECRYPTION_KEYS: 'k1=c2hvcnQ=', TIEM_CODEC_SERVER_TOKENS: 'short', TIEM_CODEC_SERVER_ORIGINS: 'temporal.example.com' })).toThrow(
    /TIEM_CODEC_KEY is required[\s\S]*TIEM_CODEC_DECRYPTION_KEYS entry "k1": the key must decode to 32 bytes[\s\S]*16 characters[\s\S]*is not an origin/,
  );
  const c = loadCodecServerConfig(env);
  expect(c.key.keyId).toBe('k2');
  expect(c.decryptionKeys.map((k) => k.keyId)).toEqual(['k1']);
  expect(c.tokens).toHaveLength(2);
  expect(c).toMatchObject({ host: '127.0.0.1', port: 8234, origins: ['https://temporal.example.com'] });
});

describe('serving', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const c = loadCodecServerConfig(env);
    server = await startCodecServer({ codec: createEncryptionCodec({ ...c.key, decryptionKeys: c.decryptionKeys }), tokens: c.tokens, allowedOrigins: c.origins, port: 0 });
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const body = (payloads: Payload[]) =>
    JSON.stringify({
      payloads: payloads.map((p) => ({
        metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
        data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
      })),
    });

  test('decodes payloads of the old key and of the new one; encodes with the new one; any configured token', async () => {
    const plain = { metadata: { encoding: new Uint8Array(Buffer.from('json/plain')) }, data: new Uint8Array(Buffer.from('"secret"')) };
    const [byOld] = await createEncryptionCodec({ keyId: 'k1', key: Buffer.from(oldKey, 'base64') }).encode([plain]);
    const [byNew] = await createEncryptionCodec({ keyId: 'k2', key: Buffer.from(newKey, 'base64') }).encode([plain]);
    const res = await fetch(`${url}/decode`, { method: 'POST', headers: { authorization: 'Bearer second-token-0123456789', 'content-type': 'application/json', origin: 'https://temporal.example.com' }, body: body([byOld!, byNew!]) });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://temporal.example.com');
    const decoded = (await res.json()) as { payloads: { data: string }[] };
    expect(decoded.payloads.map((p) => Buffer.from(p.data, 'base64').toString())).toEqual(['"secret"', '"secret"']);
    const enc = (await (await fetch(`${url}/encode`, { method: 'POST', headers: { authorization: 'Bearer first-token-0123456789' }, body: body([plain]) })).json()) as { payloads: { metadata: Record<string, string> }[] };
    expect(Buffer.from(enc.payloads[0]!.metadata['encryption-key-id']!, 'base64').toString()).toBe('k2');
  });

  test('refuses a missing or unknown token, and gives no CORS grant to another origin', async () => {
    expect((await fetch(`${url}/decode`, { method: 'POST', body: body([]) })).status).toBe(401);
    expect((await fetch(`${url}/decode`, { method: 'POST', headers: { authorization: 'Bearer not-a-configured-token' }, body: body([]) })).status).toBe(401);
    const other = await fetch(`${url}/decode`, { method: 'POST', headers: { authorization: 'Bearer first-token-0123456789', origin: 'https://evil.example.com' }, body: body([]) });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
