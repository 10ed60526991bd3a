// Control (setup, fault injection) and inspection HTTP API, plus the tiup-exec endpoint.
import type http from 'node:http';
import type { Simulator } from './sim.js';
import { readJson, sendJson } from './http-util.js';
import { handleTiupExec } from './tiup-exec.js';
import { ROLES, clusterChecksum, clusterStatus, ensureTable, isUp, nativePasswordHash, normalizeVersion, parseVersion, randomHash64, type ChangefeedState, type Instance, type Role } from './model.js';
import { topologyFromInstances } from './topology.js';
import { writeTiupMeta } from './storage.js';
import { generateClusterTls } from './tls.js';
import { normalizeGlobalVar } from './sql-engine.js';
import type { FaultSpec } from './faults.js';
import { tsoFromMs, tsoToMs, formatGcTime } from './tso.js';

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const DEFAULT_PORTS: Record<Role, number> = { pd: 2379, tikv: 20160, tidb: 4000, tiflash: 9000, cdc: 8300, prometheus: 9090, grafana: 3000, alertmanager: 9093 };

export function createRequestHandler(sim: Simulator) {
  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    route(sim, req, res).catch((e: Error) => {
      const status = e instanceof HttpError ? e.status : 500;
      if (!res.headersSent) sendJson(res, status, { error: e.message });
      else res.end();
    });
  };
}

