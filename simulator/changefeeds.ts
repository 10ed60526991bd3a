// TiCDC changefeed rules: creation checks (sink reachability/auth, GC safepoint), replication with
// lag, and the service safepoint each changefeed holds on its upstream.
import type { Simulator } from './sim.js';
import { ensureTable, isUp, nativePasswordHash, storageAvailable, tidbServes, type ChangefeedModel, type ClusterModel } from './model.js';
import { tsoFromMs } from './tso.js';

export class CdcError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const CF_ID_RE = /^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$/;
const GC_TTL_MS = 86_400_000;

export function serviceIdFor(cf: { id: string }): string {
  return `ticdc-default-${cf.id}`;
}

export function maskSinkUri(uri: string): string {
  return uri.replace(/^(\w+:\/\/[^:/@]*:)[^@]*@/, '$1xxxxx@');
}

/** Parses mysql://user:pass@host:port/ and finds the running TiDB it names. */
function resolveSink(sim: Simulator, sinkUri: string): { cluster: ClusterModel } {
  let u: URL;
  try {
    u = new URL(sinkUri);
  } catch {
    throw new CdcError(400, 'CDC:ErrSinkURIInvalid', `[CDC:ErrSinkURIInvalid]sink uri invalid '${maskSinkUri(sinkUri)}'`);
  }
  if (!['mysql:', 'tidb:'].includes(u.protocol)) {
    throw new CdcError(400, 'CDC:ErrSinkURIInvalid', `[CDC:ErrSinkURIInvalid]the simulator only supports mysql:// and tidb:// sinks`);
  }
  const host = u.hostname;
  const port = Number(u.port || 3306);
  const user = decodeURIComponent(u.username);
  const pass = decodeURIComponent(u.password);
  const target = sim.fleet.findByInstance('tidb', host, port);
  // A MySQL sink names one TiDB address: that instance must run (other TiDBs of its cluster do not help).
  if (!target || !tidbServes(target, host, port)) {
    throw new CdcError(
      400,
      'CDC:ErrMySQLConnectionError',
      `[CDC:ErrMySQLConnectionError]fail to open MySQL connection: dial tcp ${host}:${port}: connect: connection refused`,
    );
  }
  const hash = nativePasswordHash(pass);
  if (!target.users.some((x) => x.user === user && x.authString === hash)) {
    throw new CdcError(
      400,
      'CDC:ErrMySQLConnectionError',
      `[CDC:ErrMySQLConnectionError]fail to open MySQL connection: Error 1045 (28000): Access denied for user '${user}'@'127.0.0.1' (using password: ${pass ? 'YES' : 'NO'})`,
    );
  }
  return { cluster: target };
}

export function createChangefeed(sim: Simulator, upstream: ClusterModel, body: Record<string, unknown>): ChangefeedModel {
  const sinkUri = typeof body.sink_uri === 'string' ? body.sink_uri : '';
  if (!sinkUri) throw new CdcError(400, 'CDC:ErrAPIInvalidParam', '[CDC:ErrAPIInvalidParam]invalid api parameter: sink_uri is required');
  const id = typeof body.changefeed_id === 'string' && body.changefeed_id ? body.changefeed_id : `cf-${Date.now().toString(36)}`;
  if (!CF_ID_RE.test(id)) {
    throw new CdcError(400, 'CDC:ErrAPIInvalidParam', `[CDC:ErrAPIInvalidParam]invalid changefeed id '${id}': must match ^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$`);
  }
  if (upstream.changefeeds.has(id)) {
    throw new CdcError(400, 'CDC:ErrChangeFeedAlreadyExists', `[CDC:ErrChangeFeedAlreadyExists]changefeed already exists, namespace: default, changefeed: ${id}`);
  }
  const now = sim.fleet.tso.next();
  let startTs = now;
  const raw = body.start_ts;
  if (raw !== undefined && raw !== null && raw !== 0 && raw !== '0' && raw !== '') {
    if (!/^\d+$/.test(String(raw))) throw new CdcError(400, 'CDC:ErrAPIInvalidParam', `[CDC:ErrAPIInvalidParam]invalid start_ts ${String(raw)}`);
    startTs = BigInt(String(raw));
  }
  if (startTs > now) {
    throw new CdcError(400, 'CDC:ErrAPIInvalidParam', `[CDC:ErrAPIInvalidParam]invalid api parameter: start_ts ${startTs} is greater than current TSO ${now}`);
  }
  // TiCDC compares with the minimum service safepoint / GC safepoint: start-ts must be > it.
  const nowMs = Date.now();
  const gcSp = upstream.gcSafePoint;
  if (startTs <= gcSp) {
    throw new CdcError(
      400,
      'CDC:ErrStartTsBeforeGC',
      `[CDC:ErrStartTsBeforeGC]fail to create or maintain changefeed because start-ts ${startTs} is earlier than or equal to GC safepoint at ${gcSp}`,
    );
  }
  const { cluster: downstream } = resolveSink(sim, sinkUri);
  if (downstream.name === upstream.name) {
    throw new CdcError(400, 'CDC:ErrSameUpstreamDownstream', '[CDC:ErrSameUpstreamDownstream]upstream and downstream are the same cluster');
  }
  const cf: ChangefeedModel = {
    id,
    upstream: upstream.name,
    downstream: downstream.name,
    sinkUri,
    startTs,
    checkpointTs: startTs,
    replicatedTs: startTs,
    state: 'normal',
    createTimeMs: nowMs,
  };
  upstream.changefeeds.set(id, cf);
  upstream.serviceSafePoints.set(serviceIdFor(cf), { serviceId: serviceIdFor(cf), safePoint: startTs, expiresAtMs: nowMs + GC_TTL_MS });
  return cf;
}

