// `npm run codec-server`: the production codec server the Web UI and `temporal --codec-endpoint`
// call to read encrypted payloads. Bearer token required, CORS for the configured UI origins, key
// rotation: encodes with TIEM_CODEC_KEY (its id in each payload's metadata), decodes with it and
// every key of TIEM_CODEC_DECRYPTION_KEYS.
//
//   TIEM_CODEC_KEY, TIEM_CODEC_KEY_ID          the workers' current key (required)
//   TIEM_CODEC_DECRYPTION_KEYS                 older keys still in history: "id=base64,id2=base64"
//   TIEM_CODEC_SERVER_TOKENS                   bearer tokens, comma-separated (16+ chars), for the CLI and scripts
//   TIEM_CODEC_OIDC_ISSUER, TIEM_CODEC_OIDC_AUDIENCE (and TIEM_CODEC_OIDC_JWKS_URL)
//                                              accept the OIDC access token the Web UI forwards ("pass
//                                              access token"); tokens, OIDC or both are required
//   TIEM_CODEC_SERVER_ORIGINS                  the Web UI origins, comma-separated (e.g. https://temporal.example.com)
//   TIEM_CODEC_SERVER_HOST, TIEM_CODEC_SERVER_PORT   default 127.0.0.1:8234
import { createEncryptionCodec, loadCodecKey, type CodecKey } from './codec.js';
import { startCodecServer } from './codec-server.js';
import { OidcVerifier, type OidcOptions } from './oidc.js';

export interface CodecServerConfig {
  key: CodecKey;
  decryptionKeys: CodecKey[];
  tokens: string[];
  oidc?: OidcOptions;
  origins: string[];
  host: string;
  port: number;
}

const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

export function loadCodecServerConfig(env: NodeJS.ProcessEnv): CodecServerConfig {
  const problems: string[] = [];
  let key: CodecKey | undefined;
  try {
    key = loadCodecKey(env);
    if (!key) problems.push('TIEM_CODEC_KEY is required: the key the workers encrypt with');
  } catch (err) {
    problems.push((err as Error).message);
  }
  const decryptionKeys: CodecKey[] = [];
  for (const entry of list(env.TIEM_CODEC_DECRYPTION_KEYS)) {
    const [keyId, value] = entry.split('=', 2).map((s) => s?.trim());
    try {
      const k = keyId && value ? loadCodecKey({ TIEM_CODEC_KEY: value, TIEM_CODEC_KEY_ID: keyId }) : undefined;
      if (!k) throw new Error('must be id=base64');
      decryptionKeys.push(k);
    } catch (err) {
      problems.push(`TIEM_CODEC_DECRYPTION_KEYS entry ${JSON.stringify(keyId ?? '')}: ${(err as Error).message.replace(/TIEM_CODEC_KEY/g, 'the key')}`);
    }
  }
  const tokens = list(env.TIEM_CODEC_SERVER_TOKENS);
  const issuer = env.TIEM_CODEC_OIDC_ISSUER?.trim();
  const audience = env.TIEM_CODEC_OIDC_AUDIENCE?.trim();
  if (Boolean(issuer) !== Boolean(audience)) problems.push('TIEM_CODEC_OIDC_ISSUER and TIEM_CODEC_OIDC_AUDIENCE go together');
  const oidc = issuer && audience ? { issuer, audience, ...(env.TIEM_CODEC_OIDC_JWKS_URL ? { jwksUrl: env.TIEM_CODEC_OIDC_JWKS_URL } : {}) } : undefined;
  if (!tokens.length && !oidc) problems.push('TIEM_CODEC_SERVER_TOKENS or TIEM_CODEC_OIDC_ISSUER/AUDIENCE is required: who may decrypt');
  if (tokens.some((t) => t.length < 16)) problems.push('TIEM_CODEC_SERVER_TOKENS: every token needs 16 characters or more');
  const origins = list(env.TIEM_CODEC_SERVER_ORIGINS);
  for (const o of origins) if (!/^https?:\/\/[^/\s]+$/.test(o)) problems.push(`TIEM_CODEC_SERVER_ORIGINS: ${JSON.stringify(o)} is not an origin (scheme://host[:port])`);
  const port = Number(env.TIEM_CODEC_SERVER_PORT ?? 8234);
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`TIEM_CODEC_SERVER_PORT must be a port number; got ${JSON.stringify(env.TIEM_CODEC_SERVER_PORT)}`);
  if (problems.length) throw new Error(`invalid codec server configuration:\n  - ${problems.join('\n  - ')}`);
  return { key: key!, decryptionKeys, tokens, ...(oidc ? { oidc } : {}), origins, host: env.TIEM_CODEC_SERVER_HOST || '127.0.0.1', port };
}

async function main(): Promise<void> {
  let config: CodecServerConfig;
  try {
    config = loadCodecServerConfig(process.env);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  const codec = createEncryptionCodec({ ...config.key, decryptionKeys: config.decryptionKeys });
  const oidc = config.oidc ? new OidcVerifier(config.oidc) : undefined;
  const server = await startCodecServer({ codec, tokens: config.tokens, ...(oidc ? { oidc } : {}), allowedOrigins: config.origins, host: config.host, port: config.port });
  const address = server.address() as { port: number };
  console.log(`tiem-clone codec server on ${config.host}:${address.port}: encodes with key ${config.key.keyId}, decodes ${[config.key, ...config.decryptionKeys].map((k) => k.keyId).join(', ')}`);
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (import.meta.url === `file://${process.argv[1]}`) void main();
