// Parameter steps and the modifyParameters child activities, plus the end-of-clone bookkeeping.
import { ApplicationFailure } from '@temporalio/common';
import { parse } from 'yaml';
import { createActivities } from '../../activities/index.js';
import { instanceLogDir } from '../../activities/logs.js';
import type { ModifyParametersInput } from '../../activities/types.js';
import { addSource, addTarget, makeDeps, mockEnv, type Fakes } from './activities-fakes.js';

function input(over: Partial<ModifyParametersInput>): ModifyParametersInput {
  return { clusterId: 'tgt-cluster', mode: 'update', params: [], reboot: true, purpose: 'adjustParameters', ...over };
}

async function fails(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('validationParameter', () => {
  const acts = createActivities(makeDeps());

  it('rejects max-replicas 4 with TiEM message, non-retryable', async () => {
    const err = await fails(mockEnv().run(acts.validationParameter, input({ params: [{ component: 'pd', name: 'replication.max-replicas', value: '4' }] })));
    expect(err.type).toBe('PARAMETER_INVALID');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain('Validation parameter `pd.replication.max-replicas` failed, update value: 4');
  });

  it('accepts valid values and checks int ranges, enums, bools and unknown names', async () => {
    await mockEnv().run(
      acts.validationParameter,
      input({
        params: [
          { component: 'pd', name: 'replication.max-replicas', value: '5' },
          { component: 'tikv', name: 'raftstore.apply-pool-size', value: '64' },
          { component: 'tidb', name: 'mem-quota-query', value: '9223372036854775807' },
          { component: 'tikv', name: 'storage.block-cache.capacity', value: '4GiB' },
          { component: 'tidb', name: 'log.level', value: '' },
        ],
      }),
    );
    const bad = async (component: 'tikv' | 'tidb', name: string, value: string) =>
      (await fails(mockEnv().run(acts.validationParameter, input({ params: [{ component, name, value }] })))).message;
    expect(await bad('tikv', 'raftstore.apply-pool-size', '65')).toContain('out of range');
    expect(await bad('tikv', 'raftstore.apply-pool-size', 'two')).toContain('not an integer');
    expect(await bad('tidb', 'log.level', 'verbose')).toContain('not one of');
    expect(await bad('tidb', 'no.such-param', '1')).toContain('unknown parameter');
    expect(await bad('tidb', 'new_collations_enabled_on_first_bootstrap', 'true')).toContain('read-only');
  });
});

describe('parameter steps', () => {
  let fakes: Fakes;
  beforeEach(async () => {
    fakes = makeDeps();
    await addSource(fakes);
    addTarget(fakes);
    await fakes.store.upsertClusterUser({ clusterId: 'tgt-cluster', name: 'EM_Parameter_Management', password: 'pm-pw', role: 'ParameterManagement' });
    fakes.sql.server('127.0.2.11', 10000).users.set('EM_Parameter_Management', { password: 'pm-pw', privileges: [] });
  });

  it('adjustParameters asks for max-replicas = copies with reboot', async () => {
    const res = await mockEnv().run(createActivities(fakes).adjustParameters, { targetClusterId: 'tgt-cluster', copies: 3 });
    expect(res).toEqual({ clusterId: 'tgt-cluster', mode: 'update', params: [{ component: 'pd', name: 'replication.max-replicas', value: '3' }], reboot: true, purpose: 'adjustParameters' });
  });

  it('applyParameterGroup loads the group defaults; a missing group is SYSTEM_MISSING_DATA', async () => {
    await fakes.store.addParameterGroup({ id: 'g', name: 'g', clusterVersion: 'v7.5', isDefault: true, params: [{ component: 'tidb', name: 'log.level', defaultValue: 'info' }] });
    const acts = createActivities(fakes);
    expect(await mockEnv().run(acts.applyParameterGroup, { targetClusterId: 'tgt-cluster', parameterGroupId: 'g' })).toEqual({
      clusterId: 'tgt-cluster', mode: 'apply', parameterGroupId: 'g', params: [{ component: 'tidb', name: 'log.level', value: 'info' }], reboot: false, purpose: 'applyParameterGroup',
    });
    const err = await fails(mockEnv().run(acts.applyParameterGroup, { targetClusterId: 'tgt-cluster', parameterGroupId: 'nope' }));
    expect(err.type).toBe('SYSTEM_MISSING_DATA');
    expect(err.message).toContain('no default group found for cluster tgt-cluster');
  });

  it('syncParameters copies only appliable, writable parameters of shared components, and nothing across versions', async () => {
    await fakes.store.saveClusterParameters('src-cluster', [
      { component: 'tikv', name: 'raftstore.apply-pool-size', value: '4' },
      { component: 'tikv', name: 'storage.block-cache.capacity', value: '12GiB' }, // host dependent
      { component: 'tidb', name: 'new_collations_enabled_on_first_bootstrap', value: 'true' }, // read-only
      { component: 'cdc', name: 'per-table-memory-quota', value: '20971520' }, // target has no CDC
      { component: 'tidb', name: 'log.level', value: 'warn' },
    ]);
    const acts = createActivities(fakes);
    const res = await mockEnv().run(acts.syncParameters, { sourceClusterId: 'src-cluster', targetClusterId: 'tgt-cluster' });
    expect(res.params).toEqual([
      { component: 'tikv', name: 'raftstore.apply-pool-size', value: '4' },
      { component: 'tidb', name: 'log.level', value: 'warn' },
    ]);
    expect(res.reboot).toBe(true); // log.level needs a reload
    fakes.store.clusters.get('tgt-cluster')!.version = 'v8.1.0';
    expect((await mockEnv().run(acts.syncParameters, { sourceClusterId: 'src-cluster', targetClusterId: 'tgt-cluster' })).params).toEqual([]);
  });

  it('syncBackupStrategy copies the source strategy or says there is none', async () => {
    const acts = createActivities(fakes);
    expect(await mockEnv().run(acts.syncBackupStrategy, { sourceClusterId: 'src-cluster', targetClusterId: 'tgt-cluster' })).toBe(
      'cluster src-cluster has no backup strategy, no need to update',
    );
    await fakes.store.saveBackupStrategy({ clusterId: 'src-cluster', backupDate: 'Monday,Friday', period: '2:00-3:00' });
    await mockEnv().run(acts.syncBackupStrategy, { sourceClusterId: 'src-cluster', targetClusterId: 'tgt-cluster' });
    expect(fakes.store.strategies.get('tgt-cluster')).toEqual({ clusterId: 'tgt-cluster', backupDate: 'Monday,Friday', period: '2:00-3:00' });
  });

  it('modifyParameter pushes SQL, TiUP and TiUP+SQL parameters and returns the roles to reload', async () => {
    const acts = createActivities(fakes);
    const res = await mockEnv().run(
      acts.modifyParameter,
      input({
        params: [
          { component: 'pd', name: 'replication.max-replicas', value: '3' }, // TiUP+SQL, reboot
          { component: 'tidb', name: 'mem-quota-query', value: '2147483648' }, // SQL system variable
          { component: 'tikv', name: 'server.grpc-concurrency', value: '8' }, // TiUP only, reboot
        ],
      }),
    );
    expect(res.roles).toEqual(['pd', 'tikv']);
    const tidb = fakes.sql.server('127.0.2.11', 10000);
    expect(tidb.connects.map((c) => c.user)).toEqual(['EM_Parameter_Management']);
    expect(tidb.configs).toEqual([{ component: 'pd', name: 'replication.max-replicas', value: 3 }]);
    expect(tidb.globals.get('tidb_mem_quota_query')).toBe('2147483648');
    expect(fakes.tiup.calls.filter((c) => c.startsWith('edit-config'))).toHaveLength(1);
    const edited = parse(fakes.tiup.editedTopologies[0]);
    expect(edited.server_configs.pd['replication.max-replicas']).toBe(3);
    expect(edited.server_configs.tikv['server.grpc-concurrency']).toBe(8);
    await mockEnv().run(acts.refreshParameter, { clusterId: 'tgt-cluster', roles: res.roles });
    expect(fakes.tiup.calls).toContain('reload tgt-cluster -R pd,tikv');
  });

  it('failParameter re-applies the saved values of the parameters a failed change touched; nothing saved, nothing done', async () => {
    const acts = createActivities(fakes);
    const change = input({ params: [{ component: 'tikv', name: 'server.grpc-concurrency', value: '16' }, { component: 'tidb', name: 'log.level', value: 'error' }] });
    expect(await mockEnv().run(acts.failParameter, change)).toEqual(['no saved values of tikv.server.grpc-concurrency, tidb.log.level on tgt-cluster: nothing to restore']);
    expect(fakes.tiup.calls.filter((c) => c.startsWith('edit-config'))).toHaveLength(0);
    await fakes.store.saveClusterParameters('tgt-cluster', [{ component: 'tikv', name: 'server.grpc-concurrency', value: '8' }]);
    const lines = await mockEnv().run(acts.failParameter, { ...change, reboot: true });
    expect(lines[0]).toBe('restored tikv.server.grpc-concurrency = 8');
    expect(parse(fakes.tiup.editedTopologies.at(-1)!).server_configs.tikv['server.grpc-concurrency']).toBe(8);
    expect(fakes.tiup.calls).toContain('reload tgt-cluster -R tikv');
  });

  it('modifyParameter in apply mode skips components the cluster lacks and host-dependent values; update mode rejects them', async () => {
    const acts = createActivities(fakes);
    const res = await mockEnv().run(
      acts.modifyParameter,
      input({
        mode: 'apply',
        reboot: false,
        params: [
          { component: 'cdc', name: 'per-table-memory-quota', value: '10485760' },
          { component: 'tikv', name: 'storage.block-cache.capacity', value: '4GiB' },
          { component: 'tidb', name: 'log.level', value: 'info' },
        ],
      }),
    );
    expect(res.roles).toEqual([]);
    expect(res.resultLines.filter((l) => l.startsWith('skip'))).toHaveLength(2);
    expect(parse(fakes.tiup.editedTopologies[0]).server_configs.tidb).toEqual({ 'log.level': 'info' });
    const err = await fails(mockEnv().run(acts.modifyParameter, input({ params: [{ component: 'cdc', name: 'per-table-memory-quota', value: '10485760' }] })));
    expect(err.type).toBe('PARAMETER_INVALID');
  });

  it('persistParameter stores the values and, in apply mode, the group of the cluster', async () => {
    const acts = createActivities(fakes);
    await mockEnv().run(
      acts.persistParameter,
      input({ mode: 'apply', parameterGroupId: 'g2', params: [{ component: 'tidb', name: 'log.level', value: 'info' }, { component: 'cdc', name: 'per-table-memory-quota', value: '1' }] }),
    );
    expect(fakes.store.params.get('tgt-cluster')).toEqual([{ component: 'tidb', name: 'log.level', value: 'info' }]);
    expect(fakes.store.clusters.get('tgt-cluster')?.parameterGroupId).toBe('g2');
  });
});

describe('end of clone bookkeeping', () => {
  it('setClusterFailure is a no-op without a target row; endMaintenance clears only the holder', async () => {
    const fakes = makeDeps();
    const acts = createActivities(fakes);
    await mockEnv().run(acts.setClusterFailure, { targetClusterId: 'missing' });
    addTarget(fakes);
    await mockEnv().run(acts.setClusterFailure, { targetClusterId: 'tgt-cluster' });
    expect(fakes.store.clusters.get('tgt-cluster')?.status).toBe('Failure');
    const src = await addSource(fakes);
    src.maintenanceStatus = 'BeingCloned';
    src.maintenanceHolder = 'someone-else';
    await mockEnv().run(acts.endMaintenance, { holder: 'clone-tgt', clusterIds: ['src-cluster'] });
    expect(fakes.store.clusters.get('src-cluster')?.maintenanceStatus).toBe('BeingCloned');
    await mockEnv().run(acts.endMaintenance, { holder: 'someone-else', clusterIds: ['src-cluster'] });
    expect(fakes.store.clusters.get('src-cluster')?.maintenanceStatus).toBe('');
  });

  it('persistCluster takes instance statuses from tiup display when deployed', async () => {
    const fakes = makeDeps();
    addTarget(fakes);
    const acts = createActivities(fakes);
    await mockEnv().run(acts.persistCluster, { targetClusterId: 'tgt-cluster' });
    expect(fakes.tiup.calls).toEqual(['list']);
    fakes.tiup.clusters.push({ name: 'tgt-cluster', user: 'tidb', version: 'v7.5.1', path: '', private_key: '' });
    fakes.tiup.displays = [
      {
        cluster_meta: { cluster_type: 'tidb', cluster_name: 'tgt-cluster', cluster_version: 'v7.5.1', deploy_user: 'tidb', tls_enabled: false },
        instances: [
          { id: '127.0.2.11:10000', role: 'tidb', host: '127.0.2.11', ports: '10000/10001', os_arch: '', status: 'Up', ComponentName: 'tidb', Port: 10000 },
          { id: '127.0.2.12:10040', role: 'pd', host: '127.0.2.12', ports: '10040/10041', os_arch: '', status: 'Down', ComponentName: 'pd', Port: 10040 },
        ],
      },
    ];
    await mockEnv().run(acts.persistCluster, { targetClusterId: 'tgt-cluster' });
    const statuses = Object.fromEntries(fakes.store.clusters.get('tgt-cluster')!.instances.map((i) => [i.component, i.status]));
    expect(statuses).toEqual({ TiDB: 'Running', PD: 'Failure', TiKV: 'Initializing' });
  });

  it('collectLogConfig pushes one filebeat input per host with the components log paths', async () => {
    const fakes = makeDeps();
    addTarget(fakes);
    let pushed = '';
    fakes.tiup.push = async (name, local, remote, o) => {
      const { readFile } = await import('node:fs/promises');
      pushed = await readFile(local, 'utf8');
      fakes.tiup.calls.push(`push ${name} ${remote} -N ${(o?.nodes ?? []).join(',')}`);
    };
    fakes.tiup.displays = [
      {
        cluster_meta: { cluster_type: 'tidb', cluster_name: 'tgt-cluster', cluster_version: 'v7.5.1', deploy_user: 'tidb', tls_enabled: false },
        instances: [
          { id: '127.0.2.11:10000', role: 'tidb', host: '127.0.2.11', ports: '', os_arch: '', status: 'Up', deploy_dir: '/data1/tgt/tidb-deploy', ComponentName: 'tidb', Port: 10000 },
          { id: '127.0.2.11:10042', role: 'prometheus', host: '127.0.2.11', ports: '', os_arch: '', status: 'Up', deploy_dir: '/x', ComponentName: 'prometheus', Port: 10042 },
        ],
      },
    ];
    // the topology TiEM renders: global.log_dir relative, so under each deploy dir
    fakes.tiup.topology = 'global:\n  log_dir: tgt-cluster/tidb-log\ntidb_servers:\n  - host: 127.0.2.11\n    port: 10000\n';
    await mockEnv().run(createActivities(fakes).collectLogConfig, { clusterId: 'tgt-cluster' });
    expect(fakes.tiup.calls).toContain('push tgt-cluster conf/input_tidb.yml -N 127.0.2.11');
    expect(parse(pushed)).toEqual([{ module: 'tidb', tidb: { enabled: true, 'var.paths': ['/data1/tgt/tidb-deploy/tgt-cluster/tidb-log/tidb.log'] } }]);
  });

  it("an instance's log directory follows TiUP's rule (spec.go setCustomDefaults)", () => {
    const topo = { global: {}, tidb_servers: [{ host: 'h', port: 4000, log_dir: '/var/log/tidb' }, { host: 'h', port: 4001 }] };
    expect(instanceLogDir(topo, 'tidb', 'h', 4000, '/d/tidb-4000')).toBe('/var/log/tidb');
    expect(instanceLogDir(topo, 'tidb', 'h', 4001, '/d/tidb-4001')).toBe('/d/tidb-4001/log');
    expect(instanceLogDir({ global: { log_dir: '/logs' } }, 'tikv', 'h', 20160, '/d/tikv-20160')).toBe('/logs/tikv-20160');
    expect(instanceLogDir({ global: { log_dir: 'c1/tidb-log' } }, 'pd', 'h', 2379, '/d/pd-2379')).toBe('/d/pd-2379/c1/tidb-log');
  });

  it('collectLogConfig pushes to several hosts at once', async () => {
    const fakes = makeDeps();
    addTarget(fakes);
    let running = 0;
    let most = 0;
    fakes.tiup.push = async () => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 50));
      running--;
    };
    fakes.tiup.displays = [
      {
        cluster_meta: { cluster_type: 'tidb', cluster_name: 'tgt-cluster', cluster_version: 'v7.5.1', deploy_user: 'tidb', tls_enabled: false },
        instances: Array.from({ length: 6 }, (_, i) => ({
          id: `127.0.2.${20 + i}:20160`, role: 'tikv', host: `127.0.2.${20 + i}`, ports: '', os_arch: '', status: 'Up', deploy_dir: `/data1/tikv-${i}`, ComponentName: 'tikv', Port: 20160,
        })),
      },
    ];
    await mockEnv().run(createActivities(fakes).collectLogConfig, { clusterId: 'tgt-cluster' });
    expect(most).toBeGreaterThan(1);
  });
});
