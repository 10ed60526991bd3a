import { TiemError } from '../../domain/errors.js';
import { failInsertsWhere, openTempStore, type TempStore } from '../../metadata/testing.js';
import type { AllocationRequest, Host, HostInput, InstanceRequirement } from '../../metadata/types.js';

let t: TempStore;
let hosts: Record<string, Host>;

const disk = (name: string, capacityGb: number, type: 'SSD' | 'NVMeSSD' | 'SATA' = 'SSD') => ({ name, path: `/${name}`, capacityGb, type });
const host = (ip: string, cpuCores: number, memoryGb: number, over: Partial<HostInput> = {}): HostInput => ({
  ip,
  hostName: `host-${ip}`,
  region: 'Region1',
  zone: 'Zone1',
  rack: 'Rack1',
  arch: 'X86_64',
  cpuCores,
  memoryGb,
  disks: [disk('data1', 500)],
  ...over,
});

beforeEach(async () => {
  t = await openTempStore();
  const added = await t.store.addHosts([
    host('10.0.0.1', 16, 64, { disks: [disk('data1', 500), disk('data2', 1000, 'NVMeSSD')] }),
    host('10.0.0.2', 8, 32),
    host('10.0.0.3', 32, 128, { rack: 'Rack2', disks: [disk('data1', 500), disk('data2', 500)] }),
    host('10.0.0.4', 64, 256, { reserved: true }),
    host('10.0.0.5', 64, 256, { status: 'Offline' }),
    host('10.0.0.6', 64, 256, { arch: 'ARM64' }),
    host('10.0.1.1', 64, 256, { zone: 'Zone2', disks: [disk('data1', 500), disk('data2', 500)] }),
    host('10.9.0.1', 64, 256, { region: 'Region9' }),
  ]);
  hosts = Object.fromEntries(added.map((h) => [h.ip, h]));
});
afterEach(async () => {
  await t.cleanup();
});

const tikv = (over: Partial<InstanceRequirement> = {}): InstanceRequirement => ({
  component: 'TiKV',
  zone: 'Zone1',
  cpuCores: 4,
  memoryGb: 8,
  diskCapacityGb: 100,
  portRange: [10020, 10040],
  portCount: 2,
  ...over,
});
const tidb = (over: Partial<InstanceRequirement> = {}): InstanceRequirement => ({
  component: 'TiDB',
  zone: 'Zone1',
  cpuCores: 2,
  memoryGb: 4,
  portRange: [10000, 10020],
  portCount: 2,
  ...over,
});
const request = (requestId: string, requirements: InstanceRequirement[], over: Partial<AllocationRequest> = {}): AllocationRequest => ({
  requestId,
  holderId: 'tgt-1',
  region: 'Region1',
  arch: 'X86',
  exclusive: false,
  requirements,
  globalPortCount: 2,
  globalPortRange: [11000, 12000],
  ...over,
});

async function hostByIp(ip: string): Promise<Host> {
  return (await t.store.listHosts()).find((h) => h.ip === ip)!;
}

async function usedPortCount(): Promise<number> {
  const r = await t.store.db.selectFrom('used_ports').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

async function expectAllocateError(p: Promise<unknown>, causeCode: number): Promise<TiemError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TiemError);
  const te = err as TiemError;
  expect(te.errorName).toBe('RESOURCE_ALLOCATE_ERROR');
  expect(te.code).toBe(30124);
  expect(te.causeCode).toBe(causeCode);
  expect(te.details).toEqual({ code: 30124, httpStatus: 500, causeCode });
  expect(te.message).toContain(`[${causeCode}]`);
  return te;
}

describe('addHosts / listHosts', () => {
  test('hosts start fully free; re-adding a known IP changes nothing', async () => {
    const h = hosts['10.0.0.1'];
    expect(h).toMatchObject({ cpuCores: 16, freeCpuCores: 16, memoryGb: 64, freeMemoryGb: 64, status: 'Online', loadStat: 'LoadLess', reserved: false });
    expect(h.disks.map((d) => [d.name, d.status, d.type])).toEqual([
      ['data1', 'Available', 'SSD'],
      ['data2', 'Available', 'NVMeSSD'],
    ]);
    expect(hosts['10.0.0.4'].reserved).toBe(true);
    const again = await t.store.addHosts([host('10.0.0.1', 99, 99)]);
    expect(again[0].id).toBe(h.id);
    expect(again[0].cpuCores).toBe(16);
    expect(await t.store.listHosts()).toHaveLength(8);
  });
});

