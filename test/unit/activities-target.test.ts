// The target branch: buildConfig, deployCluster, key/meta sync, setClusterOnline, accounts,
// destroyCluster, and cancellation of a hanging tool.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { parse } from 'yaml';
import { createActivities } from '../../activities/index.js';
import type { TiupDisplay } from '../../adapters/types.js';
import { addSource, addTarget, makeDeps, mockEnv, type Fakes } from './activities-fakes.js';

function display(statuses: string[]): TiupDisplay {
  return {
    cluster_meta: { cluster_type: 'tidb', cluster_name: 'tgt-cluster', cluster_version: 'v7.5.1', deploy_user: 'tidb', tls_enabled: false },
    instances: statuses.map((status, i) => ({
      id: `127.0.2.1${i}:1000${i}`,
      role: ['tidb', 'pd', 'tikv'][i % 3],
      host: `127.0.2.1${i}`,
      ports: `1000${i}`,
      os_arch: 'linux/x86_64',
      status,
      ComponentName: ['tidb', 'pd', 'tikv'][i % 3],
      Port: 10000 + i,
    })),
  };
}

describe('deploy steps', () => {
  let fakes: Fakes;
  beforeEach(() => {
    fakes = makeDeps();
  });

  it('buildConfig renders the stored instances with the allocation global ports', async () => {
    addTarget(fakes);
    fakes.store.allocations.set('clone-tgt/prepareResource', { requestId: 'clone-tgt/prepareResource', holderId: 'tgt-cluster', instances: [], globalPorts: [11000, 11001] });
    const { topologyYaml } = await mockEnv().run(createActivities(fakes).buildConfig, { targetClusterId: 'tgt-cluster' });
    const topo = parse(topologyYaml);
    expect(topo.global).toMatchObject({ user: 'tidb', ssh_port: 22 });
    expect(topo.monitored).toEqual({ node_exporter_port: 11000, blackbox_exporter_port: 11001 });
    expect(topo.tidb_servers).toEqual([expect.objectContaining({ host: '127.0.2.11', port: 10000, status_port: 10001 })]);
    expect(topo.pd_servers).toEqual([expect.objectContaining({ host: '127.0.2.12', client_port: 10040, peer_port: 10041 })]);
  });

  it("buildConfig carries the source's bootstrap-only collation setting into server_configs", async () => {
    await addSource(fakes);
    addTarget(fakes);
    fakes.sql.server('127.0.1.11', 4000).configs.push({ component: 'tidb', name: 'new_collations_enabled_on_first_bootstrap', value: 'false' });
    fakes.store.allocations.set('clone-tgt/prepareResource', { requestId: 'clone-tgt/prepareResource', holderId: 'tgt-cluster', instances: [], globalPorts: [11000, 11001] });
    const { topologyYaml } = await mockEnv().run(createActivities(fakes).buildConfig, { targetClusterId: 'tgt-cluster', sourceClusterId: 'src-cluster' });
    expect(parse(topologyYaml).server_configs.tidb).toEqual({ new_collations_enabled_on_first_bootstrap: false });
  });

  it('deployCluster skips the deploy when tiup cluster list already has the name', async () => {
    fakes.tiup.clusters.push({ name: 'tgt-cluster', user: 'tidb', version: 'v7.5.1', path: '', private_key: '' });
    const lines = await mockEnv().run(createActivities(fakes).deployCluster, { targetClusterId: 'tgt-cluster', version: 'v7.5.1', topologyYaml: 'x' });
    expect(fakes.tiup.calls).toEqual(['list']);
    expect(lines[0]).toContain('already deployed');
  });

  it('deployCluster rejects a same-named cluster of another version (not ours)', async () => {
    fakes.tiup.clusters.push({ name: 'tgt-cluster', user: 'tidb', version: 'v6.5.0', path: '', private_key: '' });
    const err = await mockEnv()
      .run(createActivities(fakes).deployCluster, { targetClusterId: 'tgt-cluster', version: 'v7.5.1', topologyYaml: 'x' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe('TOOL_REJECTED');
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect(fakes.tiup.calls).toEqual(['list']);
  });

  it('deployCluster deploys with heartbeats on output lines, then a retry skips', async () => {
    const env = mockEnv();
    const beats: unknown[] = [];
    env.on('heartbeat', (d) => beats.push(d));
    const acts = createActivities(fakes);
    const args = { targetClusterId: 'tgt-cluster', version: 'v7.5.1', topologyYaml: 'global: {}' };
    await env.run(acts.deployCluster, args);
    await env.run(acts.deployCluster, args);
    expect(fakes.tiup.calls).toEqual(['list', 'deploy tgt-cluster v7.5.1', 'list']);
    expect(beats).toContainEqual(expect.objectContaining({ step: 'deploy', lines: 1, lastLine: '+ Deploy TiDB instance 127.0.2.11' }));
    expect(fakes.tiup.lastSignal).toBe(env.context.cancellationSignal);
  });

  it('syncConnectionKey and syncTopology store TiUP files and fail with TiEM text when missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tiup-home-'));
    try {
      fakes.tiup.dir = dir;
      const acts = createActivities(fakes);
      const missing = await mockEnv().run(acts.syncConnectionKey, { targetClusterId: 'tgt-cluster' }).catch((e: unknown) => e);
      expect((missing as ApplicationFailure).type).toBe('CONNECT_TIDB_ERROR');
      expect((missing as ApplicationFailure).message).toContain('sync connection private key failed for cluster tgt-cluster');

      await mkdir(join(dir, 'tgt-cluster', 'ssh'), { recursive: true });
      await writeFile(join(dir, 'tgt-cluster', 'ssh', 'id_rsa'), 'PRIVATE');
      await writeFile(join(dir, 'tgt-cluster', 'ssh', 'id_rsa.pub'), 'PUBLIC');
      await writeFile(join(dir, 'tgt-cluster', 'meta.yaml'), 'user: tidb\n');
      await mockEnv().run(acts.syncConnectionKey, { targetClusterId: 'tgt-cluster' });
      await mockEnv().run(acts.syncTopology, { targetClusterId: 'tgt-cluster' });
      expect(fakes.store.snapshots.get('tgt-cluster')).toEqual({ clusterId: 'tgt-cluster', privateKey: 'PRIVATE', publicKey: 'PUBLIC', metaYaml: 'user: tidb\n' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('setClusterOnline polls display until every instance is Up and TiDB answers, then sets Running', async () => {
    addTarget(fakes);
    fakes.tiup.displays = [display(['Up', 'Down', 'N/A']), display(['Up', 'Up|L', 'Disconnected']), display(['Up', 'Up|L|UI', 'Up'])];
    const env = mockEnv();
    const beats: unknown[] = [];
    env.on('heartbeat', (d) => beats.push(d));
    const lines = await env.run(createActivities(fakes).setClusterOnline, { targetClusterId: 'tgt-cluster' });
    expect(fakes.tiup.calls.filter((c) => c.startsWith('display'))).toHaveLength(3);
    expect(beats).toHaveLength(3);
    expect(lines[0]).toContain('after 3 check(s)');
    const target = fakes.store.clusters.get('tgt-cluster');
    expect(target?.status).toBe('Running');
    expect(target?.instances.every((i) => i.status === 'Running')).toBe(true);
    expect(fakes.sql.server('127.0.2.11', 10000).connects).toEqual([{ user: 'root', ok: true }]);
  });

  it('setClusterOnline gives up with a retryable error after the health timeout', async () => {
    addTarget(fakes);
    fakes.config.healthTimeoutMs = 50;
    fakes.tiup.displays = [display(['Up', 'Down'])];
    const err = (await mockEnv().run(createActivities(fakes).setClusterOnline, { targetClusterId: 'tgt-cluster' }).catch((e: unknown) => e)) as ApplicationFailure;
    expect(err.type).toBe('TASK_FAILED');
    expect(err.nonRetryable).toBe(false);
    expect(err.message).toContain('127.0.2.11:10001 Down');
    expect(fakes.store.clusters.get('tgt-cluster')?.status).toBe('Initializing');
  });

  it('destroyCluster destroys with --force when deployed, releases by holder, and is safe to repeat', async () => {
    fakes.tiup.clusters.push({ name: 'tgt-cluster', user: 'tidb', version: 'v7.5.1', path: '', private_key: '' });
    fakes.store.allocations.set('a', { requestId: 'a', holderId: 'tgt-cluster', instances: [], globalPorts: [] });
    const acts = createActivities(fakes);
    const first = await mockEnv().run(acts.destroyCluster, { targetClusterId: 'tgt-cluster' });
    const second = await mockEnv().run(acts.destroyCluster, { targetClusterId: 'tgt-cluster' });
    expect(fakes.tiup.calls).toEqual(['list', 'destroy tgt-cluster --force', 'list']);
    expect(first).toEqual(['destroy cluster tgt-cluster succeed', 'release 1 resource allocation(s) of cluster tgt-cluster']);
    expect(second).toEqual(['cluster tgt-cluster is not deployed, nothing to destroy', 'no allocated resource found']);
  });
});

describe('accounts', () => {
  let fakes: Fakes;
  beforeEach(() => {
    fakes = makeDeps();
    addTarget(fakes);
  });

  it('initRootAccount sets the password on a fresh cluster and succeeds again when it was already set', async () => {
    const acts = createActivities(fakes);
    const tidb = fakes.sql.server('127.0.2.11', 10000);
    await mockEnv().run(acts.initRootAccount, { targetClusterId: 'tgt-cluster', password: 'Secret#123' });
    expect(tidb.users.get('root')?.password).toBe('Secret#123');
    // A retry after the ALTER succeeded: the empty password is denied, the requested one works.
    await mockEnv().run(acts.initRootAccount, { targetClusterId: 'tgt-cluster', password: 'Secret#123' });
    expect(tidb.connects).toEqual([
      { user: 'root', ok: true },
      { user: 'root', ok: false },
      { user: 'root', ok: true },
    ]);
    expect((await fakes.store.getClusterUser('tgt-cluster', 'root'))?.password).toBe('Secret#123');
  });

  it('initRootAccount fails retryably without leaking the password when root has another password', async () => {
    fakes.sql.server('127.0.2.11', 10000).users.set('root', { password: 'someone-else', privileges: [] });
    const err = (await mockEnv()
      .run(createActivities(fakes).initRootAccount, { targetClusterId: 'tgt-cluster', password: 'Secret#123' })
      .catch((e: unknown) => e)) as ApplicationFailure;
    expect(err.type).toBe('CONNECT_TIDB_ERROR');
    expect(err.nonRetryable).toBe(false);
    expect(err.message).not.toContain('Secret#123');
  });

  it('initAccount creates the version-gated accounts with CSPRNG passwords and keeps them on re-run', async () => {
    const acts = createActivities(fakes);
    await mockEnv().run(acts.initRootAccount, { targetClusterId: 'tgt-cluster', password: 'Secret#123' });
    const lines = await mockEnv().run(acts.initAccount, { targetClusterId: 'tgt-cluster' });
    expect(lines.slice(1)).toEqual(['init user CDC_Data_Sync succeed', 'init user EM_Backup_Restore succeed', 'init user EM_Parameter_Management succeed']);
    const stored = await fakes.store.listClusterUsers('tgt-cluster');
    const cdcPw = stored.find((u) => u.name === 'CDC_Data_Sync')?.password ?? '';
    expect(cdcPw.length).toBe(16);
    expect(new Set(stored.map((u) => u.password)).size).toBe(4);
    const tidb = fakes.sql.server('127.0.2.11', 10000);
    expect(tidb.users.get('EM_Backup_Restore')?.privileges).toEqual(['ALL PRIVILEGES', 'BACKUP_ADMIN', 'RESTORE_ADMIN']);
    await mockEnv().run(acts.initAccount, { targetClusterId: 'tgt-cluster' });
    expect((await fakes.store.getClusterUser('tgt-cluster', 'CDC_Data_Sync'))?.password).toBe(cdcPw);
    expect(tidb.users.get('CDC_Data_Sync')?.password).toBe(cdcPw);
  });

  it('initAccount creates no CDC account below v5.2.2 and none at all below v5.1.0', async () => {
    fakes.store.clusters.get('tgt-cluster')!.version = 'v5.1.0';
    const acts = createActivities(fakes);
    await mockEnv().run(acts.initRootAccount, { targetClusterId: 'tgt-cluster', password: 'Secret#123' });
    const lines = await mockEnv().run(acts.initAccount, { targetClusterId: 'tgt-cluster' });
    expect(lines.slice(1)).toEqual(['init user EM_Backup_Restore succeed', 'init user EM_Parameter_Management succeed']);
    fakes.store.clusters.get('tgt-cluster')!.version = 'v5.0.6';
    expect(await mockEnv().run(acts.initAccount, { targetClusterId: 'tgt-cluster' })).toEqual(['init database account, type: none']);
  });

  it('reconcileAccounts logs in with the source root password after a sys-table restore and re-asserts everything', async () => {
    await addSource(fakes);
    const acts = createActivities(fakes);
    await mockEnv().run(acts.initRootAccount, { targetClusterId: 'tgt-cluster', password: 'Secret#123' });
    await mockEnv().run(acts.initAccount, { targetClusterId: 'tgt-cluster' });
    // BR ≥ v7.6 replaced mysql.user with the source's accounts.
    const tidb = fakes.sql.server('127.0.2.11', 10000);
    tidb.users = new Map([['root', { password: 'source-root-pw', privileges: [] }]]);
    const lines = await mockEnv().run(acts.reconcileAccounts, { targetClusterId: 'tgt-cluster', sourceClusterId: 'src-cluster' });
    expect(lines).toEqual([
      're-assert password of user root succeed',
      're-assert user CDC_Data_Sync succeed',
      're-assert user EM_Backup_Restore succeed',
      're-assert user EM_Parameter_Management succeed',
    ]);
    expect(tidb.users.get('root')?.password).toBe('Secret#123');
    expect(tidb.users.get('EM_Parameter_Management')?.password).toBe((await fakes.store.getClusterUser('tgt-cluster', 'EM_Parameter_Management'))?.password);
  });
});

describe('cancellation', () => {
  it('a hanging tiup deploy stops when the activity is cancelled', async () => {
    const fakes = makeDeps();
    fakes.tiup.hang = true;
    const env = mockEnv();
    const running = env.run(createActivities(fakes).deployCluster, { targetClusterId: 'tgt-cluster', version: 'v7.5.1', topologyYaml: 'x' });
    await new Promise((r) => setTimeout(r, 50));
    expect(fakes.tiup.calls).toEqual(['list', 'deploy tgt-cluster v7.5.1']);
    env.cancel();
    const err = await running.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledFailure);
    expect(fakes.tiup.lastSignal?.aborted).toBe(true);
  });

  it('setClusterOnline stops waiting when cancelled', async () => {
    const fakes = makeDeps({ healthTimeoutMs: 60_000, pollIntervalMs: 20 });
    addTarget(fakes);
    fakes.tiup.displays = [display(['Down'])];
    const env = mockEnv();
    const running = env.run(createActivities(fakes).setClusterOnline, { targetClusterId: 'tgt-cluster' });
    await new Promise((r) => setTimeout(r, 60));
    env.cancel();
    expect(await running.catch((e: unknown) => e)).toBeInstanceOf(CancelledFailure);
  });
});
