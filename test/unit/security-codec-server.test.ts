import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { DefaultPayloadConverter } from '@temporalio/common';
import { createEncryptionCodec } from '../../security/codec.js';
import { startCodecServer } from '../../security/codec-server.js';

const converter = new DefaultPayloadConverter();
const codec = createEncryptionCodec({ keyId: 'k1', key: randomBytes(32) });
let server: Server;
let base: string;

beforeAll(async () => {
  server = await startCodecServer({ codec, token: 't0ken', port: 0, allowedOrigins: ['http://localhost:8233'] });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const b64 = (u: Uint8Array | null | undefined) => Buffer.from(u ?? []).toString('base64');

async function post(path: string, body: unknown, token = 't0ken') {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, Origin: 'http://localhost:8233' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('codec server', () => {
  it('decodes what the codec encoded', async () => {
    const [enc] = await codec.encode([converter.toPayload({ dbPassword: 'pw-123456' })]);
    const res = await post('/decode', { payloads: [{ metadata: { encoding: b64(enc.metadata!.encoding), 'encryption-key-id': b64(enc.metadata!['encryption-key-id']) }, data: b64(enc.data) }] });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    const out = (await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(out.payloads[0].metadata.encoding, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(out.payloads[0].data, 'base64').toString())).toEqual({ dbPassword: 'pw-123456' });
  });

  it('encodes', async () => {
    const p = converter.toPayload('hello');
    const res = await post('/encode', { payloads: [{ metadata: { encoding: b64(p.metadata!.encoding) }, data: b64(p.data) }] });
    const out = (await res.json()) as { payloads: { metadata: Record<string, string> }[] };
    expect(Buffer.from(out.payloads[0].metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
  });

  it('requires the bearer token', async () => {
    expect((await post('/decode', { payloads: [] }, 'wrong')).status).toBe(401);
  });

  it('rejects bad bodies and paths', async () => {
    expect((await post('/decode', '{oops')).status).toBe(400);
    expect((await post('/decode', { nope: 1 })).status).toBe(400);
    expect((await post('/other', { payloads: [] })).status).toBe(404);
  });

  it('answers CORS preflight', async () => {
    const res = await fetch(`${base}/decode`, { method: 'OPTIONS', headers: { Origin: 'http://localhost:8233' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-headers')).toContain('Authorization');
  });
});
