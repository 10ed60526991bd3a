// Generated account passwords (CSPRNG; TiEM used an unseeded math/rand) and log redaction.

import { randomInt } from 'node:crypto';

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
// URI-unreserved symbols: need no escaping in a MySQL string literal, a sink URI or a shell-free argv.
const SYMBOLS = '-_.~';
export const PASSWORD_ALPHABET = LOWER + UPPER + DIGITS + SYMBOLS;
const CLASSES = [LOWER, UPPER, DIGITS, SYMBOLS];

/**
 * A random password of `length` characters with at least one lower, upper, digit and symbol
 * (TiDB's validate_password policy MEDIUM). Each character is uniform over the alphabet; draws
 * missing a class are redrawn, which keeps the result uniform over the valid passwords.
 */
export function generatePassword(length = 16): string {
  if (!Number.isInteger(length) || length < 8 || length > 128) {
    throw new Error(`password length must be an integer 8-128, got ${length}`);
  }
  for (;;) {
    let pwd = '';
    for (let i = 0; i < length; i++) pwd += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
    if (CLASSES.every((cls) => [...pwd].some((c) => cls.includes(c)))) return pwd;
  }
}

export const REDACTED = '******';

/** Replaces every occurrence of each secret (and its URI-encoded form) in `text`. */
export function redact(text: string, secrets: readonly (string | undefined | null)[]): string {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (!s) continue;
    forms.add(s);
    forms.add(encodeURIComponent(s));
  }
  // Longest first, so a secret containing another one is replaced whole.
  let out = text;
  for (const f of [...forms].sort((a, b) => b.length - a.length)) out = out.split(f).join(REDACTED);
  return out;
}
