// The resource pool: hosts, disks, ports, and allocation/release (TiEM §6, simplified).
//
// Allocation plans in memory over a snapshot of the region's hosts read inside the transaction,
// then writes with guarded statements (free CPU/memory checked in the UPDATE, disk flipped only
// from Available, ports protected by the used_ports primary key). On SQLite the transaction is
// already serial; the guards keep the same code correct on a multi-writer PostgreSQL.
import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { TiemError, TiemErrorCode } from '../domain/errors.js';
import type { AllocatedInstance, AllocationHeader, AllocationRequest, AllocationResult, Host, HostInput, InstanceRequirement } from './types.js';
import type { DisksTable, HostsTable } from './schema.js';
import { archFamily, type Db, fromJson, isPostgres, nowIso, toBool, toInt, toJson } from './rows.js';
import { isUniqueViolation } from './clusters.js';

type HostRow = Selectable<HostsTable>;
type DiskRow = Selectable<DisksTable>;
type CauseName = 'RESOURCE_NO_ENOUGH_HOST' | 'RESOURCE_NO_ENOUGH_DISK' | 'RESOURCE_NO_ENOUGH_PORT';

/** RESOURCE_ALLOCATE_ERROR (30124) wrapping the specific reason, as TiEM's WrapError does. */
export function allocateError(cause: CauseName, detail: string): TiemError {
  const inner = new TiemError(cause, detail);
  return new TiemError('RESOURCE_ALLOCATE_ERROR', inner.message, { causeCode: TiemErrorCode[cause] });
}

// --- hosts ---

function toHost(h: HostRow, disks: DiskRow[]): Host {
  return {
    id: h.id,
    ip: h.ip,
    hostName: h.host_name,
    region: h.region,
    zone: h.zone,
    rack: h.rack,
    arch: h.arch as Host['arch'],
    cpuCores: Number(h.cpu_cores),
    memoryGb: Number(h.memory_gb),
    freeCpuCores: Number(h.free_cpu_cores),
    freeMemoryGb: Number(h.free_memory_gb),
    status: h.status as Host['status'],
    loadStat: h.load_stat as Host['loadStat'],
    reserved: toBool(h.reserved),
    disks: disks
      .filter((d) => d.host_id === h.id)
      .map((d) => ({
        id: d.id,
        name: d.name,
        path: d.path,
        capacityGb: Number(d.capacity_gb),
        type: d.type,
        status: d.status as 'Available' | 'Exhaust',
      })),
  };
}

async function readHosts(db: Db, where?: { ids?: string[] }): Promise<Host[]> {
  if (where?.ids && where.ids.length === 0) return [];
  let hq = db.selectFrom('hosts').selectAll().orderBy('ip');
  if (where?.ids) hq = hq.where('id', 'in', where.ids);
  const hosts = await hq.execute();
  if (hosts.length === 0) return [];
  const disks = await db
    .selectFrom('disks')
    .selectAll()
    .where(
      'host_id',
      'in',
      hosts.map((h) => h.id),
    )
    .orderBy('name')
    .execute();
  return hosts.map((h) => toHost(h, disks));
}

export const listHosts = (db: Db): Promise<Host[]> => readHosts(db);

/** Adds hosts to the pool. A host whose IP is already known is left unchanged (import is repeatable). */
export async function addHosts(db: Db, inputs: HostInput[]): Promise<Host[]> {
  return db.transaction().execute(async (trx) => {
    const ids: string[] = [];
    for (const h of inputs) {
      const known = await trx.selectFrom('hosts').select('id').where('ip', '=', h.ip).executeTakeFirst();
      if (known) {
        ids.push(known.id);
        continue;
      }
      const id = h.id ?? randomUUID();
      const now = nowIso();
      await trx
        .insertInto('hosts')
        .values({
          id,
          ip: h.ip,
          host_name: h.hostName ?? h.ip,
          region: h.region,
          zone: h.zone,
          rack: h.rack ?? '',
          arch: h.arch,
          cpu_cores: h.cpuCores,
          memory_gb: h.memoryGb,
          free_cpu_cores: h.cpuCores,
          free_memory_gb: h.memoryGb,
          status: h.status ?? 'Online',
          load_stat: 'LoadLess',
          reserved: toInt(h.reserved),
          created_at: now,
          updated_at: now,
        })
        .execute();
      if (h.disks.length > 0) {
        await trx
          .insertInto('disks')
          .values(
            h.disks.map((d) => ({
              id: d.id ?? randomUUID(),
              host_id: id,
              name: d.name,
              path: d.path,
              capacity_gb: d.capacityGb,
              type: d.type,
              status: 'Available',
            })),
          )
          .execute();
      }
      ids.push(id);
    }
    const hosts = await readHosts(trx, { ids });
    return ids.map((id) => hosts.find((h) => h.id === id) as Host);
  });
}

