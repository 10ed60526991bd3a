// Verifies the OIDC access token the Temporal Web UI forwards ("pass access token"): a JWT signed
// with a key of the issuer's JWKS (RS256/RS384/RS512, ES256/ES384), from the configured issuer, for
// the configured audience, not expired. Keys come from the issuer's discovery document and are
// fetched again when a token names a key id we do not know (the issuer rotated).
import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';

export interface OidcOptions {
  issuer: string;
  audience: string;
  /** Default: jwks_uri of `<issuer>/.well-known/openid-configuration`. */
  jwksUrl?: string;
  /** Clock skew accepted on exp/nbf, seconds. */
  leewaySeconds?: number;
}

const ALGORITHMS: Record<string, { hash: string; dsa?: boolean }> = {
  RS256: { hash: 'sha256' },
  RS384: { hash: 'sha384' },
  RS512: { hash: 'sha512' },
  ES256: { hash: 'sha256', dsa: true },
  ES384: { hash: 'sha384', dsa: true },
};

const b64json = (part: string): Record<string, unknown> => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

export class OidcVerifier {
  private keys = new Map<string, KeyObject>();
  private fetchedAt = 0;

  constructor(private readonly opts: OidcOptions) {}

  /** The token's subject when it is valid; throws a short reason otherwise. */
  async verify(token: string): Promise<string> {
    const parts = token.split('.');
    if (parts.length !== 3) throw new Error('not a JWT');
    const [h, p, s] = parts as [string, string, string];
    const header = b64json(h);
    const alg = ALGORITHMS[String(header.alg)];
    if (!alg) throw new Error(`algorithm ${String(header.alg)} not accepted`);
    const key = await this.key(String(header.kid ?? ''));
    const signed = Buffer.from(`${h}.${p}`);
    const signature = Buffer.from(s, 'base64url');
    const ok = verify(alg.hash, signed, alg.dsa ? { key, dsaEncoding: 'ieee-p1363' } : key, signature);
    if (!ok) throw new Error('bad signature');
    const claims = b64json(p);
    const now = Date.now() / 1000;
    const leeway = this.opts.leewaySeconds ?? 60;
    if (claims.iss !== this.opts.issuer) throw new Error('wrong issuer');
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.includes(this.opts.audience)) throw new Error('wrong audience');
    if (typeof claims.exp !== 'number' || claims.exp + leeway < now) throw new Error('expired');
    if (typeof claims.nbf === 'number' && claims.nbf - leeway > now) throw new Error('not yet valid');
    return String(claims.sub ?? '');
  }

  private async key(kid: string): Promise<KeyObject> {
    let key = this.keys.get(kid);
    // An unknown kid refetches, at most every 30 s (a forged kid must not make us hammer the issuer).
    if (!key && Date.now() - this.fetchedAt > 30_000) {
      await this.fetchKeys();
      key = this.keys.get(kid);
    }
    if (!key) throw new Error('unknown signing key');
    return key;
  }

  private async fetchKeys(): Promise<void> {
    this.fetchedAt = Date.now();
    let url = this.opts.jwksUrl;
    if (!url) {
      const discovery = (await (await fetch(`${this.opts.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`)).json()) as { jwks_uri?: string };
      if (!discovery.jwks_uri) throw new Error('issuer discovery has no jwks_uri');
      url = discovery.jwks_uri;
    }
    const jwks = (await (await fetch(url)).json()) as { keys?: (JsonWebKey & { kid?: string; use?: string })[] };
    const keys = new Map<string, KeyObject>();
    for (const jwk of jwks.keys ?? []) {
      if (jwk.use && jwk.use !== 'sig') continue;
      try {
        keys.set(jwk.kid ?? '', createPublicKey({ key: jwk, format: 'jwk' }));
      } catch {
        // a key type we do not use
      }
    }
    this.keys = keys;
  }
}
