// Worker configuration from the environment, validated at start: every problem is reported at
// once, and no secret value is ever echoed.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseGoDuration } from '../domain/go-duration.js';
import { requireCodecKey } from '../security/codec.js';
import { DEFAULT_CONTROL_HOST, validateControlHostName } from '../domain/control-host.js';
import { loadTemporalConnection, type TemporalConnectionConfig } from '../security/temporal-connection.js';
import { TASK_QUEUE } from '../workflows/definitions.js';

export interface WorkerConfig {
  temporalAddress: string;
  /** TLS, mTLS and API key to Temporal (security/temporal-connection.ts). */
  temporal: TemporalConnectionConfig;
  namespace: string;
  taskQueue: string;
  metadataUrl: string;
  /** AES-256 key for secrets at rest in the metadata DB. */
  secretKey: Buffer;
  /** AES-256 key of the payload codec (spec §7); absent → payloads are not encrypted. */
  codecKey?: { keyId: string; key: Buffer };
  tiupBin: string;
  tiupHome: string;
  deployUser: string;
  sshKeyPath: string;
  sshPort: number;
  backupStorageBase: string;
  cloneGcLifeTime: string;
  healthTimeoutMs: number;
  pollIntervalMs: number;
  shutdownGraceMs: number;
  maxConcurrentActivities: number;
  /** Upper bound on heartbeat throttling, so cancellation reaches tool runs quickly. */
  heartbeatThrottleMs: number;
  /** Period of the reconciler schedule; 0 leaves the schedule alone (another deployment owns it). */
  reconcileIntervalMs: number;
  /** What this worker serves: the shared queue (workflows, metadata), its control host's queue (TiUP, BR, SQL, TiCDC), or both. */
  role: WorkerRole;
  /** The control host this worker runs on (its TIUP_HOME); clusters it deploys or takes over are bound to it. */
  controlHost: string;
  /** The control host of clusters recorded without one. */
  defaultControlHost: string;
}

export const WORKER_ROLES = ['all', 'shared', 'control-host'] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid worker configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

function key32(name: string, value: string | undefined, problems: string[]): Buffer | undefined {
  if (!value) return undefined;
  const buf = Buffer.from(value, 'base64');
  if (buf.length !== 32) {
    problems.push(`${name} must be 32 bytes, base64-encoded (e.g. \`openssl rand -base64 32\`); got ${buf.length} bytes`);
    return undefined;
  }
  return buf;
}

function duration(name: string, value: string | undefined, fallback: string, problems: string[]): number {
  try {
    return parseGoDuration(value ?? fallback);
  } catch {
    problems.push(`${name} must be a duration like 30s, 10m, 1h30m; got ${JSON.stringify(value)}`);
    return 0;
  }
}

function int(name: string, value: string | undefined, fallback: number, problems: string[]): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) problems.push(`${name} must be a positive integer; got ${JSON.stringify(value)}`);
  return n;
}

function controlHostName(name: string, value: string | undefined, problems: string[]): string {
  try {
    return validateControlHostName(value || DEFAULT_CONTROL_HOST, name);
  } catch (err) {
    problems.push((err as Error).message);
    return DEFAULT_CONTROL_HOST;
  }
}

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const problems: string[] = [];
  const role = (env.TIEM_WORKER_ROLE || 'all') as WorkerRole;
  if (!WORKER_ROLES.includes(role)) problems.push(`TIEM_WORKER_ROLE must be one of ${WORKER_ROLES.join(', ')}; got ${JSON.stringify(env.TIEM_WORKER_ROLE)}`);
  const defaultControlHost = controlHostName('TIEM_DEFAULT_CONTROL_HOST', env.TIEM_DEFAULT_CONTROL_HOST, problems);
  const temporal = loadTemporalConnection(env, problems);
  const secretKey = key32('TIEM_SECRET_KEY', env.TIEM_SECRET_KEY, problems);
  if (!env.TIEM_SECRET_KEY) problems.push('TIEM_SECRET_KEY is required (32 bytes, base64): it encrypts passwords and keys in the metadata DB');
  const codec = requireCodecKey(env);
  problems.push(...codec.problems);
  const backup = env.TIEM_BACKUP_STORAGE;
  if (!backup) problems.push('TIEM_BACKUP_STORAGE is required: s3://bucket/prefix?... or local:///shared/nfs/path reachable from every TiKV');
  else if (!/^(s3|local|gcs|azure):\/\//.test(backup)) problems.push(`TIEM_BACKUP_STORAGE must be a BR storage URI (s3://, local://, gcs://, azure://)`);
  // The URI is stored with backup records, passed on BR's argv and kept in history: no credentials in it.
  else if (/[?&](access-key|secret-access-key|session-token|sas-token|credentials-file|account-key)=/i.test(backup)) {
    problems.push('TIEM_BACKUP_STORAGE must not carry credentials: give BR AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or an instance role) in the worker environment instead');
  }
  const config: WorkerConfig = {
    temporalAddress: temporal.address,
    temporal,
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: env.TIEM_TASK_QUEUE ?? TASK_QUEUE,
    metadataUrl: env.TIEM_METADATA_URL ?? `sqlite:${resolve('.tiem/metadata.sqlite')}`,
    secretKey: secretKey ?? Buffer.alloc(0),
    codecKey: codec.codecKey,
    tiupBin: env.TIUP_BIN ?? 'tiup',
    tiupHome: env.TIUP_HOME ?? join(homedir(), '.tiup'),
    deployUser: env.TIEM_DEPLOY_USER ?? 'tidb',
    sshKeyPath: env.TIEM_SSH_KEY ?? join(homedir(), '.ssh', 'id_rsa'),
    sshPort: int('TIEM_SSH_PORT', env.TIEM_SSH_PORT, 22, problems),
    backupStorageBase: (backup ?? '').replace(/\/+$/, ''),
    cloneGcLifeTime: env.TIEM_CLONE_GC_LIFE_TIME ?? '720h',
    healthTimeoutMs: duration('TIEM_HEALTH_TIMEOUT', env.TIEM_HEALTH_TIMEOUT, '10m', problems),
    pollIntervalMs: duration('TIEM_POLL_INTERVAL', env.TIEM_POLL_INTERVAL, '10s', problems),
    shutdownGraceMs: duration('TIEM_SHUTDOWN_GRACE', env.TIEM_SHUTDOWN_GRACE, '30s', problems),
    maxConcurrentActivities: int('TIEM_MAX_CONCURRENT_ACTIVITIES', env.TIEM_MAX_CONCURRENT_ACTIVITIES, 20, problems),
    heartbeatThrottleMs: duration('TIEM_HEARTBEAT_THROTTLE', env.TIEM_HEARTBEAT_THROTTLE, '30s', problems),
    reconcileIntervalMs: duration('TIEM_RECONCILE_INTERVAL', env.TIEM_RECONCILE_INTERVAL, '5m', problems),
    role,
    controlHost: controlHostName('TIEM_CONTROL_HOST', env.TIEM_CONTROL_HOST || defaultControlHost, problems),
    defaultControlHost,
  };
  if (config.shutdownGraceMs <= 0) problems.push('TIEM_SHUTDOWN_GRACE must be more than 0: in-flight tool runs need time to stop');
  duration('TIEM_CLONE_GC_LIFE_TIME', config.cloneGcLifeTime, '720h', problems);
  if (problems.length) throw new ConfigError(problems);
  return config;
}
