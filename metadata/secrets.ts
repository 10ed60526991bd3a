// Encryption at rest of stored secrets (passwords, SSH private keys): AES-256-GCM with a random
// 12-byte IV per value, stored as "v1:<iv b64>:<tag b64>:<ciphertext b64>". The version prefix
// leaves room for key rotation. An optional context (AAD) binds a ciphertext to its row, so a
// value copied into another row does not decrypt.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyError';
  }
}

/** Accepts the 32-byte key as a Buffer or as base64 text (the form used in configuration). */
export function parseSecretKey(key: Buffer | string): Buffer {
  const buf = typeof key === 'string' ? Buffer.from(key.trim(), 'base64') : key;
  if (buf.length !== 32) {
    throw new SecretKeyError(`metadata secret key must be 32 bytes (base64 of 32 random bytes), got ${buf.length} bytes`);
  }
  return buf;
}

export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer | string) {
    this.key = parseSecretKey(key);
  }

  encrypt(plaintext: string, context = ''): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    if (context) cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, iv.toString('base64'), tag.toString('base64'), ciphertext.toString('base64')].join(':');
  }

  decrypt(stored: string, context = ''): string {
    const parts = stored.split(':');
    if (parts.length !== 4 || parts[0] !== VERSION) {
      throw new SecretKeyError('stored secret is not in the v1 encrypted format');
    }
    const [, ivB64, tagB64, ctB64] = parts;
    const iv = Buffer.from(ivB64, 'base64');
    const tag = Buffer.from(tagB64, 'base64');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      throw new SecretKeyError('stored secret is malformed (bad IV or tag length)');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
      if (context) decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(ctB64, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      // GCM authentication failed: the key differs from the one used to write, or the value was altered.
      throw new SecretKeyError(
        'cannot decrypt stored secret: the metadata secret key is wrong (not the key the data was written with) or the value was tampered with',
      );
    }
  }
}