// --- allocation planning (pure, over an in-memory snapshot) ---

interface WorkHost {
  row: HostRow;
  freeCpu: number;
  freeMem: number;
  disks: DiskRow[]; // status mutated as the plan takes disks
  usedPorts: Set<number>;
}

interface Placement {
  host: WorkHost;
  disk: DiskRow;
  ports: number[];
  req: InstanceRequirement;
}

function lowestFreePorts(used: Set<number>, [start, end]: [number, number], count: number): number[] | undefined {
  const ports: number[] = [];
  for (let p = start; p < end && ports.length < count; p++) if (!used.has(p)) ports.push(p);
  return ports.length === count ? ports : undefined;
}

function pickDisk(h: WorkHost, r: InstanceRequirement): DiskRow | undefined {
  const need = r.diskCapacityGb ?? 0;
  return h.disks
    .filter(
      (d) =>
        d.status === 'Available' &&
        Number(d.capacity_gb) >= need &&
        (!r.diskType || d.type === r.diskType) &&
        (!r.diskId || d.id === r.diskId),
    )
    .sort((a, b) => Number(a.capacity_gb) - Number(b.capacity_gb) || a.name.localeCompare(b.name))[0]; // best fit
}

function describe(req: AllocationRequest, r: InstanceRequirement): string {
  const where = r.hostIp ? `host ${r.hostIp}` : `zone ${r.zone}`;
  const disk = `disk ≥ ${r.diskCapacityGb ?? 0} GB${r.diskType ? ` ${r.diskType}` : ''}${r.diskId ? ` id ${r.diskId}` : ''}`;
  return (
    `component ${r.component} needs ${r.cpuCores} cores, ${r.memoryGb} GB memory, ${disk}, ` +
    `${r.portCount} ports in [${r.portRange[0]},${r.portRange[1]}) on ${where} of region ${req.region} ` +
    `(arch ${req.arch}, exclusive ${req.exclusive})`
  );
}

function place(req: AllocationRequest, r: InstanceRequirement, pool: WorkHost[], usedInRequest: Set<string>): Placement {
  const family = archFamily(req.arch);
  const loadOk = (h: WorkHost) =>
    req.exclusive ? h.row.load_stat === 'LoadLess' : h.row.load_stat === 'LoadLess' || h.row.load_stat === 'InUsed';
  const base = pool.filter(
    (h) =>
      h.row.zone === r.zone &&
      (!r.hostIp || h.row.ip === r.hostIp) &&
      family.includes(h.row.arch as (typeof family)[number]) &&
      h.row.status === 'Online' &&
      !toBool(h.row.reserved) &&
      loadOk(h),
  );
  const withCompute = base.filter((h) => h.freeCpu >= r.cpuCores && h.freeMem >= r.memoryGb);
  if (withCompute.length === 0) throw allocateError('RESOURCE_NO_ENOUGH_HOST', describe(req, r));
  const withDisk = withCompute.flatMap((h) => {
    const disk = pickDisk(h, r);
    return disk ? [{ host: h, disk }] : [];
  });
  if (withDisk.length === 0) throw allocateError('RESOURCE_NO_ENOUGH_DISK', describe(req, r));
  const candidates = withDisk.flatMap((c) => {
    const ports = lowestFreePorts(c.host.usedPorts, r.portRange, r.portCount);
    return ports ? [{ ...c, ports, req: r }] : [];
  });
  if (candidates.length === 0) throw allocateError('RESOURCE_NO_ENOUGH_PORT', describe(req, r));
  // Spread: hosts this request has not used yet first, then the most free CPU, then memory.
  candidates.sort(
    (a, b) =>
      Number(usedInRequest.has(a.host.row.id)) - Number(usedInRequest.has(b.host.row.id)) ||
      b.host.freeCpu - a.host.freeCpu ||
      b.host.freeMem - a.host.freeMem ||
      a.host.row.ip.localeCompare(b.host.row.ip),
  );
  const chosen = candidates[0];
  chosen.host.freeCpu -= r.cpuCores;
  chosen.host.freeMem -= r.memoryGb;
  chosen.disk.status = 'Exhaust';
  for (const p of chosen.ports) chosen.host.usedPorts.add(p);
  usedInRequest.add(chosen.host.row.id);
  return chosen;
}

