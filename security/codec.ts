// Temporal PayloadCodec encrypting every payload with AES-256-GCM (spec §7): the root password and
// generated account passwords travel through workflow history, so history holds only ciphertext.
// Wire format of an encrypted payload: metadata {encoding: binary/encrypted, encryption-key-id},
// data = IV(12) ‖ ciphertext ‖ GCM tag(16); the plaintext is the whole original Payload proto.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
// CommonJS package without ESM named exports: default import only.
import proto from '@temporalio/proto';

const PayloadProto = proto.temporal.api.common.v1.Payload;

export const ENCODING_ENCRYPTED = 'binary/encrypted';
export const METADATA_ENCODING_KEY = 'encoding';
export const METADATA_KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export interface CodecKey {
  keyId: string;
  key: Buffer;
}

export interface EncryptionCodecOptions extends CodecKey {
  /** Older keys still accepted for decoding (key rotation). */
  decryptionKeys?: CodecKey[];
}

const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const text = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);

function checkKey(k: CodecKey): void {
  if (!k.keyId) throw new Error('codec key id is empty');
  if (!Buffer.isBuffer(k.key) || k.key.length !== KEY_BYTES) {
    throw new Error(`codec key "${k.keyId}" must be ${KEY_BYTES} bytes (AES-256)`);
  }
}

export class EncryptionCodec implements PayloadCodec {
  private readonly keys = new Map<string, Buffer>();

  constructor(private readonly opts: EncryptionCodecOptions) {
    for (const k of [opts, ...(opts.decryptionKeys ?? [])]) {
      checkKey(k);
      this.keys.set(k.keyId, k.key);
    }
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.encrypt(p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.decrypt(p));
  }

  private encrypt(payload: Payload): Payload {
    const plain = PayloadProto.encode(payload).finish();
    const iv = randomBytes(IV_BYTES);
    // The key id is authenticated too, so a payload cannot be relabelled to another key.
    const cipher = createCipheriv('aes-256-gcm', this.opts.key, iv).setAAD(Buffer.from(this.opts.keyId, 'utf8'));
    const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { [METADATA_ENCODING_KEY]: utf8(ENCODING_ENCRYPTED), [METADATA_KEY_ID]: utf8(this.opts.keyId) },
      data: new Uint8Array(data),
    };
  }

  private decrypt(payload: Payload): Payload {
    if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCODING_ENCRYPTED) return payload; // not ours
    const keyId = text(payload.metadata?.[METADATA_KEY_ID]);
    if (!keyId) throw new Error('encrypted payload has no encryption-key-id');
    const key = this.keys.get(keyId);
    if (!key) throw new Error(`cannot decrypt payload: unknown encryption key id "${keyId}"`);
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new Error('encrypted payload is truncated');
    const iv = data.subarray(0, IV_BYTES);
    const tag = data.subarray(data.length - TAG_BYTES);
    const body = data.subarray(IV_BYTES, data.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(keyId, 'utf8'));
    decipher.setAuthTag(tag);
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      throw new Error(`cannot decrypt payload with key "${keyId}": authentication failed`);
    }
    const decoded = PayloadProto.decode(plain);
    return { metadata: decoded.metadata, data: decoded.data };
  }
}

export function createEncryptionCodec(opts: EncryptionCodecOptions): EncryptionCodec {
  return new EncryptionCodec(opts);
}

export const DEFAULT_CODEC_KEY_ID = 'tiem-default';

/**
 * Reads the codec key from configuration: TIEM_CODEC_KEY (base64 of 32 bytes) and optional
 * TIEM_CODEC_KEY_ID. Returns undefined when no key is configured; throws when it is malformed.
 */
export function loadCodecKey(env: { TIEM_CODEC_KEY?: string; TIEM_CODEC_KEY_ID?: string }): CodecKey | undefined {
  const raw = env.TIEM_CODEC_KEY?.trim();
  if (!raw) return undefined;
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(raw)) throw new Error('TIEM_CODEC_KEY is not base64');
  const key = Buffer.from(raw, raw.includes('-') || raw.includes('_') ? 'base64url' : 'base64');
  if (key.length !== KEY_BYTES) {
    throw new Error(`TIEM_CODEC_KEY must decode to ${KEY_BYTES} bytes, got ${key.length}`);
  }
  return { keyId: env.TIEM_CODEC_KEY_ID?.trim() || DEFAULT_CODEC_KEY_ID, key };
}

/**
 * The codec key a process must have (worker, API, CLI tools): secrets travel in workflow payloads,
 * so running without one needs the explicit opt-out TIEM_ALLOW_PLAINTEXT_PAYLOADS=1 (spec §7).
 * Returns the problems instead of throwing so configuration loaders can list them all.
 */
export function requireCodecKey(env: { TIEM_CODEC_KEY?: string; TIEM_CODEC_KEY_ID?: string; TIEM_ALLOW_PLAINTEXT_PAYLOADS?: string }): {
  codecKey?: CodecKey;
  problems: string[];
} {
  try {
    const codecKey = loadCodecKey(env);
    if (codecKey || env.TIEM_ALLOW_PLAINTEXT_PAYLOADS === '1') return { codecKey, problems: [] };
    return {
      problems: [
        'TIEM_CODEC_KEY is required (32 bytes, base64, the same on workers, API and clients): passwords travel in workflow payloads. ' +
          'Set TIEM_ALLOW_PLAINTEXT_PAYLOADS=1 only where plaintext Temporal history is acceptable.',
      ],
    };
  } catch (err) {
    return { problems: [`${(err as Error).message} (TIEM_CODEC_KEY: 32 bytes, base64)`] };
  }
}

/** A fresh key for configuration (`TIEM_CODEC_KEY`), base64. */
export function generateCodecKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}
