import { loadApiConfig } from '../../api/config.js';
import { loadWorkerConfig, ConfigError } from '../../worker/config.js';

const key = Buffer.alloc(32, 7).toString('base64');

test('every problem is reported at once, without echoing secrets', () => {
  let err: unknown;
  try {
    loadWorkerConfig({ TIEM_CODEC_KEY: 'c2hvcnQ=', TIEM_SHUTDOWN_GRACE: '0s', TIEM_POLL_INTERVAL: 'soon' });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConfigError);
  const problems = (err as ConfigError).problems.join('\n');
  expect(problems).toMatch(/TIEM_SECRET_KEY is required/);
  expect(problems).toMatch(/TIEM_CODEC_KEY must decode to 32 bytes/);
  expect(problems).toMatch(/TIEM_BACKUP_STORAGE is required/);
  expect(problems).toMatch(/TIEM_SHUTDOWN_GRACE must be more than 0/);
  expect(problems).toMatch(/TIEM_POLL_INTERVAL must be a duration/);
  expect(problems).not.toContain('c2hvcnQ=');
});

test('defaults and parsed values', () => {
  const c = loadWorkerConfig({ TIEM_SECRET_KEY: key, TIEM_BACKUP_STORAGE: 's3://b/p/', TIEM_HEALTH_TIMEOUT: '90s', TIEM_ALLOW_PLAINTEXT_PAYLOADS: '1' });
  expect(c.temporalAddress).toBe('localhost:7233');
  expect(c.taskQueue).toBe('tiem-clone');
  expect(c.backupStorageBase).toBe('s3://b/p');
  expect(c.healthTimeoutMs).toBe(90_000);
  expect(c.shutdownGraceMs).toBe(30_000);
  expect(c.codecKey).toBeUndefined();
  expect(c.secretKey.length).toBe(32);
});

test('the codec key is required unless plaintext payloads are explicitly allowed; its id defaults like the API and clients', () => {
  expect(() => loadWorkerConfig({ TIEM_SECRET_KEY: key, TIEM_BACKUP_STORAGE: 's3://b/p' })).toThrow(/TIEM_CODEC_KEY is required/);
  const c = loadWorkerConfig({ TIEM_SECRET_KEY: key, TIEM_BACKUP_STORAGE: 's3://b/p', TIEM_CODEC_KEY: key });
  expect(c.codecKey?.keyId).toBe(loadApiConfig({ TIEM_SECRET_KEY: key, TIEM_CODEC_KEY: key, TIEM_API_TOKENS: 'a-token-of-16-chars-or-more' }).codecKey?.keyId);
});

test('credentials in the backup storage URI are refused', () => {
  expect(() =>
    loadWorkerConfig({ TIEM_SECRET_KEY: key, TIEM_CODEC_KEY: key, TIEM_BACKUP_STORAGE: 's3://b/p?access-key=AK&secret-access-key=SK' }),
  ).toThrow(/must not carry credentials/);
});

test('worker role and control host: both queues by default, names checked', () => {
  const base = { TIEM_SECRET_KEY: key, TIEM_BACKUP_STORAGE: 's3://b/p', TIEM_ALLOW_PLAINTEXT_PAYLOADS: '1' };
  expect(loadWorkerConfig(base)).toMatchObject({ role: 'all', controlHost: 'local', defaultControlHost: 'local' });
  expect(loadWorkerConfig({ ...base, TIEM_DEFAULT_CONTROL_HOST: 'tiup-1' })).toMatchObject({ controlHost: 'tiup-1', defaultControlHost: 'tiup-1' });
  expect(loadWorkerConfig({ ...base, TIEM_WORKER_ROLE: 'control-host', TIEM_CONTROL_HOST: 'tiup-2' })).toMatchObject({ role: 'control-host', controlHost: 'tiup-2' });
  expect(() => loadWorkerConfig({ ...base, TIEM_WORKER_ROLE: 'tiup' })).toThrow(/TIEM_WORKER_ROLE must be one of all, shared, control-host/);
  expect(() => loadWorkerConfig({ ...base, TIEM_CONTROL_HOST: 'tiup host/1' })).toThrow(/TIEM_CONTROL_HOST "tiup host\/1" must be 1-63 letters/);
});
