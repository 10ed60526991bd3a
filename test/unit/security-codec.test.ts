import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { DefaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  createEncryptionCodec,
  DEFAULT_CODEC_KEY_ID,
  ENCODING_ENCRYPTED,
  generateCodecKey,
  loadCodecKey,
} from '../../security/codec.js';

const converter = new DefaultPayloadConverter();
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('utf8');

describe('EncryptionCodec', () => {
  const key = randomBytes(32);
  const codec = createEncryptionCodec({ keyId: 'k1', key });
  const secret = { request: { dbPassword: 'Sup3r-Secret-Pw' }, n: 1 };

  it('round-trips payloads and hides the plaintext', async () => {
    const original = [converter.toPayload(secret), converter.toPayload(null), converter.toPayload('x')];
    const encoded = await codec.encode(original);
    expect(encoded).toHaveLength(3);
    for (const p of encoded) {
      expect(text(p.metadata?.encoding)).toBe(ENCODING_ENCRYPTED);
      expect(text(p.metadata?.['encryption-key-id'])).toBe('k1');
      expect(text(p.data)).not.toContain('Sup3r-Secret-Pw');
    }
    const decoded = await codec.decode(encoded);
    expect(decoded.map((p) => converter.fromPayload(p))).toEqual([secret, null, 'x']);
    expect(text(decoded[0].metadata?.encoding)).toBe('json/plain');
  });

  it('uses a fresh IV per payload', async () => {
    const p = converter.toPayload(secret);
    const [a, b] = await codec.encode([p, p]);
    expect(Buffer.from(a.data!).equals(Buffer.from(b.data!))).toBe(false);
  });

  it('passes through payloads it did not encrypt', async () => {
    const plain: Payload = converter.toPayload({ hello: 'world' });
    const [out] = await codec.decode([plain]);
    expect(out).toBe(plain);
    expect(await codec.decode([])).toEqual([]);
  });

  it('fails clearly on an unknown key id', async () => {
    const other = createEncryptionCodec({ keyId: 'k2', key: randomBytes(32) });
    const encoded = await other.encode([converter.toPayload(secret)]);
    await expect(codec.decode(encoded)).rejects.toThrow('unknown encryption key id "k2"');
  });

  it('fails on the wrong key under the same id, and on tampering', async () => {
    const impostor = createEncryptionCodec({ keyId: 'k1', key: randomBytes(32) });
    const encoded = await impostor.encode([converter.toPayload(secret)]);
    await expect(codec.decode(encoded)).rejects.toThrow(/authentication failed/);

    const [good] = await codec.encode([converter.toPayload(secret)]);
    const data = Buffer.from(good.data!);
    data[20] ^= 0xff;
    await expect(codec.decode([{ ...good, data: new Uint8Array(data) }])).rejects.toThrow(/authentication failed/);
    // Relabelling to another known key id fails too (the id is authenticated).
    const rotated = createEncryptionCodec({ keyId: 'k3', key: randomBytes(32), decryptionKeys: [{ keyId: 'k1', key }] });
    const relabelled = { ...good, metadata: { ...good.metadata, 'encryption-key-id': new Uint8Array(Buffer.from('k3')) } };
    await expect(rotated.decode([relabelled])).rejects.toThrow(/authentication failed/);
  });

  it('decodes with an older key after rotation', async () => {
    const [old] = await codec.encode([converter.toPayload(secret)]);
    const rotated = createEncryptionCodec({ keyId: 'k3', key: randomBytes(32), decryptionKeys: [{ keyId: 'k1', key }] });
    expect(converter.fromPayload((await rotated.decode([old]))[0])).toEqual(secret);
    const [fresh] = await rotated.encode([converter.toPayload(1)]);
    expect(text(fresh.metadata?.['encryption-key-id'])).toBe('k3');
  });

  it('rejects keys that are not 32 bytes', () => {
    expect(() => createEncryptionCodec({ keyId: 'k', key: randomBytes(16) })).toThrow(/32 bytes/);
    expect(() => createEncryptionCodec({ keyId: '', key })).toThrow(/key id/);
  });
});

describe('loadCodecKey', () => {
  it('reads a base64 key and its id', () => {
    const b64 = generateCodecKey();
    const k = loadCodecKey({ TIEM_CODEC_KEY: b64, TIEM_CODEC_KEY_ID: 'prod-2024' });
    expect(k?.keyId).toBe('prod-2024');
    expect(k?.key.toString('base64')).toBe(b64);
    expect(loadCodecKey({ TIEM_CODEC_KEY: b64 })?.keyId).toBe(DEFAULT_CODEC_KEY_ID);
  });
  it('returns undefined when not configured', () => {
    expect(loadCodecKey({})).toBeUndefined();
    expect(loadCodecKey({ TIEM_CODEC_KEY: '  ' })).toBeUndefined();
  });
  it('throws on a malformed key', () => {
    expect(() => loadCodecKey({ TIEM_CODEC_KEY: randomBytes(16).toString('base64') })).toThrow(/32 bytes, got 16/);
    expect(() => loadCodecKey({ TIEM_CODEC_KEY: 'not base64!' })).toThrow(/not base64/);
  });
});
