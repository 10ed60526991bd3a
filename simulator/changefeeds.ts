// TiCDC changefeed rules: creation checks (sink reachability/auth, GC safepoint), replication with
// lag, and the service safepoint each changefeed holds on its upstream.
import type { Simulator } from './sim.js';
import { ensureTable, isUp, type ChangefeedState, nativePasswordHash, storageAvailable, tidbServes, type ChangefeedModel, type ClusterModel } from './model.js';
import { tsoFromMs } from './tso.js';
import { sinkTlsProblem } from './tls.js';
import { ticdcApiSurface, ticdcRetryGiveUpMs } from './versions.js';

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

/** Parses mysql://user:pass@host:port/ and finds the running TiDB it names; `upstream` holds the CDC hosts' files. */
function resolveSink(sim: Simulator, sinkUri: string, upstream: ClusterModel): { cluster: ClusterModel } {
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
  const sslCa = u.searchParams.get('ssl-ca') ?? undefined;
  // Any capture may run the sink's tables: the file must be on every CDC host.
  const cdcHosts = [...new Set(upstream.instances.filter((i) => i.role === 'cdc').map((i) => i.host))];
  const onEveryCdcHost = (p: string) => {
    const copies = cdcHosts.map((h) => upstream.pushedFiles.find((f) => f.host === h && f.remotePath === p));
    return copies.every(Boolean) ? copies[0]?.content : undefined;
  };
  const tlsProblem = sinkTlsProblem(target, sslCa, onEveryCdcHost);
  if (tlsProblem) throw new CdcError(400, 'CDC:ErrMySQLConnectionError', `[CDC:ErrMySQLConnectionError]fail to open MySQL connection: ${tlsProblem}`);
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

/** A create request, whichever API version carried it. */
export interface ChangefeedRequest {
  changefeedId: unknown;
  sinkUri: unknown;
  startTs: unknown;
  /** v1: top-level `ignore_ineligible_table`; v2: `replica_config.ignore_ineligible_table`. */
  ignoreIneligible: boolean;
}

/**
 * Tables TiCDC cannot replicate: no primary key and no NOT NULL unique index
 * (pingcap/tiflow cdc/model/schema_storage.go TableInfo.IsEligible / ExistTableUniqueColumn).
 */
export function ineligibleTables(upstream: ClusterModel): string[] {
  return [...upstream.tables.values()].filter((t) => !t.uniqueKey && !t.db.startsWith('__TiDB_BR_Temporary')).map((t) => `${t.db}.${t.table}`);
}

export function createChangefeed(sim: Simulator, upstream: ClusterModel, req: ChangefeedRequest): ChangefeedModel {
  const sinkUri = typeof req.sinkUri === 'string' ? req.sinkUri : '';
  if (!sinkUri) throw new CdcError(400, 'CDC:ErrSinkURIInvalid', '[CDC:ErrSinkURIInvalid]sink uri invalid: sink uri is empty');
  const id = typeof req.changefeedId === 'string' && req.changefeedId ? req.changefeedId : `cf-${Date.now().toString(36)}`;
  // cdc/model/changefeed.go ValidateChangefeedID: the pattern and at most 128 characters.
  if (!CF_ID_RE.test(id) || id.length > 128) {
    throw new CdcError(400, 'CDC:ErrAPIInvalidParam', `[CDC:ErrAPIInvalidParam]invalid api parameter: invalid changefeed_id: ${id}`);
  }
  // ErrChangeFeedAlreadyExists is not in httpBadRequestError (cdc/api/util.go): a 500.
  if (upstream.changefeeds.has(id)) {
    throw new CdcError(500, 'CDC:ErrChangeFeedAlreadyExists', `[CDC:ErrChangeFeedAlreadyExists]changefeed already exists, ${id}`);
  }
  const now = sim.fleet.tso.next();
  let startTs = now;
  const raw = req.startTs;
  if (raw !== undefined && raw !== null && raw !== 0 && raw !== '0' && raw !== '') {
    if (!/^\d+$/.test(String(raw))) throw new CdcError(400, 'CDC:ErrAPIInvalidParam', `[CDC:ErrAPIInvalidParam]invalid api parameter: invalid start_ts ${String(raw)}`);
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
  // cdc/api/v2/api_helpers.go verifyCreateChangefeedConfig (v1: cdc/api/v1/validator.go).
  const ineligible = ineligibleTables(upstream);
  if (ineligible.length && !req.ignoreIneligible) {
    throw new CdcError(
      400,
      'CDC:ErrTableIneligible',
      `[CDC:ErrTableIneligible]some tables are not eligible to replicate([${ineligible.join(' ')}]), if you want to ignore these tables, please set ignore_ineligible_table to true`,
    );
  }
  const { cluster: downstream } = resolveSink(sim, sinkUri, upstream);
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
    ignoreIneligible: req.ignoreIneligible,
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

/** Retried states of the cluster's TiCDC version: `error` (old model) or `warning` (new model). */
function retryState(up: ClusterModel): ChangefeedState {
  return ticdcApiSurface(up.version).retryStates === 'error' ? 'error' : 'warning';
}

/** Advances every normal changefeed: checkpoint trails the upstream TSO by ~1 s / speed. */
export function tickChangefeeds(sim: Simulator): void {
  const nowMs = Date.now();
  const lagMs = Math.max(50, 1000 / sim.speed);
  for (const up of sim.fleet.clusters.values()) {
    for (const cf of [...up.changefeeds.values()]) {
      const sid = serviceIdFor(cf);
      if (cf.removing) {
        removeChangefeed(up, cf.id);
        continue;
      }
      const held = up.serviceSafePoints.get(sid);
      if (cf.state === 'normal') {
        const down = sim.fleet.get(cf.downstream);
        if (!upstreamReplicates(up)) continue;
        if (!down || !sinkReachable(sim, cf)) {
          cf.state = retryState(up);
          cf.retryingSinceMs = nowMs;
          cf.error = { code: 'CDC:ErrMySQLConnectionError', message: `[CDC:ErrMySQLConnectionError]fail to open MySQL connection: downstream cluster ${cf.downstream} is not reachable` };
        } else {
          const target = tsoFromMs(nowMs - lagMs);
          if (target > cf.checkpointTs) {
            replicate(sim, up, down, cf, cf.replicatedTs, target);
            cf.replicatedTs = target;
            cf.checkpointTs = target;
          }
        }
      } else if ((cf.state === 'warning' || cf.state === 'error' || cf.state === 'pending') && cf.error?.code === 'CDC:ErrMySQLConnectionError') {
        // TiCDC retries by itself until the downstream is back, or gives up (versions.ts ticdcRetryGiveUpMs).
        if (sinkReachable(sim, cf)) {
          cf.state = 'normal';
          cf.error = undefined;
          cf.retryingSinceMs = undefined;
        } else if (nowMs - (cf.retryingSinceMs ?? nowMs) > ticdcRetryGiveUpMs(up.version) / sim.speed) {
          cf.state = 'failed';
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

function replicate(sim: Simulator, up: ClusterModel, down: ClusterModel, cf: ChangefeedModel, from: bigint, to: bigint): void {
  for (const t of up.tables.values()) {
    // An ignored ineligible table is skipped (cdc/owner/schema.go shouldIgnoreTable).
    if (!t.uniqueKey && cf.ignoreIneligible) continue;
    const evs = t.events.filter((e) => e.ts > from && e.ts <= to);
    if (!evs.length) continue;
    const dt = ensureTable(down, t.db, t.table);
    for (const e of evs) dt.events.push({ ts: sim.fleet.tso.next(), rowsDelta: e.rowsDelta, bytesDelta: e.bytesDelta, hash: e.hash });
  }
}
