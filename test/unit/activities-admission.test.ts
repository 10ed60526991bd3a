// startMaintenance (parameter group choice, validation errors as ApplicationFailures) and
// prepareResource / revertResourceAfterFailure (allocation shape, idempotency, monitoring placement).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../activities/index.js';
import type { PublicCloneRequest } from '../../activities/types.js';
import { addSource, makeDeps, mockEnv, type Fakes } from './activities-fakes.js';

function request(over: Partial<PublicCloneRequest> = {}): PublicCloneRequest {
  return {
    sourceClusterId: 'src-cluster',
    cloneStrategy: 'Snapshot',
    clusterName: 'clone-one',
    clusterVersion: 'v7.5.1',
    region: 'r1',
    cpuArchitecture: 'X86_64',
    resourceParameters: {
      instanceResource: [
        { componentType: 'PD', resource: [{ zoneCode: 'r1,z1', specCode: '4C8G', count: 1 }] },
        { componentType: 'TiDB', resource: [{ zoneCode: 'r1,z1', specCode: '8C16G', count: 1 }] },
        {
          componentType: 'TiKV',
          resource: [
            { zoneCode: 'r1,z1', specCode: '8C32G', count: 2, diskCapacity: 500, diskType: 'NVMeSSD' },
            { zoneCode: 'r1,z2', specCode: '8C32G', count: 1, hostIp: '127.0.9.9', diskId: 'disk-x' },
          ],
        },
      ],
    },
    ...over,
  };
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }
  throw new Error('expected the activity to fail');
}

