// TiCDC's HTTP API, served on every running CDC instance's host:port, with the routes and answers
// of the cluster's version (versions.ts ticdcApiSurface): OpenAPI v1 from v5.2, v2 create from
// v6.2, the rest of v2 from v6.5.2.
import http from 'node:http';
import https from 'node:https';
import type { Simulator } from './sim.js';
import { readJson, sendJson } from './http-util.js';
import { CdcError, createChangefeed, ineligibleTables, maskSinkUri, removeChangefeed, type ChangefeedRequest } from './changefeeds.js';
import { instanceId, isUp, type ChangefeedModel, type ClusterModel, type Instance } from './model.js';
import { formatCdcTime, tsoToMs } from './tso.js';
import { changefeedNotExistsText, ticdcApiSurface, type TicdcApiSurface } from './versions.js';

/** model.HTTPError {error_msg, error_code} (pingcap/tiflow cdc/model/http_model.go), same in v1 and v2. */
function cdcError(res: http.ServerResponse, status: number, code: string, msg: string): void {
  sendJson(res, status, { error_msg: msg, error_code: code });
}

/** gin's NoRoute answer for a route this version does not register. */
function noRoute(res: http.ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('404 page not found');
}

const errorOf = (cf: ChangefeedModel) => (cf.error && cf.state !== 'normal' ? { addr: '', code: cf.error.code, message: cf.error.message } : null);

/** v2 ChangeFeedInfo (cdc/api/v2/model.go): `checkpoint_ts`, error only when not normal. */
export function changefeedInfo(cf: ChangefeedModel, c: ClusterModel): Record<string, unknown> {
  return {
    upstream_id: 7000000000000000000,
    namespace: 'default',
    id: cf.id,
    sink_uri: maskSinkUri(cf.sinkUri),
    create_time: formatCdcTime(cf.createTimeMs),
    start_ts: cf.startTs.toString(),
    target_ts: 0,
    admin_job_type: cf.state === 'stopped' ? 1 : 0,
    config: { case_sensitive: false, force_replicate: false, ignore_ineligible_table: cf.ignoreIneligible, check_gc_safe_point: true, filter: { rules: ['*.*'] } },
    state: cf.state,
    error: errorOf(cf),
    creator_version: c.version,
    resolved_ts: cf.checkpointTs.toString(),
    checkpoint_ts: cf.checkpointTs.toString(),
    checkpoint_time: formatCdcTime(tsoToMs(cf.checkpointTs)),
    task_status: [],
  };
}

/** ChangefeedCommonInfo (list items, v1 and v2): `checkpoint_tso`; its MarshalJSON drops the error when normal. */
function commonInfo(cf: ChangefeedModel, api: 'v1' | 'v2'): Record<string, unknown> {
  return {
    ...(api === 'v2' ? { upstream_id: 7000000000000000000 } : {}),
    namespace: 'default',
    id: cf.id,
    state: cf.state,
    checkpoint_tso: cf.checkpointTs.toString(),
    checkpoint_time: formatCdcTime(tsoToMs(cf.checkpointTs)),
    error: errorOf(cf),
  };
}

/** v1 ChangefeedDetail: GetChangefeed never fills RunningError, so `error` is always null (cdc/api/v1/api.go GetChangefeed). */
function v1Detail(cf: ChangefeedModel, c: ClusterModel): Record<string, unknown> {
  return {
    namespace: 'default',
    id: cf.id,
    sink_uri: maskSinkUri(cf.sinkUri),
    create_time: formatCdcTime(cf.createTimeMs),
    start_ts: cf.startTs.toString(),
    resolved_ts: cf.checkpointTs.toString(),
    target_ts: 0,
    checkpoint_tso: cf.checkpointTs.toString(),
    checkpoint_time: formatCdcTime(tsoToMs(cf.checkpointTs)),
    sort_engine: 'unified',
    state: cf.state,
    error: null,
    error_history: null,
    creator_version: c.version,
    task_status: [],
  };
}

/** FeedState.IsNeeded: the default list holds normal, stopped, failed (+ warning, pending in the new model). */
function listed(cf: ChangefeedModel, state: string | null): boolean {
  if (state === 'all') return true;
  if (state) return cf.state === state;
  return ['normal', 'stopped', 'failed', 'warning', 'pending'].includes(cf.state);
}

/**
 * The OpenAPI server of one TiCDC instance. On a TLS cluster it is https and requires a client
 * certificate signed by the cluster's CA (TiUP starts cdc with --ca/--cert/--key; tiflow
 * pkg/security/credential.go ToTLSConfigWithVerify: ClientAuth RequireAndVerifyClientCert).
 */