function commonFreePorts(hosts: WorkHost[], [start, end]: [number, number], count: number): number[] | undefined {
  const ports: number[] = [];
  for (let p = start; p < end && ports.length < count; p++) if (hosts.every((h) => !h.usedPorts.has(p))) ports.push(p);
  return ports.length === count ? ports : undefined;
}

function validateRequest(req: AllocationRequest): void {
  const bad = (msg: string) => new TiemError('PARAMETER_INVALID', `invalid allocation request ${req.requestId}: ${msg}`);
  if (!req.requestId) throw bad('empty request id');
  if (!req.holderId) throw bad('empty holder id');
  for (const r of req.requirements) {
    const [s, e] = r.portRange;
    if (!(Number.isInteger(s) && Number.isInteger(e) && s < e) || r.portCount < 0) throw bad(`bad port range for ${r.component}`);
    if (r.cpuCores < 0 || r.memoryGb < 0) throw bad(`negative compute for ${r.component}`);
  }
  if (req.globalPortCount > 0 && !(req.globalPortRange[0] < req.globalPortRange[1])) throw bad('bad global port range');
}

// --- allocation (transactional) ---

export async function getAllocation(db: Db, requestId: string): Promise<AllocationResult | undefined> {
  const header = await db.selectFrom('resource_requests').selectAll().where('request_id', '=', requestId).executeTakeFirst();
  if (!header) return undefined;
  const rows = await db
    .selectFrom('resource_allocations')
    .selectAll()
    .where('request_id', '=', requestId)
    .where('kind', '=', 'instance')
    .orderBy('seq')
    .execute();
  return {
    requestId,
    holderId: header.holder_id,
    instances: rows.map(
      (r): AllocatedInstance => ({
        component: r.component as AllocatedInstance['component'],
        hostId: r.host_id,
        hostIp: r.host_ip,
        zone: r.zone,
        rack: r.rack,
        diskId: r.disk_id,
        diskPath: r.disk_path,
        diskType: r.disk_type,
        ports: fromJson<number[]>(r.ports, []),
        cpuCores: Number(r.cpu_cores),
        memoryGb: Number(r.memory_gb),
      }),
    ),
    globalPorts: fromJson<number[]>(header.global_ports, []),
  };
}

export async function listAllocations(db: Db, holderId: string): Promise<AllocationResult[]> {
  const headers = await db
    .selectFrom('resource_requests')
    .select('request_id')
    .where('holder_id', '=', holderId)
    .orderBy('created_at')
    .orderBy('request_id')
    .execute();
  const out: AllocationResult[] = [];
  for (const h of headers) {
    const a = await getAllocation(db, h.request_id);
    if (a) out.push(a);
  }
  return out;
}

export async function listAllocationHeaders(db: Db): Promise<AllocationHeader[]> {
  const rows = await db.selectFrom('resource_requests').select(['request_id', 'holder_id', 'created_at']).orderBy('created_at').orderBy('request_id').execute();
  return rows.map((r) => ({ requestId: r.request_id, holderId: r.holder_id, createdAt: r.created_at }));
}

/** Thrown inside a transaction to roll back a dry run, carrying what it would have allocated. */
class DryRunRollback extends Error {
  constructor(readonly result: AllocationResult) {
    super('dry run');
  }
}

/** What allocate would give now, by running it and rolling back: the same placement, nothing kept. */
export async function planAllocation(db: Db, req: AllocationRequest): Promise<AllocationResult> {
  validateRequest(req);
  try {
    await db.transaction().execute(async (trx) => {
      throw new DryRunRollback(await allocateIn(trx, req));
    });
  } catch (err) {
    if (err instanceof DryRunRollback) return err.result;
    throw err;
  }
  throw new Error('unreachable: a dry run always rolls back');
}

export async function allocate(db: Db, req: AllocationRequest): Promise<AllocationResult> {
  validateRequest(req);
  try {
    return await db.transaction().execute((trx) => allocateIn(trx, req));
  } catch (err) {
    if (isUniqueViolation(err)) {
      // A concurrent writer won: either the same request (return its result) or a port (retryable).
      const done = await getAllocation(db, req.requestId);
      if (done) return done;
      throw allocateError('RESOURCE_NO_ENOUGH_PORT', `a port was taken concurrently while allocating ${req.requestId}`);
    }
    throw err;
  }
}

