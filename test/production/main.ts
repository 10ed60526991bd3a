// The production shape, as separate processes started with the README's environment variables:
// PostgreSQL (metadata and Temporal), the real Temporal server with mTLS required, the simulator,
// two general workers (TIEM_WORKER_ROLE=shared, no TiUP at all), one control-host worker
// (TIEM_WORKER_ROLE=control-host) and two API processes. Three clones of three sources go in
// through both APIs at once; one general worker is SIGKILLed mid-clone; all three must finish, with
// every activity that reaches a cluster run by the control-host worker (read back from the
// activity history), and a client without a certificate must be refused.
//
//   npm run test:production [-- --keep]      (CI: .ci/run)
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { CONTROL_HOST_ACTIVITIES } from '../../activities/routing.js';
import { demoCloneRequest, demoHosts, seedSourceCluster, type SourceClusterSpec } from '../../embedded/demo-fleet.js';
import { freePort } from '../../embedded/temporal-server.js';
import { openMetadataStore } from '../../metadata/index.js';
import { createTestDatabase } from '../../metadata/testing.js';
import { createEncryptionCodec, loadCodecKey } from '../../security/codec.js';
import { connectionOptions, loadTemporalConnection } from '../../security/temporal-connection.js';
import { SimulatorClient } from '../../simulator/client.js';
import { startSimulator } from '../../simulator/launch.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const keep = process.argv.includes('--keep');
const CONTROL_HOST = 'tiup-ctl-1';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const MiB = 1024 ** 2;

interface Proc {
  name: string;
  child: ChildProcess;
  log: string;
}

const procs: Proc[] = [];
const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  console.log(`${ok ? '  ok  ' : '  FAIL'} ${what}`);
  if (!ok) failures.push(what);
};

function script(name: string, args: string[] = []): string {
  const r = spawnSync(process.execPath, [join(root, 'scripts', name), ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`${name} ${args.join(' ')} failed (${r.status})`);
  return r.stdout.trim().split('\n').pop()!;
}

function start(name: string, entry: string, env: Record<string, string>, dir: string): Proc {
  const log = join(dir, 'logs', `${name}.log`);
  const out = openSync(log, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, entry)], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const p = { name, child, log };
  procs.push(p);
  return p;
}