export function createCdcServer(sim: Simulator, clusterName: string, inst: Instance): http.Server {
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    void handle(req, res).catch((e: Error) => {
      if (!res.headersSent) cdcError(res, 500, 'CDC:ErrInternalServerError', `[CDC:ErrInternalServerError]${e.message}`);
    });
  };
  const tls = sim.fleet.get(clusterName)?.tls;
  if (tls) {
    return https.createServer({ key: tls.serverKey, cert: tls.serverCert, ca: tls.caCert, requestCert: true, rejectUnauthorized: true }, listener);
  }
  return http.createServer(listener);

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const c = sim.fleet.get(clusterName);
    if (!c || !isUp(c, inst)) {
      req.socket.destroy();
      return;
    }
    const surface = ticdcApiSurface(c.version);
    const parts = url.pathname.replace(/\/+$/, '').split('/').filter(Boolean);
    const api = parts[0] === 'api' && (parts[1] === 'v1' || parts[1] === 'v2') ? parts[1] : undefined;
    if (!api) return noRoute(res);
    const rest = parts.slice(2);
    const route = routeOf(method, rest);
    if (!route || !served(surface, api, route)) return noRoute(res);

    const faultOp = { create: 'cdc.create', get: 'cdc.get', delete: 'cdc.delete', list: 'cdc.list' }[route as string];
    if (faultOp) {
      const f = sim.faults.take(faultOp, clusterName);
      if (f?.mode === 'hang') return; // never answer
      if (f?.mode === 'die') {
        req.socket.destroy();
        return;
      }
      if (f) return cdcError(res, 500, 'CDC:ErrInternalServerError', f.message ?? '[CDC:ErrInternalServerError]injected fault');
    }

    // Live captures: the running CDC instances (a stopped one leaves the capture list); the first is the owner.
    const captures = c.instances.filter((i) => i.role === 'cdc' && isUp(c, i));
    const id = decodeURIComponent(rest[1] ?? '');
    const cf = id ? c.changefeeds.get(id) : undefined;
    const exists = cf && !cf.removing;
    // ErrChangeFeedNotExists is a bad request (cdc/api/util.go httpBadRequestError): 400, never 404.
    const notFound = () => cdcError(res, 400, 'CDC:ErrChangeFeedNotExists', `[CDC:ErrChangeFeedNotExists]${changefeedNotExistsText(c.version, id)}`);
    const accepted = () => {
      res.writeHead(202);
      res.end();
    };

    switch (route) {
      case 'health':
        if (api === 'v1') {
          res.writeHead(200);
          return void res.end();
        }
        return sendJson(res, 200, {});
      case 'status':
        return sendJson(res, 200, { version: c.version, git_hash: '0000000', id: `capture-${instanceId(inst)}`, pid: process.pid, is_owner: captures[0] === inst, liveness: 0, cluster_id: 'default' });
      case 'captures': {
        const caps = captures.map((i, n) => ({ id: `capture-${i.host}:${i.port}`, is_owner: n === 0, address: `${i.host}:${i.port}`, cluster_id: 'default' }));
        return api === 'v1' ? sendJson(res, 200, caps) : sendJson(res, 200, { total: caps.length, items: caps });
      }
      case 'create': {
        let body: Record<string, unknown>;
        try {
          body = await readJson(req);
        } catch (e) {
          return cdcError(res, 400, 'CDC:ErrAPIInvalidParam', `[CDC:ErrAPIInvalidParam]invalid api parameter: ${(e as Error).message}`);
        }
        // v1 model.ChangefeedConfig has the flag at the top; v2 inside replica_config (a top-level one is ignored).
        const replica = (body.replica_config ?? {}) as Record<string, unknown>;
        const request: ChangefeedRequest = {
          changefeedId: body.changefeed_id,
          sinkUri: body.sink_uri,
          startTs: body.start_ts,
          ignoreIneligible: (api === 'v1' ? body.ignore_ineligible_table : replica.ignore_ineligible_table) === true,
        };
        try {
          const created = createChangefeed(sim, c, request);
          if (api === 'v1') return accepted();
          return sendJson(res, surface.v2CreateStatus, changefeedInfo(created, c));
        } catch (e) {
          if (e instanceof CdcError) return cdcError(res, e.httpStatus, e.code, e.message);
          throw e;
        }
      }
      case 'list': {
        const items = [...c.changefeeds.values()].filter((x) => !x.removing && listed(x, url.searchParams.get('state'))).map((x) => commonInfo(x, api));
        return api === 'v1' ? sendJson(res, 200, items) : sendJson(res, 200, { total: items.length, items });
      }
      case 'get':
        if (!exists) return notFound();
        return sendJson(res, 200, api === 'v1' ? v1Detail(cf, c) : changefeedInfo(cf, c));
      case 'delete':
        if (api === 'v2') {
          // deleteChangefeed answers success for a missing changefeed too.
          if (cf) removeChangefeed(c, id);
          if (surface.v2DeleteStatus === 204) {
            res.writeHead(204);
            return void res.end();
          }
          return sendJson(res, 200, {});
        }
        if (!exists) return notFound();
        // Up to v6.1 the owner removes it later; from v6.2 the handler waits until it is gone.
        if (surface.v1RemoveIsAsync) cf.removing = true;
        else removeChangefeed(c, id);
        return accepted();
      case 'pause':
      case 'resume':
        if (!exists) return notFound();
        if (route === 'pause') cf.state = 'stopped';
        else if (cf.state !== 'normal') {
          cf.state = 'normal';
          cf.error = undefined;
          cf.retryingSinceMs = undefined;
        }
        return api === 'v1' ? accepted() : sendJson(res, 200, {});
      case 'verify_table': {
        try {
          await readJson(req);
        } catch (e) {
          return cdcError(res, 400, 'CDC:ErrAPIInvalidParam', `[CDC:ErrAPIInvalidParam]invalid api parameter: ${(e as Error).message}`);
        }
        // cdc/api/v2/changefeed.go verifyTable: Tables{ineligible_tables, eligible_tables}, both omitempty.
        const bad = new Set(ineligibleTables(c));
        const item = (db: string, table: string, n: number) => ({ database_name: db, table_name: table, table_id: 100 + n, is_partition: false });
        const all = [...c.tables.values()].filter((t) => !t.db.startsWith('__TiDB_BR_Temporary'));
        const ineligible = all.flatMap((t, n) => (bad.has(`${t.db}.${t.table}`) ? [item(t.db, t.table, n)] : []));
        const eligible = all.flatMap((t, n) => (bad.has(`${t.db}.${t.table}`) ? [] : [item(t.db, t.table, n)]));
        return sendJson(res, 200, { ...(ineligible.length ? { ineligible_tables: ineligible } : {}), ...(eligible.length ? { eligible_tables: eligible } : {}) });
      }
      case 'synced': {
        if (!exists) return notFound();
        const now = sim.fleet.tso.next();
        return sendJson(res, 200, {
          synced: cf.state === 'normal' && tsoToMs(now) - tsoToMs(cf.checkpointTs) < 2000,
          sink_checkpoint_ts: cf.checkpointTs.toString(),
          puller_resolved_ts: cf.checkpointTs.toString(),
          last_synced_ts: cf.checkpointTs.toString(),
          now_ts: now.toString(),
          info: '',
        });
      }
    }
  }
}

