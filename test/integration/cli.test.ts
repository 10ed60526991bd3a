// The real `tiem` binary (node bin/tiem.mjs) against the real API server on a running stack
// (Temporal dev server, worker, simulator, SQLite metadata): what an operator types, end to end.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { createApiServer } from '../../api/server.js';
import type { WorkflowDetail, WorkflowSummary } from '../../client/api-types.js';
import { demoCloneRequest } from '../../embedded/demo-fleet.js';
import type { EmbeddedStack } from '../../embedded/stack.js';
import { eventually, SOURCE, startTestStack } from './helpers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TOKEN = 'cli-test-token-0123456789';
const PASSWORD = 'Cli-Target-R00t!pw';

let stack: EmbeddedStack;
let app: Awaited<ReturnType<typeof createApiServer>>;
let apiUrl: string;
const dir = mkdtempSync(join(tmpdir(), 'tiem-cli-'));

beforeAll(async () => {
  stack = await startTestStack(7);
  app = await createApiServer({ client: stack.client, store: stack.store, tokens: [TOKEN] });
  apiUrl = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app?.close();
  await stack?.stop();
});

afterEach(async () => {
  await stack.sim.clearFaults();
});

function tiem(args: string[], opts: { input?: string; token?: string; env?: Record<string, string> } = {}) {
  return execa('node', [join(ROOT, 'bin', 'tiem.mjs'), ...args], {
    cwd: dir,
    reject: false,
    input: opts.input ?? '',
    env: { TIEM_API_URL: apiUrl, TIEM_API_TOKEN: opts.token ?? TOKEN, TIEM_WATCH_INTERVAL_MS: '200', TIEM_DB_PASSWORD: '' , ...opts.env },
    extendEnv: true,
    timeout: 170_000,
  });
}

/** A TiEM clone request file, without the password (it comes from stdin). */
function requestFile(name: string, strategy: 'Snapshot' | 'CDCSync' | 'TopologyClone', over: Record<string, unknown> = {}): string {
  const { dbPassword: _omit, ...request } = demoCloneRequest({ clusterName: name, cloneStrategy: strategy });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ ...request, ...over }));
  return file;
}

let finishedWorkflow = '';
let finishedCluster = '';
let cancelledTarget = '';

test('clone --file --password-stdin starts the clone, watches every step and exits 0 when Finished', async () => {
  const r = await tiem(['clone', '--file', requestFile('cli-snapshot-1', 'Snapshot'), '--password-stdin'], { input: `${PASSWORD}\n` });
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  const ids = /workFlowId (clone-\w+)\nclusterId\s+(\w+)/.exec(r.stdout);
  expect(ids).not.toBeNull();
  [, finishedWorkflow, finishedCluster] = ids!;
  // one line per step with its state and duration, the skipped CDC step, the ending
  for (const step of ['startMaintenance', 'prepareResource', 'modifySourceClusterGCTime', 'backupSourceCluster', 'deployCluster', 'restoreCluster', 'recoverSourceClusterGCTime']) {
    expect(r.stdout).toMatch(new RegExp(`✓ ${step}\\s+done\\s+\\d+(\\.\\d)?s`));
  }
  expect(r.stdout).toMatch(/- syncIncrData\s+skipped/);
  expect(r.stdout).toContain(`${finishedWorkflow}: Finished`);
  expect(r.stdout).not.toContain('\x1b['); // not a terminal: plain lines
  expect(`${r.stdout}${r.stderr}`).not.toContain(PASSWORD);
  // the target is a running cluster with the password from stdin
  expect((await stack.store.getCluster(finishedCluster))!.status).toBe('Running');
}, 180_000);

test('status --json prints one document with the finished node list', async () => {
  const r = await tiem(['status', finishedWorkflow, '--json']);
  expect(r.exitCode).toBe(0);
  const detail = JSON.parse(r.stdout) as WorkflowDetail;
  expect(detail.info).toMatchObject({ id: finishedWorkflow, status: 'Finished', bizId: finishedCluster });
  expect(detail.nodes.find((n) => n.name === 'restoreCluster')?.status).toBe('Finished');
  const human = await tiem(['status', finishedWorkflow]);
  expect(human.stdout).toMatch(/✓ restoreCluster\s+done/);
  expect(human.stdout).toContain(`${finishedWorkflow}: Finished`);
});

test('list --source finds the clone through the search attributes', async () => {
  const found = await eventually(async () => {
    const r = await tiem(['list', '--source', SOURCE.id, '--json']);
    expect(r.exitCode).toBe(0);
    const flows = JSON.parse(r.stdout) as WorkflowSummary[];
    return flows.find((f) => f.workFlowId === finishedWorkflow);
  }, 30_000, 'the clone in the list');
  expect(found).toMatchObject({ clusterId: finishedCluster, sourceClusterId: SOURCE.id, strategy: 'Snapshot', status: 'Finished' });
  const none = await tiem(['list', '--source', 'noSuchSourceCluster', '--state', 'finished', '--json']);
  expect(JSON.parse(none.stdout)).toEqual([]);
  const table = await tiem(['list', '--target', finishedCluster]);
  expect(table.stdout).toMatch(new RegExp(`^WORKFLOW\\s+STATUS[\\s\\S]*${finishedWorkflow}\\s+Finished\\s+Snapshot`, 'm'));
});