const readLog = (p: Proc) => {
  try {
    return readFileSync(p.log, 'utf8');
  } catch {
    return '';
  }
};

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`);
    await sleep(250);
  }
}

function sourceSpec(i: number): SourceClusterSpec {
  const n = String(i + 1).padStart(2, '0');
  return {
    id: `prodSource${n}`,
    name: `prod-source-${n}`,
    version: 'v7.5.1',
    rootPassword: `Prod-Src-R00t-${n}!`,
    net: `127.0.${70 + i}`,
    withCdc: true,
    tables: [{ db: 'shop', table: 'orders', rows: 2_000_000, sizeBytes: 2048 * MiB }],
    writesPerSec: 5,
  };
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'tiem-production-'));
  mkdirSync(join(dir, 'logs'));
  for (const d of ['tiup', 'backup', 'empty-tiup-home']) mkdirSync(join(dir, d));
  console.log(`production shape in ${dir}`);

  // PostgreSQL for both; the real Temporal server with mTLS required.
  const pgUrl = script('setup-postgres.mjs');
  const address = script('start-temporal-server.mjs', ['--mtls']);
  const tlsDir = join(root, '.tiem', 'temporal-server-mtls', 'tls');
  const temporalEnv = {
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TLS_CA: join(tlsDir, 'ca.pem'),
    TEMPORAL_TLS_CERT: join(tlsDir, 'client.pem'),
    TEMPORAL_TLS_KEY: join(tlsDir, 'client.key'),
    TEMPORAL_TLS_SERVER_NAME: 'localhost',
  };
  const setup = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'setup-temporal-namespace.ts')], { cwd: root, env: { ...process.env, ...temporalEnv }, encoding: 'utf8' });
  check(setup.status === 0, `npm run setup:temporal over mTLS registers the namespace and search attributes${setup.status === 0 ? '' : `: ${setup.stderr}${setup.stdout}`}`);

  const database = await createTestDatabase(pgUrl);
  const simulator = await startSimulator({ speed: 20, tiupHome: join(dir, 'tiup'), stateDir: join(dir, 'simulator'), logFile: join(dir, 'logs', 'simulator.log') });
  const sim = new SimulatorClient(simulator.url);
  const common: Record<string, string> = {
    ...temporalEnv,
    TIEM_METADATA_URL: database.url,
    TIEM_SECRET_KEY: randomBytes(32).toString('base64'),
    TIEM_CODEC_KEY: randomBytes(32).toString('base64'),
    TIEM_CODEC_KEY_ID: 'production-shape',
    TIEM_DEFAULT_CONTROL_HOST: CONTROL_HOST,
  };
  const workerEnv: Record<string, string> = {
    ...common,
    TIEM_BACKUP_STORAGE: `local://${join(dir, 'backup')}`,
    TIEM_HEALTH_TIMEOUT: '2m',
    TIEM_POLL_INTERVAL: '1s',
    TIEM_HEARTBEAT_THROTTLE: '1s',
    TIEM_SHUTDOWN_GRACE: '5s',
    TIEM_RECONCILE_INTERVAL: '0s',
  };
  const store = openMetadataStore(database.url, Buffer.from(common.TIEM_SECRET_KEY, 'base64'));
  await store.migrate();
  await store.addHosts(demoHosts('127.0.80'));
  const sources = [0, 1, 2].map(sourceSpec);
  for (const s of sources) await seedSourceCluster(sim, store, s);
  await store.close();

  // The control host has TiUP (the simulator's); the general workers have none at all.
  const control = start('worker-control-host', 'worker/main.ts', { ...workerEnv, ...simulator.env, TIUP_BIN: simulator.tiupBin, TIUP_HOME: join(dir, 'tiup'), TIEM_SSH_KEY: join(dir, 'tiup', 'id_rsa'), TIEM_WORKER_ROLE: 'control-host', TIEM_CONTROL_HOST: CONTROL_HOST }, dir);
  const general = [1, 2].map((i) => start(`worker-general-${i}`, 'worker/main.ts', { ...workerEnv, TIUP_BIN: '/nonexistent/tiup', TIUP_HOME: join(dir, 'empty-tiup-home'), TIEM_WORKER_ROLE: 'shared' }, dir));
  const token = randomBytes(24).toString('hex');
  const apiPorts = [await freePort(), await freePort()];
  const apis = apiPorts.map((port, i) => start(`api-${i + 1}`, 'api/main.ts', { ...common, TIEM_API_TOKENS: token, TIEM_API_PORT: String(port), TIEM_API_HOST: '127.0.0.1' }, dir));
  for (const w of [control, ...general]) await waitFor(`${w.name} polling`, () => /tiem-clone worker \(/.test(readLog(w)) || w.child.exitCode !== null);
  for (const w of [control, ...general]) check(w.child.exitCode === null, `${w.name} connected over mTLS and polls`);
  for (const [i, port] of apiPorts.entries()) {
    await waitFor(`api-${i + 1} listening`, () => fetch(`http://127.0.0.1:${port}/healthz`).then(() => true, () => apis[i]!.child.exitCode !== null));
  }

  // Refused without a client certificate: the SDK client, and a worker process.
  const noCert = await Connection.connect({ address, tls: { serverNameOverride: 'localhost', serverRootCACertificate: readFileSync(join(tlsDir, 'ca.pem')) }, connectTimeout: 5000 })
    .then(async (c) => {
      try {
        await c.workflowService.getSystemInfo({});
        return 'accepted';
      } finally {
        await c.close();
      }
    })
    .catch((err: unknown) => String(err));
  check(noCert !== 'accepted', `a client without a certificate is refused (${noCert.split('\n')[0]!.slice(0, 100)})`);
  const { TEMPORAL_TLS_CERT: _c, TEMPORAL_TLS_KEY: _k, ...withoutCert } = workerEnv;
  const refusedWorker = start('worker-without-certificate', 'worker/main.ts', { ...withoutCert, TIEM_WORKER_ROLE: 'shared' }, dir);
  await waitFor('the worker without a certificate exits', () => refusedWorker.child.exitCode !== null, 60_000).catch(() => undefined);
  check(refusedWorker.child.exitCode !== null && refusedWorker.child.exitCode !== 0, `a worker without a client certificate is refused and exits (${refusedWorker.child.exitCode})`);
  const { TEMPORAL_TLS_CERT: _ac, TEMPORAL_TLS_KEY: _ak, ...apiWithoutCert } = common;
  const refusedApi = start('api-without-certificate', 'api/main.ts', { ...apiWithoutCert, TIEM_API_TOKENS: token, TIEM_API_PORT: String(await freePort()), TIEM_API_HOST: '127.0.0.1' }, dir);
  await waitFor('the API without a certificate exits', () => refusedApi.child.exitCode !== null, 60_000).catch(() => undefined);
  check(refusedApi.child.exitCode !== null && refusedApi.child.exitCode !== 0, `an API without a client certificate is refused and exits (${refusedApi.child.exitCode})`);

  // Three clones of three sources, through both APIs at once.
  const post = async (apiIndex: number, body: unknown) => {
    const res = await fetch(`http://127.0.0.1:${apiPorts[apiIndex]}/api/v1/clusters/clone`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await res.json()) as { code: number; message: string; data?: { workFlowId: string; clusterId: string } };
    if (res.status !== 200 || !json.data) throw new Error(`clone via api-${apiIndex + 1}: HTTP ${res.status} ${JSON.stringify(json)}`);
    return json.data;
  };
  const strategies = ['Snapshot', 'CDCSync', 'Snapshot'] as const;
  const clones = await Promise.all(
    sources.map((s, i) => post(i % 2, demoCloneRequest({ clusterName: `prod-clone-${i + 1}`, cloneStrategy: strategies[i]!, sourceClusterId: s.id, clusterVersion: s.version }))),
  );
  check(clones.length === 3, `three clones admitted through both APIs: ${clones.map((c) => c.workFlowId).join(', ')}`);

  const codecKey = loadCodecKey(common)!;
  const problems: string[] = [];
  const connection = await Connection.connect({ ...connectionOptions(loadTemporalConnection(temporalEnv, problems)), connectTimeout: 10_000 });
  const client = new Client({ connection, namespace: 'default', dataConverter: { payloadCodecs: [createEncryptionCodec(codecKey)] } });

  // Mid-clone: once every clone is past admission and one has its deploy running, kill a general worker.
  const victim = general[0]!;
  await waitFor('a deploy running', async () => {
    for (const c of clones) {
      const d = await client.workflow.getHandle(c.workFlowId).describe();
      if (d.raw.pendingActivities?.some((a) => a.activityType?.name === 'deployCluster')) return true;
    }
    return false;
  }, 180_000);
  victim.child.kill('SIGKILL');
  await waitFor('the killed worker gone', () => victim.child.exitCode !== null || victim.child.signalCode !== null, 10_000);
  check(victim.child.signalCode === 'SIGKILL', `${victim.name} SIGKILLed mid-clone`);

  const outcomes = await Promise.all(
    clones.map(async (c) => {
      const timeout = sleep(15 * 60_000).then(() => 'timed out after 15 min');
      return Promise.race([client.workflow.getHandle(c.workFlowId).result().then(() => 'completed', (e: unknown) => `failed: ${String(e)}`), timeout]);
    }),
  );
  outcomes.forEach((o, i) => check(o === 'completed', `clone ${clones[i]!.workFlowId} (${strategies[i]}) ${o}`));

  // Both APIs answer for every clone (stateless behind a load balancer).
  for (const [i, c] of clones.entries()) {
    const res = await fetch(`http://127.0.0.1:${apiPorts[(i + 1) % 2]}/api/v1/workflow/${c.workFlowId}`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { data?: { info?: { status?: string } } };
    check(body.data?.info?.status === 'Finished', `api-${((i + 1) % 2) + 1} reports ${c.workFlowId} Finished (another API started it)`);
  }

  // Who ran what, from the activity history of every clone and its children.
  const identity = (p: Proc) => `${p.child.pid}@${hostname()}`;
  const controlId = identity(control);
  const generalIds = new Set(general.map(identity));
  const ranBy = new Map<string, Set<string>>();
  let misrouted: string[] = [];
  for (const c of clones) {
    const ids = [c.workFlowId];
    for await (const child of client.workflow.list({ query: `ParentWorkflowId = '${c.workFlowId}'` })) ids.push(child.workflowId);
    for (const id of ids) {
      const history = await client.workflow.getHandle(id).fetchHistory();
      const scheduled = new Map<string, string>();
      for (const e of history.events ?? []) {
        if (e.activityTaskScheduledEventAttributes) scheduled.set(String(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
        const started = e.activityTaskStartedEventAttributes;
        if (!started) continue;
        const name = scheduled.get(String(started.scheduledEventId)) ?? '?';
        const by = started.identity ?? '';
        if (!ranBy.has(name)) ranBy.set(name, new Set());
        ranBy.get(name)!.add(by === controlId ? 'control-host' : generalIds.has(by) ? 'general' : by);
        const expected = CONTROL_HOST_ACTIVITIES.has(name) ? by === controlId : generalIds.has(by);
        if (!expected) misrouted.push(`${id}: ${name} ran on ${by}`);
      }
    }
  }
  misrouted = [...new Set(misrouted)];
  const tiupBr = ['deployCluster', 'startCluster', 'backup', 'restoreFromSrcCluster', 'persistCluster'];
  check(tiupBr.every((n) => ranBy.get(n)?.size === 1 && ranBy.get(n)!.has('control-host')), `every TiUP/BR run on the control-host worker (${tiupBr.join(', ')})`);
  check(['prepareResource', 'controlHostOf', 'updateBackupRecord'].every((n) => ranBy.get(n) && [...ranBy.get(n)!].every((w) => w === 'general')), 'the metadata activities on the general workers');
  check(misrouted.length === 0, `no activity on the wrong worker${misrouted.length ? `: ${misrouted.slice(0, 5).join('; ')}` : ''}`);
  await connection.close();
  return failures.length ? 1 : 0;

}

async function stopAll(): Promise<void> {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  await sleep(2000);
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
}

main()
  .then(
    (code) => code,
    (err: unknown) => {
      console.error(err);
      return 1;
    },
  )
  .then(async (code) => {
    await stopAll();
    if (!keep) spawnSync(process.execPath, [join(root, 'scripts', 'start-temporal-server.mjs'), 'stop', '--mtls'], { stdio: 'inherit' });
    if (code) for (const p of procs) console.error(`--- ${p.name} (${p.log}), last lines:\n${readLog(p).split('\n').slice(-15).join('\n')}`);
    console.log(code ? `production shape: FAILED (${failures.length} check(s) failed${failures.length ? "" : ", or it stopped early"})` : "production shape: all checks passed");
    process.exit(code);
  });