type Route = 'health' | 'status' | 'captures' | 'create' | 'list' | 'get' | 'delete' | 'pause' | 'resume' | 'verify_table' | 'synced';

function routeOf(method: string, rest: string[]): Route | undefined {
  const [a, , c] = rest;
  if (rest.length === 1 && method === 'GET' && (a === 'health' || a === 'status' || a === 'captures')) return a;
  if (rest.length === 1 && method === 'POST' && a === 'verify_table') return 'verify_table';
  if (a !== 'changefeeds') return undefined;
  if (rest.length === 1) return method === 'POST' ? 'create' : method === 'GET' ? 'list' : undefined;
  if (rest.length === 2) return method === 'GET' ? 'get' : method === 'DELETE' ? 'delete' : undefined;
  if (rest.length === 3 && method === 'POST' && (c === 'pause' || c === 'resume')) return c;
  if (rest.length === 3 && method === 'GET' && c === 'synced') return 'synced';
  return undefined;
}

/** Which version registers which route (versions.ts cites each). */
function served(s: TicdcApiSurface, api: 'v1' | 'v2', route: Route): boolean {
  if (api === 'v1') return s.v1 && route !== 'verify_table' && route !== 'synced';
  if (route === 'create' || route === 'resume' || route === 'verify_table') return s.v2Create;
  if (route === 'synced') return s.v2Read && s.v2Synced;
  return s.v2Read;
}
