// API process configuration from the environment, validated at start: every problem is listed
// at once and no secret (keys, tokens) is ever echoed.
import { resolve } from 'node:path';
import { requireCodecKey, type CodecKey } from '../security/codec.js';
import { loadTemporalConnection, type TemporalConnectionConfig } from '../security/temporal-connection.js';
import { TASK_QUEUE } from '../workflows/definitions.js';

export interface ApiConfig {
  temporalAddress: string;
  /** TLS, mTLS and API key to Temporal (security/temporal-connection.ts). */
  temporal: TemporalConnectionConfig;
  namespace: string;
  taskQueue: string;
  metadataUrl: string;
  /** AES-256 key of secrets at rest in the metadata DB (the worker's TIEM_SECRET_KEY). */
  secretKey: Buffer;
  /** The payload codec key of the workers; absent → payloads are not encrypted. */
  codecKey?: CodecKey;
  tokens: string[];
  port: number;
  host: string;
}

export class ApiConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid API configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ApiConfigError';
  }
}

/** Tokens travel in `Authorization: Bearer <token>` (RFC 6750 token68 characters). */
const TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
export const MIN_TOKEN_LENGTH = 16;

export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const problems: string[] = [];

  let secretKey = Buffer.alloc(0);
  if (!env.TIEM_SECRET_KEY) problems.push('TIEM_SECRET_KEY is required (32 bytes, base64): the same key as the worker, it decrypts metadata secrets');
  else {
    secretKey = Buffer.from(env.TIEM_SECRET_KEY.trim(), 'base64');
    if (secretKey.length !== 32) problems.push(`TIEM_SECRET_KEY must be 32 bytes, base64-encoded; got ${secretKey.length} bytes`);
  }

  const codec = requireCodecKey(env);
  problems.push(...codec.problems);
  const codecKey: CodecKey | undefined = codec.codecKey;

  const tokens = (env.TIEM_API_TOKENS ?? '').split(',').map((t) => t.trim()).filter((t) => t.length > 0);
  if (tokens.length === 0) problems.push('TIEM_API_TOKENS is required: one or more bearer tokens, comma-separated (e.g. `openssl rand -hex 32`)');
  tokens.forEach((t, i) => {
    if (!TOKEN.test(t)) problems.push(`TIEM_API_TOKENS token #${i + 1} has characters a bearer token cannot carry (allowed: A-Z a-z 0-9 - . _ ~ + /)`);
    else if (t.length < MIN_TOKEN_LENGTH) problems.push(`TIEM_API_TOKENS token #${i + 1} is shorter than ${MIN_TOKEN_LENGTH} characters`);
  });

  const portText = env.TIEM_API_PORT ?? '4100';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`TIEM_API_PORT must be a port number 0-65535; got ${JSON.stringify(portText)}`);

  const host = env.TIEM_API_HOST?.trim() || '127.0.0.1';
  const metadataUrl = env.TIEM_METADATA_URL ?? `sqlite:${resolve('.tiem/metadata.sqlite')}`;
  const temporal = loadTemporalConnection(env, problems);

  if (problems.length) throw new ApiConfigError(problems);
  return {
    temporalAddress: temporal.address,
    temporal,
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: env.TIEM_TASK_QUEUE ?? TASK_QUEUE,
    metadataUrl,
    secretKey,
    codecKey,
    tokens,
    port,
    host,
  };
}
