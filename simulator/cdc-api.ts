// TiCDC OpenAPI v2, served on every running CDC instance's host:port.
import http from 'node:http';
import type { Simulator } from './sim.js';
import { readJson, sendJson } from './http-util.js';
import { CdcError, createChangefeed, maskSinkUri, removeChangefeed } from './changefeeds.js';
import { instanceId, isUp, type ChangefeedModel, type ClusterModel, type Instance } from './model.js';
import { formatCdcTime, tsoToMs } from './tso.js';

function cdcError(res: http.ServerResponse, status: number, code: string, msg: string): void {
  sendJson(res, status, { error_msg: msg, error_code: code });
}

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
    config: { case_sensitive: false, force_replicate: false, ignore_ineligible_table: false, check_gc_safe_point: true, filter: { rules: ['*.*'] } },
    state: cf.state,
    error: cf.error ? { addr: '', code: cf.error.code, message: cf.error.message } : null,
    creator_version: c.version,
    resolved_ts: cf.checkpointTs.toString(),
    checkpoint_ts: cf.checkpointTs.toString(),
    checkpoint_time: formatCdcTime(tsoToMs(cf.checkpointTs)),
    task_status: [],
  };
}

export function createCdcServer(sim: Simulator, clusterName: string, inst: Instance): http.Server {
  return http.createServer((req, res) => {
    void handle(req, res).catch((e: Error) => {
      if (!res.headersSent) cdcError(res, 500, 'CDC:ErrInternalServerError', `[CDC:ErrInternalServerError]${e.message}`);
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const c = sim.fleet.get(clusterName);
    if (!c || !isUp(c, inst)) {
      req.socket.destroy();
      return;
    }
    const addr = instanceId(inst);
    // Live captures: the running CDC instances (a stopped one leaves the capture list); the first is the owner.
    const captures = c.instances.filter((i) => i.role === 'cdc' && isUp(c, i));
    const parts = url.pathname.replace(/\/+$/, '').split('/').filter(Boolean);
    if (parts[0] !== 'api' || parts[1] !== 'v2') return cdcError(res, 404, 'CDC:ErrAPIInvalidParam', `no route ${url.pathname}`);
    const rest = parts.slice(2);

    const faultOp = rest[0] === 'changefeeds' ? (method === 'POST' && rest.length === 1 ? 'cdc.create' : method === 'GET' && rest.length === 2 ? 'cdc.get' : method === 'DELETE' ? 'cdc.delete' : method === 'GET' ? 'cdc.list' : undefined) : undefined;
    if (faultOp) {
      const f = sim.faults.take(faultOp, clusterName);
      if (f?.mode === 'hang') return; // never answer
      if (f?.mode === 'die') {
        req.socket.destroy();
        return;
      }
      if (f) return cdcError(res, 500, 'CDC:ErrInternalServerError', f.message ?? '[CDC:ErrInternalServerError]injected fault');
    }

    if (rest[0] === 'health' && method === 'GET') return sendJson(res, 200, {});
    if (rest[0] === 'status' && method === 'GET') {
      return sendJson(res, 200, { version: c.version, git_hash: '0000000', id: `capture-${addr}`, pid: process.pid, is_owner: captures[0] === inst, liveness: 0, cluster_id: 'default' });
    }
    if (rest[0] === 'captures' && method === 'GET') {
      const caps = captures.map((i, n) => ({ id: `capture-${i.host}:${i.port}`, is_owner: n === 0, address: `${i.host}:${i.port}`, cluster_id: 'default' }));
      return sendJson(res, 200, { total: caps.length, items: caps });
    }
    if (rest[0] !== 'changefeeds') return cdcError(res, 404, 'CDC:ErrAPIInvalidParam', `no route ${url.pathname}`);

    if (rest.length === 1 && method === 'POST') {
      let body: Record<string, unknown>;
      try {
        body = await readJson(req);
      } catch (e) {
        return cdcError(res, 400, 'CDC:ErrAPIInvalidParam', `[CDC:ErrAPIInvalidParam]${(e as Error).message}`);
      }
      try {
        const cf = createChangefeed(sim, c, body);
        return sendJson(res, 200, changefeedInfo(cf, c));
      } catch (e) {
        if (e instanceof CdcError) return cdcError(res, e.httpStatus, e.code, e.message);
        throw e;
      }
    }
    if (rest.length === 1 && method === 'GET') {
      const state = url.searchParams.get('state');
      const items = [...c.changefeeds.values()]
        .filter((cf) => !state || state === 'all' || cf.state === state)
        .map((cf) => ({
          upstream_id: 7000000000000000000,
          namespace: 'default',
          id: cf.id,
          state: cf.state,
          checkpoint_tso: cf.checkpointTs.toString(),
          checkpoint_ts: cf.checkpointTs.toString(),
          checkpoint_time: formatCdcTime(tsoToMs(cf.checkpointTs)),
          error: cf.error ? { addr: '', code: cf.error.code, message: cf.error.message } : null,
        }));
      return sendJson(res, 200, { total: items.length, items });
    }
    const id = decodeURIComponent(rest[1] ?? '');
    const cf = c.changefeeds.get(id);
    const notFound = () =>
      cdcError(res, 400, 'CDC:ErrChangeFeedNotExists', `[CDC:ErrChangeFeedNotExists]changefeed not exists, namespace: default, changefeed: ${id}`);
    if (rest.length === 2 && method === 'GET') {
      if (!cf) {
        // TiCDC v2 answers ErrChangeFeedNotExists; the simulator uses 404 to make it unambiguous.
        return cdcError(res, 404, 'CDC:ErrChangeFeedNotExists', `[CDC:ErrChangeFeedNotExists]changefeed not exists, namespace: default, changefeed: ${id}`);
      }
      return sendJson(res, 200, changefeedInfo(cf, c));
    }
    if (rest.length === 2 && method === 'DELETE') {
      removeChangefeed(c, id);
      return sendJson(res, 200, {});
    }
    if (rest.length === 3 && method === 'POST' && (rest[2] === 'pause' || rest[2] === 'resume')) {
      if (!cf) return notFound();
      if (rest[2] === 'pause') cf.state = 'stopped';
      else if (cf.state !== 'failed') {
        cf.state = 'normal';
        cf.error = undefined;
      }
      return sendJson(res, 200, {});
    }
    if (rest.length === 3 && method === 'GET' && rest[2] === 'synced') {
      if (!cf) return notFound();
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
    return cdcError(res, 404, 'CDC:ErrAPIInvalidParam', `no route ${method} ${url.pathname}`);
  }
}