async function route(sim: Simulator, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const m = req.method ?? 'GET';
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const is = (method: string, ...pattern: string[]) =>
    m === method && parts.length === pattern.length && pattern.every((p, i) => p === '*' || p === parts[i]);

  if (is('POST', 'tiup', 'exec')) return handleTiupExec(sim, req, res);
  if (is('GET', 'health')) return sendJson(res, 200, { ok: true });

  // ---- control ----
  if (is('POST', 'control', 'clusters')) {
    const c = await seedCluster(sim, await readJson(req));
    return sendJson(res, 200, { name: c.name, instances: c.instances });
  }
  if (is('POST', 'control', 'faults')) {
    const body = (await readJson(req)) as unknown as FaultSpec;
    try {
      const f = sim.faults.add(body);
      return sendJson(res, 200, { id: f.id });
    } catch (e) {
      throw new HttpError(400, (e as Error).message);
    }
  }
  if (is('DELETE', 'control', 'faults')) {
    sim.faults.clear();
    return sendJson(res, 200, {});
  }
  if (is('GET', 'control', 'faults')) return sendJson(res, 200, { faults: sim.faults.list() });
  if (is('POST', 'control', 'speed')) {
    const { factor } = await readJson(req);
    if (typeof factor !== 'number' || !(factor > 0)) throw new HttpError(400, 'factor must be a positive number');
    sim.speed = factor;
    return sendJson(res, 200, { factor });
  }
  if (is('POST', 'control', 'changefeeds', '*', 'state')) {
    const body = await readJson(req);
    const state = body.state;
    const states = ['normal', 'error', 'pending', 'warning', 'failed', 'stopped', 'finished', 'removed'];
    if (typeof state !== 'string' || !states.includes(state)) throw new HttpError(400, `state must be one of ${states.join('|')}`);
    const cf = [...sim.fleet.clusters.values()].map((c) => c.changefeeds.get(parts[2])).find(Boolean);
    if (!cf) throw new HttpError(404, `changefeed ${parts[2]} not found`);
    cf.state = state as ChangefeedState;
    cf.retryingSinceMs = ['error', 'pending', 'warning'].includes(state) ? Date.now() : undefined;
    const message = typeof body.message === 'string' ? body.message : `changefeed moved to ${state} by the control API`;
    const code = typeof body.code === 'string' ? body.code : state === 'normal' ? '' : 'CDC:ErrSimulatorInjected';
    cf.error = state === 'normal' ? undefined : { code, message };
    return sendJson(res, 200, {});
  }
  if (is('POST', 'control', 'clusters', '*', 'gc', 'advance')) {
    const c = cluster(sim, parts[2]);
    // Force the safepoint to "now", ignoring life time and service safepoints.
    const now = sim.fleet.tso.next();
    if (now > c.gcSafePoint) c.gcSafePoint = now;
    return sendJson(res, 200, { gcSafePoint: c.gcSafePoint.toString() });
  }
  if (is('POST', 'control', 'clusters', '*', 'write-stream')) {
    const c = cluster(sim, parts[2]);
    const b = await readJson(req);
    const wps = Number(b.writesPerSec ?? 0);
    c.writeStream = {
      writesPerSec: wps,
      rowsPerWrite: Number(b.rowsPerWrite ?? c.writeStream?.rowsPerWrite ?? 1),
      bytesPerWrite: Number(b.bytesPerWrite ?? c.writeStream?.bytesPerWrite ?? 128),
      carry: 0,
      next: c.writeStream?.next ?? 0,
    };
    return sendJson(res, 200, { writesPerSec: wps });
  }
  if (is('POST', 'control', 'clusters', '*', 'writes')) {
    // Deterministic writes for tests: {db, table, count}
    const c = cluster(sim, parts[2]);
    const b = await readJson(req);
    const n = Number(b.count ?? 1);
    for (let i = 0; i < n; i++) sim.fleet.appendEvent(c, String(b.db ?? 'test'), String(b.table ?? 'sim_writes'), Number(b.rowsPerWrite ?? 1), Number(b.bytesPerWrite ?? 128), randomHash64());
    return sendJson(res, 200, { tso: sim.fleet.tso.next().toString() });
  }

  // ---- inspection ----
  if (is('GET', 'inspect', 'tso')) {
    const tso = sim.fleet.tso.next();
    return sendJson(res, 200, { tso: tso.toString(), physicalMs: tsoToMs(tso) });
  }
  if (is('GET', 'inspect', 'clusters')) {
    return sendJson(res, 200, {
      clusters: [...sim.fleet.clusters.values()].map((c) => ({ name: c.name, version: c.version, status: clusterStatus(c), origin: c.origin })),
    });
  }
  if (is('GET', 'inspect', 'clusters', '*')) {
    const c = cluster(sim, parts[2]);
    return sendJson(res, 200, {
      name: c.name,
      version: c.version,
      status: clusterStatus(c),
      origin: c.origin,
      deployUser: c.deployUser,
      tiupHome: c.tiupHome,
      tls: Boolean(c.tls),
      instances: c.instances.map((i) => ({ ...i, status: isUp(c, i) ? 'Up' : 'Down' })),
      gcLifeTime: c.globalVars.tidb_gc_life_time,
      gcEnable: c.globalVars.tidb_gc_enable,
      gcSafePoint: c.gcSafePoint.toString(),
      gcSafePointTime: formatGcTime(tsoToMs(c.gcSafePoint)),
      serviceSafePoints: [...c.serviceSafePoints.values()].map((s) => ({ serviceId: s.serviceId, safePoint: s.safePoint.toString(), expiresAt: new Date(s.expiresAtMs).toISOString() })),
      users: c.users.map((u) => ({ user: u.user, host: u.host, privileges: u.privileges, hasPassword: !!u.authString })),
      tables: clusterChecksum(c).tables.map((t) => ({ db: t.db, table: t.table, rows: t.totalKvs, bytes: t.totalBytes })),
      changefeeds: [...c.changefeeds.values()].map((cf) => ({
        id: cf.id,
        state: cf.state,
        startTs: cf.startTs.toString(),
        checkpointTs: cf.checkpointTs.toString(),
        downstream: cf.downstream,
        error: cf.error ?? null,
      })),
      pushedFiles: c.pushedFiles,
      config: c.config,
      globalVariables: Object.fromEntries(Object.entries(c.globalVars).filter(([k]) => k !== 'tidb_snapshot')),
      writeStream: c.writeStream ? { writesPerSec: c.writeStream.writesPerSec, rowsPerWrite: c.writeStream.rowsPerWrite, bytesPerWrite: c.writeStream.bytesPerWrite } : null,
      restoreCheckpoint: c.restoreCheckpoint ?? null,
    });
  }
  if (is('GET', 'inspect', 'clusters', '*', 'checksum')) {
    const c = cluster(sim, parts[2]);
    const ts = url.searchParams.get('ts');
    if (ts !== null && !/^\d+$/.test(ts)) throw new HttpError(400, 'ts must be a decimal TSO');
    return sendJson(res, 200, clusterChecksum(c, ts === null ? undefined : BigInt(ts)));
  }
  if (is('GET', 'inspect', 'operations')) {
    return sendJson(res, 200, { operations: sim.ops.list({ op: url.searchParams.get('op') ?? undefined, cluster: url.searchParams.get('cluster') ?? undefined }) });
  }
  throw new HttpError(404, `no route ${m} ${url.pathname}`);
}

function cluster(sim: Simulator, name: string) {
  const c = sim.fleet.get(name);
  if (!c) throw new HttpError(404, `cluster ${name} not found`);
  return c;
}