describe('allocate', () => {
  test('spreads instances over distinct hosts (most free CPU first), lowest ports, global ports on every host', async () => {
    const res = await t.store.allocate(request('req-1', [tikv(), tikv(), tikv()]));
    expect(res.requestId).toBe('req-1');
    expect(res.holderId).toBe('tgt-1');
    // Only the three eligible Zone1 x86 online non-reserved hosts; ordered by free CPU.
    expect(res.instances.map((i) => i.hostIp)).toEqual(['10.0.0.3', '10.0.0.1', '10.0.0.2']);
    for (const i of res.instances) {
      expect(i).toMatchObject({ component: 'TiKV', zone: 'Zone1', ports: [10020, 10021], cpuCores: 4, memoryGb: 8 });
    }
    expect(res.instances[0]).toMatchObject({ rack: 'Rack2', diskPath: '/data1', diskType: 'SSD' });
    expect(res.instances[1].diskId).toBe(hosts['10.0.0.1'].disks[0].id); // best fit: the smaller disk
    expect(res.globalPorts).toEqual([11000, 11001]);

    const h1 = await hostByIp('10.0.0.1');
    expect(h1).toMatchObject({ freeCpuCores: 12, freeMemoryGb: 56, loadStat: 'InUsed' });
    expect(h1.disks.map((d) => d.status)).toEqual(['Exhaust', 'Available']);
    expect((await hostByIp('10.0.1.1')).loadStat).toBe('LoadLess');

    // Global ports are held on every non-reserved host of the region (6), instance ports on 3 hosts.
    const globalRows = await t.store.db.selectFrom('used_ports').select(['host_id', 'port']).where('port', '>=', 11000).execute();
    const globalHostIps = new Set(globalRows.map((r) => Object.values(hosts).find((h) => h.id === r.host_id)!.ip));
    expect([...globalHostIps].sort()).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.5', '10.0.0.6', '10.0.1.1']);
    expect(await usedPortCount()).toBe(6 * 2 + 3 * 2);
  });

  test('a second request takes the next free ports; pinned host and disk honoured', async () => {
    await t.store.allocate(request('req-1', [tikv(), tikv(), tikv()]));
    const nvme = hosts['10.0.0.1'].disks[1];
    const res = await t.store.allocate(
      request('req-2', [
        tidb({ hostIp: '10.0.0.1', diskId: nvme.id }),
        tikv({ hostIp: '10.0.0.3' }),
        // Pinned requirements are placed first: this one gets the Zone2 host's second port pair.
        tikv({ zone: 'Zone2' }),
        tikv({ zone: 'Zone2', hostIp: '10.0.1.1' }),
      ]),
    );
    expect(res.instances.map((i) => [i.hostIp, i.ports])).toEqual([
      ['10.0.0.1', [10000, 10001]],
      ['10.0.0.3', [10022, 10023]],
      ['10.0.1.1', [10022, 10023]],
      ['10.0.1.1', [10020, 10021]],
    ]);
    expect(res.instances[0]).toMatchObject({ diskId: nvme.id, diskType: 'NVMeSSD', diskPath: '/data2' });
    expect(res.instances[1].diskPath).toBe('/data2');
    expect(res.globalPorts).toEqual([11002, 11003]);
    expect(await t.store.listAllocations('tgt-1')).toHaveLength(2);
  });

  test('falls back to sharing a host when not enough distinct hosts fit', async () => {
    await t.store.addHosts([host('10.0.2.1', 16, 32, { zone: 'Zone3', disks: [disk('a', 100), disk('b', 100)] })]);
    const res = await t.store.allocate(request('req-1', [tikv({ zone: 'Zone3' }), tikv({ zone: 'Zone3' })], { globalPortCount: 0 }));
    expect(res.instances.map((i) => [i.hostIp, i.ports])).toEqual([
      ['10.0.2.1', [10020, 10021]],
      ['10.0.2.1', [10022, 10023]],
    ]);
    expect(new Set(res.instances.map((i) => i.diskId)).size).toBe(2);
    expect(await hostByIp('10.0.2.1')).toMatchObject({ freeCpuCores: 8, freeMemoryGb: 16 });
    expect(res.globalPorts).toEqual([]);
  });

  test('is idempotent by request id', async () => {
    const first = await t.store.allocate(request('req-1', [tikv(), tidb()]));
    const before = await t.store.listHosts();
    const ports = await usedPortCount();
    const second = await t.store.allocate(request('req-1', [tikv(), tidb()]));
    expect(second).toEqual(first);
    expect(await t.store.getAllocation('req-1')).toEqual(first);
    expect(await t.store.listHosts()).toEqual(before);
    expect(await usedPortCount()).toBe(ports);
  });

  test('not enough hosts → 30124 wrapping 30102', async () => {
    await expectAllocateError(t.store.allocate(request('r', [tikv({ cpuCores: 33 })])), 30102);
    await expectAllocateError(t.store.allocate(request('r', [tikv({ zone: 'NoSuchZone' })])), 30102);
    await expectAllocateError(t.store.allocate(request('r', [tikv({ hostIp: '10.0.0.4' })])), 30102); // reserved
    await expectAllocateError(t.store.allocate(request('r', [tikv({ hostIp: '10.0.0.5' })])), 30102); // offline
    await expectAllocateError(t.store.allocate(request('r', [tikv({ hostIp: '10.0.0.6' })])), 30102); // ARM
    // The ARM host is found for an ARM request (ARM ≡ ARM64).
    const arm = await t.store.allocate(request('arm', [tikv({ hostIp: '10.0.0.6' })], { arch: 'ARM', globalPortCount: 0 }));
    expect(arm.instances[0].hostIp).toBe('10.0.0.6');
  });

  test('not enough disks → 30103', async () => {
    await expectAllocateError(t.store.allocate(request('r', [tikv({ diskCapacityGb: 2000 })])), 30103);
    await expectAllocateError(t.store.allocate(request('r', [tikv({ diskType: 'SATA' })])), 30103);
    // Each disk serves one instance: after five TiKVs the Zone1 hosts have CPU but no free disk.
    await t.store.allocate(request('r1', [tikv(), tikv(), tikv(), tikv(), tikv()]));
    await expectAllocateError(t.store.allocate(request('r2', [tikv()])), 30103);
  });

  test('not enough ports → 30104 (instance range and global range)', async () => {
    await expectAllocateError(t.store.allocate(request('r', [tikv({ portRange: [10020, 10021], portCount: 2 })])), 30104);
    await expectAllocateError(t.store.allocate(request('r', [tikv()], { globalPortCount: 3, globalPortRange: [11000, 11002] })), 30104);
  });

  test('a failure leaves nothing allocated (all or nothing)', async () => {
    const before = await t.store.listHosts();
    await expectAllocateError(t.store.allocate(request('r', [tikv(), tikv(), tikv({ cpuCores: 100 })])), 30102);
    expect(await t.store.listHosts()).toEqual(before);
    expect(await usedPortCount()).toBe(0);
    expect(await t.store.getAllocation('r')).toBeUndefined();
    expect(await t.store.listAllocations('tgt-1')).toEqual([]);
  });

  test('a failure while writing rolls every write back', async () => {
    // The global ports are written last, after hosts, disks and instance ports were updated.
    await failInsertsWhere(t, 'used_ports', 'port', 11001);
    const before = await t.store.listHosts();
    // SqliteError comes from the native module's realm, so match on the message rather than toThrow.
    await expect(t.store.allocate(request('r', [tikv(), tidb()]))).rejects.toMatchObject({ message: 'boom' });
    expect(await t.store.listHosts()).toEqual(before);
    expect(await usedPortCount()).toBe(0);
    expect(await t.store.getAllocation('r')).toBeUndefined();
  });

  test('concurrent requests never share a disk or a port', async () => {
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((id) => t.store.allocate(request(id, [tikv()], { holderId: id }))));
    const disks = results.map((r) => r.instances[0].diskId);
    expect(new Set(disks).size).toBe(4);
    const hostPorts = results.flatMap((r) => r.instances[0].ports.map((p) => `${r.instances[0].hostId}:${p}`));
    expect(new Set(hostPorts).size).toBe(8);
    expect(new Set(results.map((r) => r.globalPorts.join(','))).size).toBe(4);
  });

  test('exclusive allocation takes only LoadLess hosts and marks them Exclusive', async () => {
    await t.store.allocate(request('shared', [tikv({ hostIp: '10.0.0.3' })], { globalPortCount: 0 }));
    const ex = await t.store.allocate(request('ex', [tikv(), tikv()], { exclusive: true, holderId: 'tgt-ex', globalPortCount: 0 }));
    expect(ex.instances.map((i) => i.hostIp)).toEqual(['10.0.0.1', '10.0.0.2']); // 10.0.0.3 is InUsed
    expect((await hostByIp('10.0.0.1')).loadStat).toBe('Exclusive');
    // No other allocation may land on an Exclusive host.
    await expectAllocateError(t.store.allocate(request('r', [tidb({ hostIp: '10.0.0.1' })], { globalPortCount: 0 })), 30102);
    await t.store.release('ex');
    expect((await hostByIp('10.0.0.1')).loadStat).toBe('LoadLess');
  });
});

