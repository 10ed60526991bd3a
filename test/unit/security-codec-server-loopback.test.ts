import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DefaultPayloadConverter } from '@temporalio/common';
import { createEncryptionCodec } from '../../security/codec.js';
import { codecRequestHandler, isLoopbackHost, loopbackUiOrigins, startCodecServer } from '../../security/codec-server.js';

const codec = createEncryptionCodec({ keyId: 'k1', key: randomBytes(32) });
const b64 = (u: Uint8Array | null | undefined) => Buffer.from(u ?? []).toString('base64');

describe('token-less codec server (embedded Web UI)', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = await startCodecServer({ codec, unauthenticatedLoopback: true, port: 0, host: '127.0.0.1', allowedOrigins: loopbackUiOrigins(8233) });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('is refused on a non-loopback address, and without the explicit option', async () => {
    await expect(startCodecServer({ codec, unauthenticatedLoopback: true, port: 0, host: '0.0.0.0' })).rejects.toThrow(/loopback only/);
    expect(() => codecRequestHandler({ codec })).toThrow(/bearer token/);
    expect(isLoopbackHost('127.0.0.1') && isLoopbackHost('::1') && isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('10.0.0.1') || isLoopbackHost('127.0.0.1.example.com')).toBe(false);
  });

  it('decodes without a token and allows both UI origins', async () => {
    const [enc] = await codec.encode([new DefaultPayloadConverter().toPayload({ clusterName: 'c1' })]);
    for (const origin of ['http://127.0.0.1:8233', 'http://localhost:8233']) {
      const res = await fetch(`${base}/decode`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', Origin: origin },
        body: JSON.stringify({ payloads: [{ metadata: { encoding: b64(enc.metadata!.encoding), 'encryption-key-id': b64(enc.metadata!['encryption-key-id']) }, data: b64(enc.data) }] }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      const out = (await res.json()) as { payloads: { data: string }[] };
      expect(JSON.parse(Buffer.from(out.payloads[0].data, 'base64').toString())).toEqual({ clusterName: 'c1' });
    }
    const other = await fetch(`${base}/decode`, { method: 'OPTIONS', headers: { Origin: 'http://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers the temporal CLI’s `{}` (no payloads) with an empty list', async () => {
    const res = await fetch(`${base}/encode`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ payloads: [] });
  });

  it('refuses a request addressed to a non-loopback name (DNS rebinding) when there is no token', async () => {
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${base}/encode`, { method: 'POST', headers: { Host: host, 'Content-Type': 'application/json' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end('{}');
      });
    expect(await status('attacker.example:8234')).toBe(403);
    expect(await status(new URL(base).host)).toBe(200);
    expect(await status('localhost:8234')).toBe(200);
  });
});
