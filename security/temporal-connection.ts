// How every process reaches Temporal: address, TLS (server CA, mTLS client pair, server name) and
// API key, from the `temporal` CLI's own environment variables, so one environment serves the
// worker, the API, `npm run setup:temporal` and `temporal …` alike. Files are read once, at start.
import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';

export interface TemporalConnectionConfig {
  address: string;
  /** Absent: plaintext (the embedded dev server). */
  tls?: TLSConfig;
  /** Temporal Cloud API key (sent as a bearer token; implies TLS). */
  apiKey?: string;
}

function readPem(name: string, path: string | undefined, problems: string[]): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    problems.push(`${name} ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    return undefined;
  }
}

/** TEMPORAL_ADDRESS, TEMPORAL_TLS(=true), TEMPORAL_TLS_CERT/KEY (mTLS), TEMPORAL_TLS_CA, TEMPORAL_TLS_SERVER_NAME, TEMPORAL_API_KEY. */
export function loadTemporalConnection(env: NodeJS.ProcessEnv, problems: string[]): TemporalConnectionConfig {
  const address = env.TEMPORAL_ADDRESS || 'localhost:7233';
  const certPath = env.TEMPORAL_TLS_CERT;
  const keyPath = env.TEMPORAL_TLS_KEY;
  if (Boolean(certPath) !== Boolean(keyPath)) problems.push('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together (the client certificate and its key, for mTLS)');
  const crt = readPem('TEMPORAL_TLS_CERT', certPath, problems);
  const key = readPem('TEMPORAL_TLS_KEY', keyPath, problems);
  const ca = readPem('TEMPORAL_TLS_CA', env.TEMPORAL_TLS_CA, problems);
  const serverName = env.TEMPORAL_TLS_SERVER_NAME || undefined;
  const apiKey = env.TEMPORAL_API_KEY || undefined;
  const tlsFlag = (env.TEMPORAL_TLS ?? '').toLowerCase();
  if (tlsFlag && !['true', 'false', '1', '0'].includes(tlsFlag)) problems.push(`TEMPORAL_TLS must be true or false; got ${JSON.stringify(env.TEMPORAL_TLS)}`);
  if ((tlsFlag === 'false' || tlsFlag === '0') && (certPath || env.TEMPORAL_TLS_CA || apiKey)) {
    problems.push('TEMPORAL_TLS=false with TEMPORAL_TLS_CERT, TEMPORAL_TLS_CA or TEMPORAL_API_KEY set: the client pair, CA and API key need TLS');
  }
  const wantTls = tlsFlag === 'true' || tlsFlag === '1' || Boolean(certPath || env.TEMPORAL_TLS_CA || serverName || apiKey);
  if (!wantTls) return { address };
  const tls: TLSConfig = {
    ...(serverName ? { serverNameOverride: serverName } : {}),
    ...(ca ? { serverRootCACertificate: ca } : {}),
    ...(crt && key ? { clientCertPair: { crt, key } } : {}),
  };
  return { address, tls, ...(apiKey ? { apiKey } : {}) };
}

/** What the SDK's Connection and NativeConnection take (a 10 s connect timeout for the client). */
export function connectionOptions(c: TemporalConnectionConfig): { address: string; tls?: TLSConfig; apiKey?: string } {
  return { address: c.address, ...(c.tls ? { tls: c.tls } : {}), ...(c.apiKey ? { apiKey: c.apiKey } : {}) };
}
