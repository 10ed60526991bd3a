// TiCDC OpenAPI client (tidb-tooling.md §A.4), speaking what the server's version has: OpenAPI v2
// from v6.5.2 (the first with GET/DELETE of one changefeed, tiflow #8740), v1 before (v1 exists from
// v5.2 and stays beside v2). The version comes from the server itself (GET /api/v1/status).
// TSOs exceed 2^53: they are written into request JSON as exact integer literals and read back from
// responses as strings, never through a JS number. The sink URI carries the downstream password: it
// never appears in errors or returned objects.
import http from 'node:http';
import https from 'node:https';
import { maskSecrets } from './redact.js';
import { readTlsFiles } from './tls-files.js';
import { TicdcApiError, type CdcServer, type ChangefeedInfo, type TicdcClient, type TlsFiles } from './types.js';

export interface TicdcClientOptions {
  /** Per-request timeout. Default 30 s. */
  timeoutMs?: number;
  /** How long a removal waits for the changefeed to be gone (v5.x/v6.1 remove asynchronously). Default 30 s. */
  removeConfirmMs?: number;
}

type OpenApi = 'v1' | 'v2';
/** The first TiCDC with v2 GET/DELETE/list of changefeeds (cdc/api/v2/api.go @ v6.5.2). */
const V2_COMPLETE = [6, 5, 2];
const VERSION_TTL_MS = 60_000;

export function openApiOf(version: string): OpenApi {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  if (!m) return 'v2';
  const v = m.slice(1, 4).map(Number);
  for (let i = 0; i < 3; i++) if (v[i] !== V2_COMPLETE[i]) return v[i] > V2_COMPLETE[i] ? 'v2' : 'v1';
  return 'v2';
}

const CHANGEFEED_ID = /^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$/;
const SERVER = /^[A-Za-z0-9.\-]+:\d+$|^\[[0-9a-fA-F:]+\]:\d+$/;

/**
 * JSON.parse that keeps integers longer than 15 digits exact, by quoting them (outside strings)
 * before parsing. Small integers stay numbers.
 */
export function parseJsonKeepingBigInts(text: string): unknown {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      // copy the whole string literal, escapes included
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 64));
      const tok = m ? m[0] : c;
      const isBigInt = !m?.[1] && !m?.[2] && tok.replace('-', '').length > 15;
      out += isBigInt ? `"${tok}"` : tok;
      i += tok.length;
    } else {
      out += c;
      i++;
    }
  }
  return JSON.parse(out);
}

const tsString = (v: unknown): string | undefined =>
  v === undefined || v === null ? undefined : typeof v === 'string' ? v : String(v);

/** Masks the password and parameters of a sink URI (`mysql://user:***@host:4000/?***`). */
export function maskSinkUri(uri: string): string {
  return maskSecrets(uri);
}

function toChangefeedInfo(raw: Record<string, unknown>): ChangefeedInfo {
  const error = raw.error as ChangefeedInfo['error'] | undefined;
  return {
    id: String(raw.id ?? raw.changefeed_id ?? ''),
    state: String(raw.state ?? ''),
    checkpoint_ts: tsString(raw.checkpoint_ts ?? raw.checkpoint_tso) ?? '0',
    checkpoint_time: typeof raw.checkpoint_time === 'string' ? raw.checkpoint_time : undefined,
    start_ts: tsString(raw.start_ts),
    sink_uri: typeof raw.sink_uri === 'string' ? maskSinkUri(raw.sink_uri) : undefined,
    // Sink errors can quote the downstream DSN.
    error: error ? { ...error, message: typeof error.message === 'string' ? maskSecrets(error.message) : error.message } : null,
  };
}

const endpointOf = (server: CdcServer): { address: string; tls?: TlsFiles } => (typeof server === 'string' ? { address: server } : server);