export function removeChangefeed(upstream: ClusterModel, id: string): void {
  upstream.changefeeds.delete(id);
  upstream.serviceSafePoints.delete(serviceIdFor({ id }));
}

/** The TiDB the sink URI names can take writes. */
function sinkReachable(sim: Simulator, cf: ChangefeedModel): boolean {
  const down = sim.fleet.get(cf.downstream);
  if (!down) return false;
  let u: URL;
  try {
    u = new URL(cf.sinkUri);
  } catch {
    return false;
  }
  return tidbServes(down, u.hostname, Number(u.port || 3306));
}

/** The upstream can feed its changefeeds: PD/TiKV usable and some CDC capture running (TiDB is not needed). */
function upstreamReplicates(up: ClusterModel): boolean {
  return storageAvailable(up) && up.instances.some((i) => i.role === 'cdc' && isUp(up, i));
}

/** Advances every normal changefeed: checkpoint trails the upstream TSO by ~1 s / speed. */
export function tickChangefeeds(sim: Simulator): void {
  const nowMs = Date.now();
  const lagMs = Math.max(50, 1000 / sim.speed);
  for (const up of sim.fleet.clusters.values()) {
    for (const cf of up.changefeeds.values()) {
      const sid = serviceIdFor(cf);
      const held = up.serviceSafePoints.get(sid);
      if (cf.state === 'normal') {
        const down = sim.fleet.get(cf.downstream);
        if (!upstreamReplicates(up)) continue;
        if (!down || !sinkReachable(sim, cf)) {
          cf.state = 'warning';
          cf.error = { code: 'CDC:ErrMySQLConnectionError', message: `[CDC:ErrMySQLConnectionError]fail to open MySQL connection: downstream cluster ${cf.downstream} is not reachable` };
        } else {
          const target = tsoFromMs(nowMs - lagMs);
          if (target > cf.checkpointTs) {
            replicate(sim, up, down, cf.replicatedTs, target);
            cf.replicatedTs = target;
            cf.checkpointTs = target;
          }
        }
      } else if (cf.state === 'warning' && cf.error?.code === 'CDC:ErrMySQLConnectionError') {
        // Recovers by itself once the downstream is back (TiCDC retries warnings).
        if (sinkReachable(sim, cf)) {
          cf.state = 'normal';
          cf.error = undefined;
        }
      }
      // Failed-by-GC changefeeds stop blocking GC; the others keep their safepoint.
      if (cf.state === 'failed' && cf.error?.code === 'CDC:ErrGCTTLExceeded') up.serviceSafePoints.delete(sid);
      else if (held) {
        held.safePoint = cf.checkpointTs;
      } else up.serviceSafePoints.set(sid, { serviceId: sid, safePoint: cf.checkpointTs, expiresAtMs: nowMs + GC_TTL_MS });
    }
  }
}

function replicate(sim: Simulator, up: ClusterModel, down: ClusterModel, from: bigint, to: bigint): void {
  for (const t of up.tables.values()) {
    const evs = t.events.filter((e) => e.ts > from && e.ts <= to);
    if (!evs.length) continue;
    const dt = ensureTable(down, t.db, t.table);
    for (const e of evs) dt.events.push({ ts: sim.fleet.tso.next(), rowsDelta: e.rowsDelta, bytesDelta: e.bytesDelta, hash: e.hash });
  }
}