async function allocateIn(trx: Db, req: AllocationRequest): Promise<AllocationResult> {
  // PostgreSQL: the region's hosts are locked, in IP order, for the whole placement (global ports
  // span every host of the region); a concurrent allocation or release waits instead of losing.
  const hostRows = await trx
    .selectFrom('hosts')
    .selectAll()
    .where('region', '=', req.region)
    .orderBy('ip')
    .$if(isPostgres(trx), (qb) => qb.forUpdate())
    .execute();
  const done = await getAllocation(trx, req.requestId);
  if (done) return done; // idempotent: the first result stands

  const hostIds = hostRows.map((h) => h.id);
  const diskRows = hostIds.length ? await trx.selectFrom('disks').selectAll().where('host_id', 'in', hostIds).execute() : [];
  const portRows = hostIds.length
    ? await trx.selectFrom('used_ports').select(['host_id', 'port']).where('host_id', 'in', hostIds).execute()
    : [];
  const pool: WorkHost[] = hostRows.map((row) => ({
    row,
    freeCpu: Number(row.free_cpu_cores),
    freeMem: Number(row.free_memory_gb),
    disks: diskRows.filter((d) => d.host_id === row.id).map((d) => ({ ...d })),
    usedPorts: new Set(portRows.filter((p) => p.host_id === row.id).map((p) => Number(p.port))),
  }));

  // Pinned requirements first, so a free-choice instance never takes a host someone pinned.
  const order = req.requirements.map((_, i) => i).sort((a, b) => Number(!req.requirements[a].hostIp) - Number(!req.requirements[b].hostIp));
  const placements: Placement[] = new Array(req.requirements.length);
  const usedInRequest = new Set<string>();
  for (const i of order) placements[i] = place(req, req.requirements[i], pool, usedInRequest);

  let globalPorts: number[] = [];
  const globalHosts = pool.filter((h) => !toBool(h.row.reserved));
  if (req.globalPortCount > 0) {
    if (globalHosts.length === 0) {
      throw allocateError('RESOURCE_NO_ENOUGH_HOST', `no host in region ${req.region} to hold the global ports`);
    }
    const found = commonFreePorts(globalHosts, req.globalPortRange, req.globalPortCount);
    if (!found) {
      throw allocateError(
        'RESOURCE_NO_ENOUGH_PORT',
        `no ${req.globalPortCount} ports in [${req.globalPortRange[0]},${req.globalPortRange[1]}) free on every host of region ${req.region}`,
      );
    }
    globalPorts = found;
  }

  await writeAllocation(trx, req, placements, globalPorts, globalHosts);
  return (await getAllocation(trx, req.requestId)) as AllocationResult;
}

async function writeAllocation(
  trx: Db,
  req: AllocationRequest,
  placements: Placement[],
  globalPorts: number[],
  globalHosts: WorkHost[],
): Promise<void> {
  const now = nowIso();
  await trx
    .insertInto('resource_requests')
    .values({ request_id: req.requestId, holder_id: req.holderId, global_ports: toJson(globalPorts), created_at: now })
    .execute();

  // One guarded update per host with the request's total, so several instances on a host add up.
  const perHost = new Map<string, { cpu: number; mem: number }>();
  for (const p of placements) {
    const t = perHost.get(p.host.row.id) ?? { cpu: 0, mem: 0 };
    t.cpu += p.req.cpuCores;
    t.mem += p.req.memoryGb;
    perHost.set(p.host.row.id, t);
  }
  const allowedLoads = req.exclusive ? ['LoadLess'] : ['LoadLess', 'InUsed'];
  for (const [hostId, t] of perHost) {
    const res = await trx
      .updateTable('hosts')
      .set((eb) => ({
        free_cpu_cores: eb('free_cpu_cores', '-', t.cpu),
        free_memory_gb: eb('free_memory_gb', '-', t.mem),
        load_stat: req.exclusive ? 'Exclusive' : 'InUsed',
        updated_at: now,
      }))
      .where('id', '=', hostId)
      .where('free_cpu_cores', '>=', t.cpu)
      .where('free_memory_gb', '>=', t.mem)
      .where('load_stat', 'in', allowedLoads)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) {
      throw allocateError('RESOURCE_NO_ENOUGH_HOST', `host ${hostId} changed concurrently while allocating ${req.requestId}`);
    }
  }

  for (const [seq, p] of placements.entries()) {
    const res = await trx
      .updateTable('disks')
      .set({ status: 'Exhaust' })
      .where('id', '=', p.disk.id)
      .where('status', '=', 'Available')
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) {
      throw allocateError('RESOURCE_NO_ENOUGH_DISK', `disk ${p.disk.id} changed concurrently while allocating ${req.requestId}`);
    }
    if (p.ports.length > 0) {
      await trx
        .insertInto('used_ports')
        .values(p.ports.map((port) => ({ host_id: p.host.row.id, port, holder_id: req.holderId, request_id: req.requestId })))
        .execute();
    }
    await trx
      .insertInto('resource_allocations')
      .values({
        id: `${req.requestId}#${seq}`,
        request_id: req.requestId,
        holder_id: req.holderId,
        kind: 'instance',
        seq,
        component: p.req.component,
        host_id: p.host.row.id,
        host_ip: p.host.row.ip,
        zone: p.host.row.zone,
        rack: p.host.row.rack,
        disk_id: p.disk.id,
        disk_path: p.disk.path,
        disk_type: p.disk.type,
        cpu_cores: p.req.cpuCores,
        memory_gb: p.req.memoryGb,
        ports: toJson(p.ports),
        exclusive: toInt(req.exclusive),
        created_at: now,
      })
      .execute();
  }

  if (globalPorts.length > 0) {
    for (const h of globalHosts) {
      await trx
        .insertInto('used_ports')
        .values(globalPorts.map((port) => ({ host_id: h.row.id, port, holder_id: req.holderId, request_id: req.requestId })))
        .execute();
      await trx
        .insertInto('resource_allocations')
        .values({
          id: `${req.requestId}#global#${h.row.id}`,
          request_id: req.requestId,
          holder_id: req.holderId,
          kind: 'global',
          seq: -1,
          component: '',
          host_id: h.row.id,
          host_ip: h.row.ip,
          zone: h.row.zone,
          rack: h.row.rack,
          disk_id: '',
          disk_path: '',
          disk_type: '',
          cpu_cores: 0,
          memory_gb: 0,
          ports: toJson(globalPorts),
          exclusive: 0,
          created_at: now,
        })
        .execute();
    }
  }
}

