// Bearer-token authentication (spec §7). Tokens come from configuration; comparison is constant
// time (both sides hashed to a fixed length, every configured token compared, no early exit), and
// neither the header nor the token is ever logged (the logger redacts `authorization`).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { unauthorized } from './errors.js';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/;

export class TokenVerifier {
  private readonly digests: Buffer[];

  constructor(tokens: readonly string[]) {
    const usable = tokens.map((t) => t.trim()).filter((t) => t.length > 0);
    if (usable.length === 0) throw new Error('at least one API token is required');
    this.digests = usable.map(digest);
  }

  /** True when the token equals one of the configured tokens. */
  matches(token: string): boolean {
    const d = digest(token);
    let ok = false;
    for (const known of this.digests) ok = timingSafeEqual(d, known) || ok;
    return ok;
  }

  /** Throws the 401 ApiError unless the request carries `Authorization: Bearer <known token>`. */
  verify(req: Pick<FastifyRequest, 'headers'>): void {
    const header = req.headers.authorization;
    if (!header) throw unauthorized('missing Authorization header: use "Authorization: Bearer <token>"');
    const m = BEARER.exec(header);
    if (!m) throw unauthorized('malformed Authorization header: use "Authorization: Bearer <token>"');
    if (!this.matches(m[1]!)) throw unauthorized('invalid token');
  }
}
