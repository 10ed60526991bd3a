// Tiny JSON-over-node:http helpers.
import { parseJsonKeepingBigInts } from '../adapters/ticdc.js';
import type { IncomingMessage, ServerResponse } from 'node:http';

export async function readBody(req: IncomingMessage, limit = 10 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > limit) throw new Error('request body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  if (!text.trim()) return {};
  // TSOs exceed 2^53: TiCDC (Go) reads start_ts exactly, so must we.
  const v = parseJsonKeepingBigInts(text);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('JSON object expected');
  return v as Record<string, unknown>;
}

/** JSON.stringify with BigInt rendered as decimal strings. */
export function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = toJson(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