describe('release', () => {
  test('gives everything back; idempotent; the same ports can be allocated again', async () => {
    const pristine = await t.store.listHosts();
    const first = await t.store.allocate(request('req-1', [tikv(), tikv(), tidb()]));
    expect(await t.store.release('req-1')).toBe(true);
    expect(await t.store.listHosts()).toEqual(
      pristine.map((h) => ({ ...h })), // free CPU/memory, disks, load all back
    );
    expect(await usedPortCount()).toBe(0);
    expect(await t.store.getAllocation('req-1')).toBeUndefined();
    expect(await t.store.release('req-1')).toBe(false);
    expect(await t.store.release('never-allocated')).toBe(false);

    const again = await t.store.allocate(request('req-2', [tikv(), tikv(), tidb()]));
    expect(again.instances.map((i) => [i.hostIp, i.ports])).toEqual(first.instances.map((i) => [i.hostIp, i.ports]));
    expect(again.globalPorts).toEqual(first.globalPorts);
  });

  test('a host shared by two requests stays InUsed until both are released', async () => {
    await t.store.allocate(request('a', [tikv({ hostIp: '10.0.0.1' })], { globalPortCount: 0 }));
    await t.store.allocate(request('b', [tidb({ hostIp: '10.0.0.1' })], { globalPortCount: 0 }));
    await t.store.release('a');
    expect(await hostByIp('10.0.0.1')).toMatchObject({ loadStat: 'InUsed', freeCpuCores: 14, freeMemoryGb: 60 });
    await t.store.release('b');
    expect(await hostByIp('10.0.0.1')).toMatchObject({ loadStat: 'LoadLess', freeCpuCores: 16, freeMemoryGb: 64 });
  });

  test('releaseByHolder releases every request of that cluster only', async () => {
    await t.store.allocate(request('a', [tikv()]));
    await t.store.allocate(request('b', [tidb()]));
    await t.store.allocate(request('c', [tidb()], { holderId: 'tgt-2' }));
    expect(await t.store.releaseByHolder('tgt-1')).toBe(2);
    expect(await t.store.listAllocations('tgt-1')).toEqual([]);
    const other = await t.store.listAllocations('tgt-2');
    expect(other.map((a) => a.requestId)).toEqual(['c']);
    expect(await t.store.releaseByHolder('tgt-1')).toBe(0);
    // Only tgt-2's TiDB and its global ports remain held.
    expect(await usedPortCount()).toBe(2 + 6 * 2);
  });
});