// --- release ---

async function releaseInTrx(trx: Db, requestId: string): Promise<boolean> {
  const header = await trx.selectFrom('resource_requests').select('request_id').where('request_id', '=', requestId).executeTakeFirst();
  if (!header) return false;
  const rows = await trx
    .selectFrom('resource_allocations')
    .select(['host_id', 'disk_id', 'cpu_cores', 'memory_gb'])
    .where('request_id', '=', requestId)
    .where('kind', '=', 'instance')
    .execute();
  const now = nowIso();
  // Hosts before disks, in IP order: the order allocateIn takes them, so the two never deadlock.
  const touched = [...new Set(rows.map((r) => r.host_id))];
  if (touched.length && isPostgres(trx)) await trx.selectFrom('hosts').select('id').where('id', 'in', touched).orderBy('ip').forUpdate().execute();
  const perHost = new Map<string, { cpu: number; mem: number }>();
  for (const r of rows) {
    const t = perHost.get(r.host_id) ?? { cpu: 0, mem: 0 };
    t.cpu += Number(r.cpu_cores);
    t.mem += Number(r.memory_gb);
    perHost.set(r.host_id, t);
    if (r.disk_id) {
      await trx.updateTable('disks').set({ status: 'Available' }).where('id', '=', r.disk_id).where('status', '=', 'Exhaust').execute();
    }
  }
  await trx.deleteFrom('used_ports').where('request_id', '=', requestId).execute();
  await trx.deleteFrom('resource_allocations').where('request_id', '=', requestId).execute();
  await trx.deleteFrom('resource_requests').where('request_id', '=', requestId).execute();
  for (const [hostId, t] of perHost) {
    // Load follows what is still placed on the host (TiEM: LoadLess when completely free).
    const remaining = await trx
      .selectFrom('resource_allocations')
      .select('exclusive')
      .where('host_id', '=', hostId)
      .where('kind', '=', 'instance')
      .execute();
    const load = remaining.length === 0 ? 'LoadLess' : remaining.some((r) => toBool(r.exclusive)) ? 'Exclusive' : 'InUsed';
    await trx
      .updateTable('hosts')
      .set((eb) => ({
        free_cpu_cores: eb('free_cpu_cores', '+', t.cpu),
        free_memory_gb: eb('free_memory_gb', '+', t.mem),
        load_stat: load,
        updated_at: now,
      }))
      .where('id', '=', hostId)
      .execute();
  }
  return true;
}

export async function release(db: Db, requestId: string): Promise<boolean> {
  return db.transaction().execute((trx) => releaseInTrx(trx, requestId));
}

/** Releases every request held by a cluster; returns how many requests were released. */
export async function releaseByHolder(db: Db, holderId: string): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const headers = await trx.selectFrom('resource_requests').select('request_id').where('holder_id', '=', holderId).execute();
    let n = 0;
    for (const h of headers) if (await releaseInTrx(trx, h.request_id)) n++;
    return n;
  });
}