/** One HTTP(S) exchange with node:http, so a TLS request can carry the client certificate. */
function httpRequest(
  url: string,
  o: { method: string; body?: string; timeoutMs: number; tls?: { ca: Buffer; cert: Buffer; key: Buffer } },
): Promise<{ status: number; statusText: string; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const headers = o.body !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(o.body) } : undefined;
    const onResponse = (res: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    };
    const req =
      u.protocol === 'https:'
        ? https.request(u, { method: o.method, headers, ...o.tls, agent: false }, onResponse)
        : http.request(u, { method: o.method, headers, agent: false }, onResponse);
    req.setTimeout(o.timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { name: 'TimeoutError' })));
    req.on('error', reject);
    req.end(o.body);
  });
}

export function createTicdcClient(opts: TicdcClientOptions = {}): TicdcClient {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const removeConfirmMs = opts.removeConfirmMs ?? 30_000;
  const versions = new Map<string, { api: OpenApi; at: number }>();

  function baseUrl(server: CdcServer): string {
    const { address, tls } = endpointOf(server);
    if (/^https?:\/\//.test(address)) return address.replace(/\/+$/, '');
    if (!SERVER.test(address)) throw new Error(`invalid TiCDC server address: ${JSON.stringify(address)}`);
    // A TLS cluster's TiCDC serves https and wants the cluster's client certificate.
    return `${tls ? 'https' : 'http'}://${address}`;
  }

  /** One API call. `scrub` lists strings (the sink URI) that must not leak into an error. */
  async function call(
    method: string,
    server: CdcServer,
    path: string,
    body?: string,
    scrub: string[] = [],
  ): Promise<{ status: number; json: unknown }> {
    const clean = (text: string) => {
      let out = text;
      for (const s of scrub) if (s) out = out.split(s).join(maskSinkUri(s));
      return maskSecrets(out);
    };
    const { address, tls } = endpointOf(server);
    let res: { status: number; statusText: string; text: string };
    try {
      res = await httpRequest(baseUrl(server) + path, { method, body, timeoutMs, tls: tls ? await readTlsFiles(tls) : undefined });
    } catch (e) {
      const err = e as Error & { code?: string };
      const why = err.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : (err.code ?? err.message);
      throw new Error(`TiCDC ${method} ${path} on ${address} failed: ${clean(why)}`);
    }
    const text = res.text;
    let json: unknown;
    try {
      json = text.trim() ? parseJsonKeepingBigInts(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.status < 200 || res.status > 299) {
      const e = (json ?? {}) as { error_msg?: unknown; error_code?: unknown };
      const msg = typeof e.error_msg === 'string' ? e.error_msg : text.slice(0, 500) || res.statusText;
      const code = typeof e.error_code === 'string' ? e.error_code : '';
      throw new TicdcApiError(res.status, code, clean(`TiCDC ${method} ${path}: ${code ? `[${code}] ` : ''}${msg}`));
    }
    return { status: res.status, json };
  }

  /** The server's API generation, from its version (cached a minute: a rolling upgrade changes it). */
  async function apiOf(server: CdcServer): Promise<OpenApi> {
    const key = endpointOf(server).address;
    const hit = versions.get(key);
    if (hit && Date.now() - hit.at < VERSION_TTL_MS) return hit.api;
    const { json } = await call('GET', server, '/api/v1/status');
    const version = (json as { version?: unknown } | undefined)?.version;
    if (typeof version !== 'string') throw new Error(`TiCDC GET /api/v1/status on ${key}: no version in the answer`);
    const api = openApiOf(version);
    versions.set(key, { api, at: Date.now() });
    return api;
  }

  // Only TiCDC's own code says a changefeed does not exist (HTTP 400 in v1 and v2); a 404 is a route
  // this server does not have, never "already gone".
  const isNotFound = (e: unknown) => e instanceof TicdcApiError && /ErrChangeFeedNotExists/i.test(e.errorCode);

  const idPath = (api: OpenApi, id: string) => {
    if (!CHANGEFEED_ID.test(id)) throw new Error(`invalid changefeed id: ${JSON.stringify(id)}`);
    return `/api/${api}/changefeeds/${encodeURIComponent(id)}`;
  };

  async function list(server: CdcServer, api: OpenApi): Promise<ChangefeedInfo[]> {
    const { json } = await call('GET', server, `/api/${api}/changefeeds?state=all`);
    // v1 answers an array, v2 {total, items}.
    const items = api === 'v1' ? json : (json as { items?: unknown } | undefined)?.items;
    return Array.isArray(items) ? items.map((i) => toChangefeedInfo(i as Record<string, unknown>)) : [];
  }

  async function get(server: CdcServer, id: string): Promise<ChangefeedInfo | undefined> {
    const api = await apiOf(server);
    let info: ChangefeedInfo;
    try {
      const { json } = await call('GET', server, idPath(api, id));
      info = toChangefeedInfo((json ?? {}) as Record<string, unknown>);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    // v1's detail never carries the error (cdc/api/v1/api.go GetChangefeed); its list does.
    if (api === 'v1' && info.state !== 'normal') {
      const item = (await list(server, 'v1')).find((c) => c.id === id);
      if (item?.error) info = { ...info, error: item.error };
    }
    return info;
  }

  return {
    async createChangefeed(server, a) {
      if (!CHANGEFEED_ID.test(a.changefeedId)) throw new Error(`invalid changefeed id: ${JSON.stringify(a.changefeedId)}`);
      if (!/^\d+$/.test(a.startTs)) throw new Error(`invalid start TSO: ${JSON.stringify(a.startTs)}`);
      const api = await apiOf(server);
      const rules = a.filterRules ?? ['*.*'];
      const ignore = a.ignoreIneligibleTables === true;
      // v1 model.ChangefeedConfig keeps filter and eligibility at the top; v2 in replica_config.
      const rest = JSON.stringify(
        api === 'v1'
          ? { changefeed_id: a.changefeedId, sink_uri: a.sinkUri, filter_rules: rules, ignore_ineligible_table: ignore }
          : {
              changefeed_id: a.changefeedId,
              sink_uri: a.sinkUri,
              replica_config: { filter: { rules }, ignore_ineligible_table: ignore, check_gc_safe_point: true },
            },
      );
      // start_ts as an exact integer literal: a JS number would round it.
      const body = `{"start_ts":${a.startTs},${rest.slice(1)}`;
      const { json } = await call('POST', server, `/api/${api}/changefeeds`, body, [a.sinkUri]);
      // v1 answers 202 with no body: read what was created.
      const info = api === 'v1' ? await get(server, a.changefeedId) : toChangefeedInfo((json ?? {}) as Record<string, unknown>);
      if (!info) throw new Error(`TiCDC accepted changefeed ${a.changefeedId} on ${endpointOf(server).address} but does not list it`);
      return { ...info, id: info.id || a.changefeedId, start_ts: info.start_ts ?? a.startTs };
    },

    getChangefeed: get,

    async removeChangefeed(server, id) {
      const api = await apiOf(server);
      try {
        await call('DELETE', server, idPath(api, id));
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      // Up to v6.1 the owner removes it later (cdc/api/open.go @ v6.1.0 RemoveChangefeed): done only
      // once TiCDC itself says it does not exist.
      const deadline = Date.now() + removeConfirmMs;
      for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
        if (!(await get(server, id))) return;
        if (Date.now() + delay > deadline) throw new Error(`TiCDC on ${endpointOf(server).address} still has changefeed ${id} ${removeConfirmMs / 1000}s after removing it`);
        await new Promise((r) => setTimeout(r, delay));
      }
    },

    async listChangefeeds(server) {
      return list(server, await apiOf(server));
    },

    async health(server) {
      try {
        await call('GET', server, `/api/${await apiOf(server)}/health`);
        return true;
      } catch {
        return false;
      }
    },
  };
}
