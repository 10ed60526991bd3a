// Codec server (spec §7): lets the Temporal Web UI / CLI decode encrypted payloads for authorised
// users. Protocol of Temporal's remote codec: POST <base>/decode and <base>/encode with
// {"payloads":[{"metadata":{k: base64},"data": base64}]}, answered in the same shape.
// Configure the Web UI "Codec Server endpoint" to http://<host>:<port> (with "pass access token").
// The embedded default (dev server Web UI, which has no login) uses a token-less server bound to
// loopback only: `unauthenticatedLoopback: true`, refused on any other address.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Required `Authorization: Bearer <token>`; without it anyone who reaches the port could decrypt. */
  token?: string;
  /** Several accepted tokens (rotation: add the new one, move clients, drop the old one). */
  tokens?: string[];
  /** Also accepts a bearer token this verifies: the OIDC access token the Web UI forwards. */
  oidc?: { verify(token: string): Promise<string> };
  /**
   * No token (the dev server's Web UI cannot send one): only for a server listening on loopback,
   * so only processes of this machine can decrypt. startCodecServer refuses other hosts.
   */
  unauthenticatedLoopback?: boolean;
  /** Origins allowed by CORS, e.g. the Web UI "http://localhost:8233". */
  allowedOrigins?: string[];
  /** Largest accepted request body, bytes. */
  maxBodyBytes?: number;
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
  data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')),
});

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The request handler, usable on its own (e.g. mounted in the API server). */
/** The tokens a server accepts, and whether it asks for any credential at all. */
function credentialsOf(opts: CodecServerOptions): { tokens: string[]; authRequired: boolean } {
  const tokens = [...(opts.token ? [opts.token] : []), ...(opts.tokens ?? [])];
  return { tokens, authRequired: tokens.length > 0 || Boolean(opts.oidc) };
}

export function codecRequestHandler(opts: CodecServerOptions) {
  const { tokens, authRequired } = credentialsOf(opts);
  if (!authRequired && !opts.unauthenticatedLoopback) throw new Error('codec server needs a bearer token');
  const authorized = async (header: string | undefined): Promise<boolean> => {
    if (tokens.some((t) => tokenMatches(header, t))) return true;
    const bearer = /^Bearer (.+)$/.exec(header ?? '')?.[1];
    if (!opts.oidc || !bearer) return false;
    return opts.oidc.verify(bearer).then(
      () => true,
      () => false,
    );
  };
  const limit = opts.maxBodyBytes ?? 8 * 1024 * 1024;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const origin = req.headers.origin;
    if (origin && opts.allowedOrigins?.includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization, X-Namespace');
      res.setHeader('Vary', 'Origin');
    }
    const send = (status: number, body: unknown) => {
      res.statusCode = status;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(body));
    };
    if (req.method === 'OPTIONS') {
      res.statusCode = 204;
      res.end();
      return;
    }
    const path = (req.url ?? '').split('?')[0].replace(/\/+$/, '');
    const op = path.endsWith('/decode') ? 'decode' : path.endsWith('/encode') ? 'encode' : undefined;
    if (req.method !== 'POST' || !op) return send(404, { error: 'POST /encode or /decode' });
    if (authRequired && !(await authorized(req.headers.authorization))) return send(401, { error: 'unauthorized' });
    // Without a token only loopback names may address us: a page that rebinds its own DNS name to
    // 127.0.0.1 still sends its own Host, and is refused.
    if (!authRequired && !isLoopbackHost(hostOf(req.headers.host))) return send(403, { error: 'loopback hosts only' });
    try {
      const body = JSON.parse(await readBody(req, limit)) as { payloads?: JsonPayload[] } | null;
      // protojson omits an empty list: the temporal CLI sends `{}` for a query without arguments.
      // Unknown fields are refused, as protojson does.
      const known = body && typeof body === 'object' && !Array.isArray(body) && Object.keys(body).every((k) => k === 'payloads');
      const list = known ? (body.payloads ?? []) : undefined;
      if (!Array.isArray(list)) return send(400, { error: 'body must be {"payloads":[...]}' });
      const payloads = list.map(fromJson);
      const out = op === 'decode' ? await opts.codec.decode(payloads) : await opts.codec.encode(payloads);
      send(200, { payloads: out.map(toJson) });
    } catch (e) {
      const status = (e as { status?: number }).status ?? (e instanceof SyntaxError ? 400 : 500);
      send(status, { error: e instanceof Error ? e.message : String(e) });
    }
  };
}

/** The host part of a Host header: "127.0.0.1:8234" → "127.0.0.1", "[::1]:8234" → "::1". */
function hostOf(header: string | undefined): string {
  const h = header ?? '';
  const v6 = /^\[([^\]]+)\]/.exec(h);
  return v6 ? v6[1] : h.replace(/:\d+$/, '');
}

/** 127.0.0.0/8, ::1 and localhost: reachable only from this machine. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** The Web UI's origins when it is served on loopback at `uiPort` (both names browsers use). */
export function loopbackUiOrigins(uiPort: number): string[] {
  return [`http://127.0.0.1:${uiPort}`, `http://localhost:${uiPort}`];
}

/** Starts the codec server; resolves once it listens. Close it with `server.close()`. */
export async function startCodecServer(opts: CodecServerOptions & { port: number; host?: string }): Promise<Server> {
  const host = opts.host ?? '127.0.0.1';
  if (!credentialsOf(opts).authRequired && !isLoopbackHost(host)) {
    throw new Error(`refusing to serve the codec without a token on ${host}: token-less is allowed on loopback only`);
  }
  const handler = codecRequestHandler(opts);
  const server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => resolve());
  });
  return server;
}