test('cancel --wait of a clone whose backup hangs shows the compensation and exits 3; the source is put back', async () => {
  await stack.sim.addFault({ op: 'br.backup', cluster: SOURCE.id, mode: 'hang', times: 'always' });
  const started = await tiem(['clone', '--file', requestFile('cli-cancel-1', 'Snapshot'), '--no-wait', '--json'], { env: { TIEM_DB_PASSWORD: PASSWORD } });
  expect(started.exitCode).toBe(0);
  const { workFlowId, clusterId } = JSON.parse(started.stdout) as { workFlowId: string; clusterId: string };
  await eventually(async () => ((await stack.sim.operations({ op: 'br.backup', cluster: SOURCE.id })).some((o) => o.exitCode === undefined) ? true : undefined), 60_000, 'the hung BR backup');
  expect((await stack.store.getCluster(SOURCE.id))!.maintenanceStatus).toBe('BeingCloned');

  // meanwhile the source is locked: a second clone is refused with 409 → exit 2
  const second = await tiem(['clone', '--file', requestFile('cli-cancel-2', 'Snapshot')], { env: { TIEM_DB_PASSWORD: PASSWORD } });
  expect(second.exitCode).toBe(2);
  expect(second.stderr).toContain('error [20114]');

  // a watcher on a terminal (a pty through `script`): redrawn in place, the running step highlighted
  const watcher = execa('script', ['-qec', `node ${join(ROOT, 'bin', 'tiem.mjs')} watch ${workFlowId}`, '/dev/null'], {
    cwd: dir,
    reject: false,
    input: '',
    env: { TIEM_API_URL: apiUrl, TIEM_API_TOKEN: TOKEN, TIEM_WATCH_INTERVAL_MS: '200' },
    timeout: 170_000,
  });
  await new Promise((res) => setTimeout(res, 1500));

  const r = await tiem(['cancel', workFlowId, '--wait']);
  expect(r.exitCode).toBe(3);
  const tty = await watcher;
  expect(tty.exitCode).toBe(3);
  expect(tty.stdout).toMatch(/\x1b\[\d+A/); // cursor up: frames redrawn in place
  expect(tty.stdout).toContain('\x1b[2K');
  expect(tty.stdout).toMatch(/\x1b\[1;36m {2}▶ backupSourceCluster/); // the current step highlighted
  expect(r.stdout).toMatch(/↺ \w+\s+compensated/); // the undo steps, as they run
  expect(r.stdout).toMatch(/↺ modifySourceClusterGCTime\s+compensated/);
  expect(r.stdout).toMatch(/✗ backupSourceCluster\s+failed/);
  expect(r.stdout).toContain(`${workFlowId}: Canceled`);

  expect((await stack.sim.cluster(SOURCE.id)).gcLifeTime).toBe('10m0s');
  expect((await stack.store.getCluster(SOURCE.id))!.maintenanceStatus).toBe('');
  const target = (await stack.store.getCluster(clusterId))!;
  expect([target.status, target.maintenanceStatus]).toEqual(['Failure', '']);
  cancelledTarget = clusterId;
}, 180_000);

test('cluster delete --wait cleans up the failed clone target', async () => {
  expect(cancelledTarget).not.toBe('');
  const r = await tiem(['cluster', 'delete', cancelledTarget, '--wait']);
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  expect(r.stdout).toMatch(/^DeleteCluster delete-\S+ → cluster /m);
  expect(r.stdout).toMatch(/✓ deleteClusterMeta\s+done/);
  expect(r.stdout).toMatch(/: Finished$/m);
  const list = JSON.parse((await tiem(['cluster', 'list', '--json'])).stdout) as { clusterId: string }[];
  expect(list.map((c) => c.clusterId)).not.toContain(cancelledTarget);
}, 120_000);

test('bad input exits 2 with the TiEM code; a wrong token exits 4', async () => {
  const bad = await tiem(['clone', '--file', requestFile('cli-bad-1', 'Snapshot', { cloneStrategy: 'Mirror' }), '--json'], { env: { TIEM_DB_PASSWORD: PASSWORD } });
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr).toMatch(/^error \[10001\]: /);
  expect(JSON.parse(bad.stdout)).toMatchObject({ error: { code: 10001, httpStatus: 400 } });
  expect(await stack.store.findClusterByName('cli-bad-1')).toBeUndefined();

  const flag = await tiem(['clone', '--password', 'x']);
  expect([flag.exitCode, flag.stderr]).toEqual([2, "error [10001]: Unknown option '--password'"]);

  const denied = await tiem(['cluster', 'list'], { token: 'not-the-token' });
  expect(denied.exitCode).toBe(4);
  expect(denied.stderr).toMatch(/^error \[\d+\]: /);
  expect(denied.stderr).not.toContain(TOKEN);
});

test('cluster list and show', async () => {
  const list = await tiem(['cluster', 'list', '--json']);
  expect(list.exitCode).toBe(0);
  const clusters = JSON.parse(list.stdout) as { clusterId: string; status: string }[];
  expect(clusters.map((c) => c.clusterId)).toEqual(expect.arrayContaining([SOURCE.id, finishedCluster]));
  const human = await tiem(['cluster', 'list']);
  expect(human.stdout).toMatch(new RegExp(`^${SOURCE.id}\\s+${SOURCE.name}\\s+${SOURCE.version}\\s+Running`, 'm'));

  const show = await tiem(['cluster', 'show', finishedCluster]);
  expect(show.exitCode).toBe(0);
  expect(show.stdout).toContain(`cluster      ${finishedCluster}  cli-snapshot-1`);
  expect(show.stdout).toMatch(/^TiKV\s+127\.0\.8\.\d+:\d+/m);
  const missing = await tiem(['cluster', 'show', 'noSuchCluster00000001']);
  expect(missing.exitCode).toBe(2);
  expect(missing.stderr).toContain('error [10003]');
});

test('param-group list / show / create, and clone --dry-run with the new group', async () => {
  const list = await tiem(['param-group', 'list', '--version', 'v5.2']);
  expect(list.exitCode).toBe(0);
  expect(list.stdout).toMatch(/^default-v5\.2\s+default-v5\.2\s+v5\.2\s+default/m);
  const show = await tiem(['param-group', 'show', 'default-v8.5']);
  expect(show.stdout).toMatch(/^pd\.replication\.max-replicas\s+3\s+TiUP\+SQL\s+yes/m);
  const file = join(dir, 'group.json');
  writeFileSync(file, JSON.stringify({ name: 'cli-group', dbType: 1, clusterVersion: 'v7.5', clusterSpec: '8C16G', groupType: 1, params: [{ paramId: 'tidb.log.level', defaultValue: 'warn' }] }));
  const created = await tiem(['param-group', 'create', file, '--json']);
  expect(created.exitCode).toBe(0);
  const { paramGroupId } = JSON.parse(created.stdout) as { paramGroupId: string };
  const dryRunFile = join(dir, 'dry-run.json');
  writeFileSync(dryRunFile, JSON.stringify({ ...demoCloneRequest({ clusterName: 'cli-dry-run', cloneStrategy: 'Snapshot', sourceClusterId: SOURCE.id }), parameterGroupID: paramGroupId }));
  const dry = await tiem(['clone', '--file', dryRunFile, '--password-stdin', '--dry-run'], { input: 'Dry-Run-Passw0rd\n' });
  expect(dry.exitCode).toBe(0);
  expect(dry.stdout).toContain('dry run: no problem found, nothing was created');
  expect(dry.stdout).toContain(`parameter group ${paramGroupId}`);
  // an unknown source and a taken name: both reported, exit 2
  const badFile = join(dir, 'dry-run-bad.json');
  writeFileSync(badFile, JSON.stringify({ ...demoCloneRequest({ clusterName: SOURCE.name, cloneStrategy: 'Snapshot', sourceClusterId: 'noSuchCluster0001' }) }));
  const bad = await tiem(['clone', '--file', badFile, '--dry-run']);
  expect(bad.exitCode).toBe(2);
  expect(bad.stdout).toContain('dry run: 2 problem(s), nothing was created');
  expect(bad.stdout).toMatch(/✗ \[10003\]/);
  expect(bad.stdout).toMatch(/✗ \[20101\]/);
});

test('hosts import of a CSV file adds the hosts to the pool', async () => {
  const csv = join(dir, 'hosts.csv');
  writeFileSync(
    csv,
    [
      'ip,hostName,region,zone,rack,arch,cpuCores,memory,disks',
      '10.77.0.1,cli-h1,CliRegion,"CliRegion,Zone1",R1,X86_64,16,64,nvme0:/data1:1000:NVMeSSD;sda:/data2:2000:SSD',
      '10.77.0.2,cli-h2,CliRegion,"CliRegion,Zone2",R2,X86_64,8,32,sda:/data1:500:SSD',
    ].join('\n'),
  );
  const r = await tiem(['hosts', 'import', csv, '--json']);
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  expect((JSON.parse(r.stdout) as { hostIds: string[] }).hostIds).toHaveLength(2);
  const hosts = (await stack.store.listHosts()).filter((h) => h.ip.startsWith('10.77.0.'));
  expect(hosts.map((h) => [h.ip, h.hostName, h.cpuCores]).sort()).toEqual([
    ['10.77.0.1', 'cli-h1', 16],
    ['10.77.0.2', 'cli-h2', 8],
  ]);

  writeFileSync(csv, 'ip,hostName,region,zone,rack,arch,cpuCores,memory,disks\n10.77.0.3,h,R,Z,K,X86_64,4,8,sda:/d:10:Tape');
  const bad = await tiem(['hosts', 'import', csv]);
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr).toContain('error [10001]: line 2: disk "sda:/d:10:Tape"');
});