describe('startMaintenance', () => {
  let fakes: Fakes;
  let env: ReturnType<typeof mockEnv>;
  beforeEach(async () => {
    fakes = makeDeps();
    env = mockEnv();
    await fakes.store.addParameterGroup({ id: 'g-75', name: 'default 7.5', clusterVersion: 'v7.5', isDefault: true, params: [] });
    await fakes.store.addParameterGroup({ id: 'g-81', name: 'default 8.1', clusterVersion: 'v8.1', isDefault: true, params: [] });
    await fakes.store.addParameterGroup({ id: 'custom-75', name: 'custom', clusterVersion: 'v7.5', isDefault: false, params: [] });
  });

  it('refuses a TLS source whose CA or client pair cannot be read on the control host (21306), and takes no lock', async () => {
    await addSource(fakes);
    fakes.store.clusters.get('src-cluster')!.tls = true;
    const acts = createActivities(fakes);
    const f = await failureOf(env.run(acts.startMaintenance, { holder: 'clone-tgt', targetClusterId: 'tgt', request: request() }));
    expect(f.type).toBe('CLONE_TLS_MATERIAL_MISSING');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain('/nonexistent/src-cluster/tls/ca.crt');
    expect(fakes.store.clusters.get('src-cluster')!.maintenanceStatus).toBe('');
    expect(fakes.store.clusters.has('tgt')).toBe(false);
    const pre = await env.run(acts.precheckClone, { request: request(), targetClusterId: 'tgt' });
    expect(pre.problems.map((p) => p.code)).toContain(21306);
  });

  it('a copy keeps the TLS of its source unless the request says otherwise', async () => {
    await addSource(fakes);
    fakes.store.clusters.get('src-cluster')!.tls = true;
    fakes.tiup.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-admission-'));
    const tlsDir = path.join(fakes.tiup.dir, 'src-cluster', 'tls');
    fs.mkdirSync(tlsDir, { recursive: true });
    for (const f of ['ca.crt', 'client.crt', 'client.pem']) fs.writeFileSync(path.join(tlsDir, f), 'pem');
    const acts = createActivities(fakes);
    expect((await env.run(acts.startMaintenance, { holder: 'clone-tgt', targetClusterId: 'tgt', request: request() })).target.tls).toBe(true);
    expect((await env.run(acts.precheckClone, { request: request({ clusterName: 'clone-two' }), targetClusterId: 'tgt2' })).problems.map((p) => p.code)).not.toContain(21306);
  });

  it('keeps the source group when it fits the target minor version and inherits tags/copies', async () => {
    const source = await addSource(fakes, { parameterGroupId: 'custom-75' });
    source.tags = ['prod'];
    const acts = createActivities(fakes);
    const res = await env.run(acts.startMaintenance, { holder: 'clone-tgt', targetClusterId: 'tgt', request: request() });
    expect(res.target).toMatchObject({ id: 'tgt', name: 'clone-one', parameterGroupId: 'custom-75', copies: 3, tags: ['prod'], tls: false, exclusive: false });
    expect(res.source).toEqual({ id: 'src-cluster', name: 'src-cluster-name', version: 'v7.5.1', parameterGroupId: 'custom-75' });
    expect(fakes.store.maintenanceCalls).toHaveLength(1);
    expect(fakes.store.clusters.get('src-cluster')?.maintenanceStatus).toBe('BeingCloned');
  });

  it('binds the target to the control host of its source; controlHostOf answers the default for clusters recorded without one', async () => {
    const source = await addSource(fakes);
    const acts = createActivities({ ...fakes, config: { ...fakes.config, defaultControlHost: 'tiup-main' } });
    expect(await env.run(acts.controlHostOf, { clusterId: 'src-cluster' })).toEqual({ controlHost: 'tiup-main' });
    expect(await env.run(acts.controlHostOf, { clusterId: 'no-such-cluster' })).toEqual({ controlHost: 'tiup-main' });
    source.controlHost = 'tiup-east';
    expect(await env.run(acts.controlHostOf, { clusterId: 'src-cluster' })).toEqual({ controlHost: 'tiup-east' });
    expect(await env.run(acts.controlHostsInUse, {})).toEqual(['tiup-east', 'tiup-main']);
    const res = await env.run(acts.startMaintenance, { holder: 'clone-tgt', targetClusterId: 'tgt', request: request() });
    expect(res.target.controlHost).toBe('tiup-east');
  });

  it('falls back to the default group of the target minor when the source group is for another version', async () => {
    await addSource(fakes, { parameterGroupId: 'custom-75' });
    const acts = createActivities(fakes);
    const res = await env.run(acts.startMaintenance, { holder: 'h', targetClusterId: 'tgt', request: request({ clusterVersion: 'v8.1.0' }) });
    expect(res.target.parameterGroupId).toBe('g-81');
    expect(res.target.version).toBe('v8.1.0');
  });

  it('uses the requested group and is idempotent for the same holder', async () => {
    await addSource(fakes);
    const acts = createActivities(fakes);
    const args = { holder: 'h', targetClusterId: 'tgt', request: request({ parameterGroupID: 'g-75', tags: ['t1'] }) };
    const first = await env.run(acts.startMaintenance, args);
    const second = await env.run(acts.startMaintenance, args);
    expect(first.target.parameterGroupId).toBe('g-75');
    expect(second).toEqual(first);
    expect(fakes.store.clusters.get('tgt')?.tags).toEqual(['t1']);
  });

  it('refuses with 10001 naming parameterGroupID when no default group exists for the target minor', async () => {
    await addSource(fakes);
    const acts = createActivities(fakes);
    const f = await failureOf(env.run(acts.startMaintenance, { holder: 'h', targetClusterId: 'tgt', request: request({ clusterVersion: 'v7.6.0' }) }));
    expect(f.type).toBe('PARAMETER_INVALID');
    expect(f.message).toContain('give parameterGroupID');
    expect(f.nonRetryable).toBe(true);
    expect(fakes.store.maintenanceCalls).toHaveLength(0);
  });

  it('surfaces CLUSTER_NOT_FOUND as a non-retryable ApplicationFailure with TiEM details', async () => {
    const acts = createActivities(fakes);
    const f = await failureOf(env.run(acts.startMaintenance, { holder: 'h', targetClusterId: 'tgt', request: request() }));
    expect(f.type).toBe('CLUSTER_NOT_FOUND');
    expect(f.nonRetryable).toBe(true);
    expect(f.details).toEqual([{ code: 10003, httpStatus: 404, causeCode: undefined }]);
    expect(f.message).toContain('[10003]');
    expect(f.message).toContain('get cluster failed : clusterID = src-cluster');
  });

  it('surfaces validation codes: older version 21301, missing CDC 21302, too few TiKV 21303, slave 21304', async () => {
    await addSource(fakes, { withCdc: false });
    const acts = createActivities(fakes);
    const run = (r: PublicCloneRequest) => failureOf(env.run(acts.startMaintenance, { holder: 'h', targetClusterId: 'tgt', request: r }));

    const older = await run(request({ clusterVersion: 'v7.1.0' }));
    expect([older.type, older.nonRetryable, (older.details as { code: number }[])[0].code]).toEqual(['CHECK_CLUSTER_VERSION_ERROR', true, 21301]);

    const noCdc = await run(request({ cloneStrategy: 'CDCSync' }));
    expect([noCdc.type, (noCdc.details as { code: number; httpStatus: number }[])[0]]).toEqual(['CDC_NOT_FOUND', { code: 21302, httpStatus: 404, causeCode: undefined }]);

    const tikv = await run(request({ copies: 5 }));
    expect([tikv.type, tikv.nonRetryable]).toEqual(['CLONE_TIKV_ERROR', true]);

    await fakes.store.upsertRelation({ relationType: 'StandBy', subjectClusterId: 'other', objectClusterId: 'src-cluster', syncChangefeedTaskId: 'cf' });
    const slave = await run(request({ cloneStrategy: 'CDCSync' }));
    expect(slave.type).toBe('CLONE_SLAVE_ERROR');
    expect(fakes.store.maintenanceCalls).toHaveLength(0);
  });

  it('CDCSync refuses up front (21305, no lock, no row) when source tables have no unique key, unless ignoreIneligibleTables', async () => {
    await addSource(fakes);
    fakes.sql.server('127.0.1.11', 4000).tablesWithoutUniqueKey = ['shop.audit_log', 'shop.events'];
    const acts = createActivities(fakes);
    const refused = await failureOf(env.run(acts.startMaintenance, { holder: 'h', targetClusterId: 'tgt', request: request({ cloneStrategy: 'CDCSync' }) }));
    expect([refused.type, refused.nonRetryable, (refused.details as { code: number; httpStatus: number }[])[0]]).toEqual([
      'CLONE_CDC_INELIGIBLE_TABLES',
      true,
      { code: 21305, httpStatus: 400, causeCode: undefined },
    ]);
    expect(refused.message).toContain('TiCDC cannot replicate 2 table(s) of src-cluster without a primary key or a NOT NULL unique key: shop.audit_log, shop.events');
    expect(fakes.store.maintenanceCalls).toHaveLength(0);
    expect(await fakes.store.getCluster('tgt')).toBeUndefined();
    // CDCSync may be told to replicate the others only (a Snapshot copies them all anyway)
    await env.run(acts.startMaintenance, { holder: 'h2', targetClusterId: 'tgt2', request: request({ clusterName: 'c2', cloneStrategy: 'CDCSync', ignoreIneligibleTables: true }) });
    await env.run(acts.endMaintenance, { holder: 'h2', clusterIds: ['src-cluster', 'tgt2'] });
    await env.run(acts.startMaintenance, { holder: 'h1', targetClusterId: 'tgt1', request: request({ clusterName: 'c1' }) });
  });
});