async function seedCluster(sim: Simulator, b: Record<string, unknown>) {
  const name = String(b.name ?? '');
  const version = String(b.version ?? '');
  if (!/^[a-zA-Z0-9\-_.]+$/.test(name)) throw new HttpError(400, 'name is required ([a-zA-Z0-9-_.]+)');
  if (!parseVersion(version)) throw new HttpError(400, 'version must look like v7.5.1');
  if (sim.fleet.get(name)) throw new HttpError(409, `cluster ${name} already exists`);
  const rawInstances = Array.isArray(b.instances) ? (b.instances as Record<string, unknown>[]) : [];
  const instances: Instance[] = rawInstances.map((r) => {
    const role = String(r.role) as Role;
    if (!ROLES.includes(role)) throw new HttpError(400, `unknown role ${String(r.role)}`);
    if (typeof r.host !== 'string') throw new HttpError(400, 'instance host is required');
    const inst: Instance = { role, host: r.host, port: typeof r.port === 'number' ? r.port : DEFAULT_PORTS[role] };
    if (typeof r.statusPort === 'number') inst.statusPort = r.statusPort;
    else if (role === 'tidb') inst.statusPort = 10080;
    else if (role === 'tikv') inst.statusPort = 20180;
    if (typeof r.peerPort === 'number') inst.peerPort = r.peerPort;
    else if (role === 'pd') inst.peerPort = 2380;
    return inst;
  });
  if (!instances.some((i) => i.role === 'pd') || !instances.some((i) => i.role === 'tikv') || !instances.some((i) => i.role === 'tidb')) {
    throw new HttpError(400, 'a cluster needs at least one pd, tikv and tidb instance');
  }
  const deployUser = typeof b.deployUser === 'string' ? b.deployUser : 'tidb';
  const c = sim.fleet.newCluster({
    name,
    version: normalizeVersion(version),
    deployUser,
    tiupHome: sim.tiupHome,
    origin: 'seed',
    topology: topologyFromInstances(instances, deployUser),
    instances,
  });
  try {
    const root = c.users.find((u) => u.user === 'root')!;
    root.authString = nativePasswordHash(typeof b.rootPassword === 'string' ? b.rootPassword : '');
    for (const u of (Array.isArray(b.users) ? b.users : []) as Record<string, unknown>[]) {
      const user = String(u.user);
      const host = typeof u.host === 'string' ? u.host : '%';
      c.users = c.users.filter((x) => !(x.user === user && x.host === host));
      c.users.push({ user, host, authString: nativePasswordHash(typeof u.password === 'string' ? u.password : ''), privileges: Array.isArray(u.privileges) ? u.privileges.map(String) : [] });
    }
    if (typeof b.gcLifeTime === 'string') {
      c.globalVars.tidb_gc_life_time = normalizeGlobalVar('tidb_gc_life_time', b.gcLifeTime);
      c.gcSafePoint = tsoFromMs(Date.now() - 600_000);
    }
    for (const t of (Array.isArray(b.tables) ? b.tables : []) as Record<string, unknown>[]) {
      sim.fleet.appendEvent(c, String(t.db), String(t.table), Number(t.rows ?? 0), Number(t.sizeBytes ?? t.bytes ?? 0), randomHash64());
      if (t.uniqueKey === false) ensureTable(c, String(t.db), String(t.table)).uniqueKey = false;
    }
    const ws = b.writeStream as Record<string, unknown> | undefined;
    if (ws) c.writeStream = { writesPerSec: Number(ws.writesPerSec ?? 1), rowsPerWrite: Number(ws.rowsPerWrite ?? 1), bytesPerWrite: Number(ws.bytesPerWrite ?? 128), carry: 0, next: 0 };
    // A tuned cluster: server_configs of its topology (also its live config) and changed global variables.
    const serverConfigs = (b.serverConfigs ?? {}) as Record<string, Record<string, string | number | boolean>>;
    for (const [comp, conf] of Object.entries(serverConfigs)) c.config[comp] = { ...(c.config[comp] ?? {}), ...conf };
    for (const [k, v] of Object.entries((b.globalVariables ?? {}) as Record<string, string>)) c.globalVars[k] = normalizeGlobalVar(k, String(v));
    if (b.tls === true) c.tls = await generateClusterTls(sim.tiupHome, name, [...new Set(instances.map((i) => i.host))]);
    if (b.started !== false) {
      await sim.listeners.startCluster(c);
      c.topology = topologyFromInstances(c.instances, deployUser); // ports may have been 0 (ephemeral)
    }
    c.topology = { ...c.topology, server_configs: serverConfigs, global: { ...(c.topology.global as object), ...(c.tls ? { enable_tls: true } : {}) } };
    writeTiupMeta(c);
    return c;
  } catch (e) {
    await sim.listeners.stopCluster(name);
    sim.fleet.clusters.delete(name);
    throw new HttpError(400, (e as Error).message);
  }
}
