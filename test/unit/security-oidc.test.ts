// The codec server accepts the Web UI's forwarded OIDC access token: signed by the issuer's JWKS
// key (found through discovery), for our audience, not expired; anything else is 401.
import { createServer, type Server } from 'node:http';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createEncryptionCodec } from '../../security/codec.js';
import { startCodecServer } from '../../security/codec-server.js';
import { OidcVerifier } from '../../security/oidc.js';

const issuerKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
let idp: Server;
let issuer: string;
let codecServer: Server;
let codecUrl: string;

function jwt(claims: Record<string, unknown>, key: KeyObject = issuerKey.privateKey, kid = 'k1'): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const signed = `${part({ alg: 'RS256', typ: 'JWT', kid })}.${part(claims)}`;
  return `${signed}.${sign('sha256', Buffer.from(signed), key).toString('base64url')}`;
}

beforeAll(async () => {
  idp = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    else if (req.url === '/jwks') res.end(JSON.stringify({ keys: [{ ...issuerKey.publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' }] }));
    else res.writeHead(404).end('{}');
  });
  await new Promise<void>((r) => idp.listen(0, '127.0.0.1', () => r()));
  issuer = `http://127.0.0.1:${(idp.address() as { port: number }).port}`;
  const codec = createEncryptionCodec({ keyId: 'k', key: Buffer.alloc(32, 3) });
  codecServer = await startCodecServer({ codec, oidc: new OidcVerifier({ issuer, audience: 'temporal-ui' }), port: 0 });
  codecUrl = `http://127.0.0.1:${(codecServer.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => codecServer.close(() => r()));
  await new Promise<void>((r) => idp.close(() => r()));
});

const decode = (token: string) => fetch(`${codecUrl}/decode`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{"payloads":[]}' }).then((r) => r.status);
const now = () => Math.floor(Date.now() / 1000);

test('a token of the issuer for our audience decodes', async () => {
  expect(await decode(jwt({ iss: issuer, aud: 'temporal-ui', sub: 'alice', exp: now() + 300 }))).toBe(200);
  expect(await decode(jwt({ iss: issuer, aud: ['other', 'temporal-ui'], sub: 'bob', exp: now() + 300 }))).toBe(200);
});

test('expired, another audience, another issuer, another key, a garbled token: 401', async () => {
  expect(await decode(jwt({ iss: issuer, aud: 'temporal-ui', exp: now() - 3600 }))).toBe(401);
  expect(await decode(jwt({ iss: issuer, aud: 'someone-else', exp: now() + 300 }))).toBe(401);
  expect(await decode(jwt({ iss: 'https://evil.example.com', aud: 'temporal-ui', exp: now() + 300 }))).toBe(401);
  expect(await decode(jwt({ iss: issuer, aud: 'temporal-ui', exp: now() + 300 }, otherKey.privateKey))).toBe(401);
  expect(await decode('not.a-token')).toBe(401);
  const [h, , s] = jwt({ iss: issuer, aud: 'temporal-ui', exp: now() + 300 }).split('.');
  const forged = Buffer.from(JSON.stringify({ iss: issuer, aud: 'temporal-ui', exp: now() + 99999, sub: 'mallory' })).toString('base64url');
  expect(await decode(`${h}.${forged}.${s}`)).toBe(401);
});