describe('prepareResource', () => {
  const target = {
    id: 'tgt',
    name: 'clone-one',
    version: 'v7.5.1',
    copies: 3,
    region: 'r1',
    cpuArchitecture: 'X86_64' as const,
    tags: [],
    tls: false,
    exclusive: true,
    vendor: 'Local',
    parameterGroupId: 'g',
  };

  it('asks for one requirement per instance with TiEM port ranges, specs, zones and pins', async () => {
    const fakes = makeDeps();
    fakes.store.addCluster({ id: 'tgt', status: 'Initializing' });
    const acts = createActivities(fakes);
    const env = mockEnv();
    await env.run(acts.prepareResource, { holder: 'clone-tgt', targetClusterId: 'tgt', request: request(), target });
    const req = fakes.store.allocateCalls[0];
    expect(req).toMatchObject({ requestId: 'clone-tgt/prepareResource', holderId: 'tgt', region: 'r1', arch: 'X86_64', exclusive: true, globalPortCount: 2, globalPortRange: [11000, 12000] });
    expect(req.requirements.map((r) => [r.component, r.zone, r.cpuCores, r.memoryGb, r.portRange, r.portCount])).toEqual([
      ['PD', 'z1', 4, 8, [10040, 10120], 8],
      ['TiDB', 'z1', 8, 16, [10000, 10020], 2],
      ['TiKV', 'z1', 8, 32, [10020, 10040], 2],
      ['TiKV', 'z1', 8, 32, [10020, 10040], 2],
      ['TiKV', 'z2', 8, 32, [10020, 10040], 2],
    ]);
    expect(req.requirements[2]).toMatchObject({ diskCapacityGb: 500, diskType: 'NVMeSSD' });
    expect(req.requirements[4]).toMatchObject({ hostIp: '127.0.9.9', diskId: 'disk-x' });
  });

  it('places the monitoring on the first PD, persists Initializing instances and is idempotent', async () => {
    const fakes = makeDeps();
    fakes.store.addCluster({ id: 'tgt', status: 'Initializing' });
    const acts = createActivities(fakes);
    const env = mockEnv();
    const args = { holder: 'clone-tgt', targetClusterId: 'tgt', request: request(), target };
    const first = await env.run(acts.prepareResource, args);
    const second = await env.run(acts.prepareResource, args);

    expect(second).toEqual(first);
    expect(fakes.store.allocateCalls.map((r) => r.requestId)).toEqual(['clone-tgt/prepareResource', 'clone-tgt/prepareResource']);
    const byComponent = (c: string) => first.instances.filter((i) => i.component === c);
    const pd = byComponent('PD')[0];
    expect(pd.ports).toEqual([10040, 10041]);
    expect(byComponent('Prometheus')[0]).toMatchObject({ hostIp: pd.hostIp, ports: [10042], zone: pd.zone, diskPath: pd.diskPath });
    expect(byComponent('Grafana')[0]).toMatchObject({ hostIp: pd.hostIp, ports: [10043] });
    expect(byComponent('AlertManager')[0]).toMatchObject({ hostIp: pd.hostIp, ports: [10044, 10045] });
    expect(byComponent('TiKV').map((i) => i.id)).toEqual(['tgt-tikv-1', 'tgt-tikv-2', 'tgt-tikv-3']);
    expect(first.globalPorts).toEqual([11000, 11001]);
    expect(first.resultLines[0]).toBe(`type: PD, zone: z1, host IP: ${pd.hostIp}; `);
    const stored = fakes.store.clusters.get('tgt')?.instances ?? [];
    expect(stored).toHaveLength(8); // 5 requested + 3 monitoring, not doubled by the retry
    expect(stored.every((i) => i.status === 'Initializing')).toBe(true);
  });

  it('revertResourceAfterFailure releases once and reports when nothing is held', async () => {
    const fakes = makeDeps();
    fakes.store.addCluster({ id: 'tgt', status: 'Initializing' });
    const acts = createActivities(fakes);
    const env = mockEnv();
    const prepared = await env.run(acts.prepareResource, { holder: 'clone-tgt', targetClusterId: 'tgt', request: request(), target });
    expect(await env.run(acts.revertResourceAfterFailure, { allocationRequestId: prepared.allocationRequestId })).toContain('release resource');
    expect(fakes.store.allocations.size).toBe(0);
    expect(await env.run(acts.revertResourceAfterFailure, { allocationRequestId: prepared.allocationRequestId })).toBe('no allocated resource found');
  });
});
