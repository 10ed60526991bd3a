// Passwords at rest in the metadata DB (spec §7): AES-256-GCM sealed strings
// "v1:<keyId>:<base64(iv ‖ ciphertext ‖ tag)>". Same key configuration as the payload codec.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { CodecKey } from './codec.js';

const PREFIX = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function isSealed(value: string): boolean {
  return /^v1:[^:]+:[A-Za-z0-9+/]+={0,2}$/.test(value);
}

export function sealSecret(key: CodecKey, plaintext: string): string {
  if (key.keyId.includes(':')) throw new Error('key id must not contain ":"');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv).setAAD(Buffer.from(key.keyId, 'utf8'));
  const body = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${PREFIX}:${key.keyId}:${body.toString('base64')}`;
}

/** Opens a sealed secret with whichever of `keys` has its key id. Throws on tampering or unknown key. */
export function openSecret(keys: CodecKey | readonly CodecKey[], sealed: string): string {
  const parts = sealed.split(':');
  if (parts.length !== 3 || parts[0] !== PREFIX) throw new Error('not a sealed secret');
  const [, keyId, b64] = parts;
  const key = (Array.isArray(keys) ? keys : [keys as CodecKey]).find((k) => k.keyId === keyId);
  if (!key) throw new Error(`cannot open secret: unknown key id "${keyId}"`);
  const body = Buffer.from(b64, 'base64');
  if (body.length < IV_BYTES + TAG_BYTES) throw new Error('sealed secret is truncated');
  const decipher = createDecipheriv('aes-256-gcm', key.key, body.subarray(0, IV_BYTES)).setAAD(Buffer.from(keyId, 'utf8'));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(body.subarray(IV_BYTES, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new Error(`cannot open secret with key "${keyId}": authentication failed`);
  }
}
