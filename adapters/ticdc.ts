// TiCDC OpenAPI v2 client (tidb-tooling.md §A.4). TSOs exceed 2^53: they are written into request
// JSON as exact integer literals and read back from responses as strings, never through a JS number.
// The sink URI carries the downstream password: it never appears in errors or returned objects.
import { maskSecrets } from './redact.js';
import { TicdcApiError, type ChangefeedInfo, type TicdcClient } from './types.js';

export interface TicdcClientOptions {
  /** Per-request timeout. Default 30 s. */
  timeoutMs?: number;
}

const CHANGEFEED_ID = /^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$/;
const SERVER = /^[A-Za-z0-9.\-]+:\d+$|^\[[0-9a-fA-F:]+\]:\d+$/;
const NOT_FOUND_CODES = ['ErrChangeFeedNotExists', 'ErrChangefeedNotExists'];

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

export function createTicdcClient(opts: TicdcClientOptions = {}): TicdcClient {
  const timeoutMs = opts.timeoutMs ?? 30_000;

  function baseUrl(server: string): string {
    if (/^https?:\/\//.test(server)) return server.replace(/\/+$/, '');
    if (!SERVER.test(server)) throw new Error(`invalid TiCDC server address: ${JSON.stringify(server)}`);
    return `http://${server}`;
  }

  /** One API call. `scrub` lists strings (the sink URI) that must not leak into an error. */
  async function call(
    method: string,
    server: string,
    path: string,
    body?: string,
    scrub: string[] = [],
  ): Promise<{ status: number; json: unknown }> {
    const clean = (text: string) => {
      let out = text;
      for (const s of scrub) if (s) out = out.split(s).join(maskSinkUri(s));
      return maskSecrets(out);
    };
    let res: Response;
    try {
      res = await fetch(baseUrl(server) + path, {
        method,
        headers: body !== undefined ? { 'content-type': 'application/json' } : undefined,
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const why = err.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : (err.cause?.code ?? err.cause?.message ?? err.message);
      throw new Error(`TiCDC ${method} ${path} on ${server} failed: ${clean(why)}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text.trim() ? parseJsonKeepingBigInts(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const e = (json ?? {}) as { error_msg?: unknown; error_code?: unknown };
      const msg = typeof e.error_msg === 'string' ? e.error_msg : text.slice(0, 500) || res.statusText;
      const code = typeof e.error_code === 'string' ? e.error_code : '';
      throw new TicdcApiError(res.status, code, clean(`TiCDC ${method} ${path}: ${code ? `[${code}] ` : ''}${msg}`));
    }
    return { status: res.status, json };
  }

  const isNotFound = (e: unknown) =>
    e instanceof TicdcApiError && (e.httpStatus === 404 || NOT_FOUND_CODES.some((c) => e.errorCode.includes(c)));

  const idPath = (id: string) => {
    if (!CHANGEFEED_ID.test(id)) throw new Error(`invalid changefeed id: ${JSON.stringify(id)}`);
    return `/api/v2/changefeeds/${encodeURIComponent(id)}`;
  };

  return {
    async createChangefeed(server, a) {
      if (!CHANGEFEED_ID.test(a.changefeedId)) throw new Error(`invalid changefeed id: ${JSON.stringify(a.changefeedId)}`);
      if (!/^\d+$/.test(a.startTs)) throw new Error(`invalid start TSO: ${JSON.stringify(a.startTs)}`);
      const rest = JSON.stringify({
        changefeed_id: a.changefeedId,
        sink_uri: a.sinkUri,
        replica_config: {
          filter: { rules: a.filterRules ?? ['*.*'] },
          ignore_ineligible_table: false,
          check_gc_safe_point: true,
        },
      });
      // start_ts as an exact integer literal: a JS number would round it.
      const body = `{"start_ts":${a.startTs},${rest.slice(1)}`;
      const { json } = await call('POST', server, '/api/v2/changefeeds', body, [a.sinkUri]);
      const info = toChangefeedInfo((json ?? {}) as Record<string, unknown>);
      return { ...info, id: info.id || a.changefeedId, start_ts: info.start_ts ?? a.startTs };
    },

    async getChangefeed(server, id) {
      try {
        const { json } = await call('GET', server, idPath(id));
        return toChangefeedInfo((json ?? {}) as Record<string, unknown>);
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },

    async removeChangefeed(server, id) {
      try {
        await call('DELETE', server, idPath(id));
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    },

    async listChangefeeds(server) {
      const { json } = await call('GET', server, '/api/v2/changefeeds?state=all');
      const items = (json as { items?: unknown } | undefined)?.items;
      return Array.isArray(items) ? items.map((i) => toChangefeedInfo(i as Record<string, unknown>)) : [];
    },

    async health(server) {
      try {
        await call('GET', server, '/api/v2/health');
        return true;
      } catch {
        return false;
      }
    },
  };
}
