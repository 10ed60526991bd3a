import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTicdcClient } from '../../adapters/ticdc.js';
import { TicdcApiError } from '../../adapters/types.js';

// A tiny TiCDC OpenAPI v2 stand-in that stores raw request bodies and answers TSOs as JSON numbers.
const START_TS = '449506925178880001'; // > 2^53: a JS number would turn it into ...880000
const SINK = 'mysql://cdc_user:S3cretPwd@127.0.2.31:4000/?time-zone=UTC';

let server: Server;
let addr: string;
let requests: { method: string; url: string; body: string }[] = [];
let handler: (req: IncomingMessage, body: string, res: ServerResponse) => void;
/** What GET /api/v1/status says (the client picks v1 or v2 from it). */
let serverVersion = 'v7.5.1';

const send = (res: ServerResponse, status: number, text: string) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(text);
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/api/v1/status') return send(res, 200, JSON.stringify({ version: serverVersion, git_hash: 'x', id: 'c', pid: 1, is_owner: true }));
      requests.push({ method: req.method ?? '', url: req.url ?? '', body });
      handler(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  addr = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  requests = [];
  serverVersion = 'v7.5.1';
});

/** An address nothing listens on. */
async function closedPort(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `127.0.0.1:${port}`;
}

const changefeedJson = (id: string, checkpoint: string) =>
  `{"id":"${id}","namespace":"default","sink_uri":"mysql://cdc_user:xxxxx@127.0.2.31:4000/","state":"normal","start_ts":${START_TS},"checkpoint_ts":${checkpoint},"checkpoint_time":"2024-01-01 10:00:00.000","error":null}`;

describe('ticdc client', () => {
  const cdc = createTicdcClient({ timeoutMs: 2000, removeConfirmMs: 1000 });

  it('creates a changefeed with start_ts written as an exact integer and reads big TSOs back exactly', async () => {
    handler = (_req, _body, res) => send(res, 200, changefeedJson('clone-c1', '449506925178880003'));
    const info = await cdc.createChangefeed(addr, { changefeedId: 'clone-c1', sinkUri: SINK, startTs: START_TS, filterRules: ['*.*', '!test.*'] });
    expect(requests[0].method).toBe('POST');
    expect(requests[0].url).toBe('/api/v2/changefeeds');
    // The raw text carries the literal digits, not a rounded float.
    expect(requests[0].body).toContain(`"start_ts":${START_TS},`);
    const sent = JSON.parse(requests[0].body.replace(/"start_ts":(\d+)/, '"start_ts":"$1"')) as Record<string, unknown>;
    expect(sent).toEqual({
      start_ts: START_TS,
      changefeed_id: 'clone-c1',
      sink_uri: SINK,
      replica_config: { filter: { rules: ['*.*', '!test.*'] }, ignore_ineligible_table: false, check_gc_safe_point: true },
    });
    expect(info).toMatchObject({ id: 'clone-c1', state: 'normal', start_ts: START_TS, checkpoint_ts: '449506925178880003' });
    expect(info.sink_uri).not.toContain('xxxxx'); // masked either way
  });

  it('maps {error_msg,error_code} to TicdcApiError without leaking the sink URI password', async () => {
    handler = (_req, _body, res) =>
      send(res, 400, JSON.stringify({
        error_msg: `[CDC:ErrStartTsBeforeGC]fail to create or maintain changefeed because start-ts ${START_TS} is earlier than or equal to GC safepoint at 449506925178880099, sink ${SINK}`,
        error_code: 'CDC:ErrStartTsBeforeGC',
      }));
    const err = (await cdc.createChangefeed(addr, { changefeedId: 'clone-c1', sinkUri: SINK, startTs: START_TS }).catch((e: unknown) => e)) as TicdcApiError;
    expect(err).toBeInstanceOf(TicdcApiError);
    expect(err.httpStatus).toBe(400);
    expect(err.errorCode).toBe('CDC:ErrStartTsBeforeGC');
    expect(err.message).toContain('is earlier than or equal to GC safepoint');
    expect(err.message).not.toContain('S3cretPwd');
    expect(JSON.stringify(err)).not.toContain('S3cretPwd');
  });

  it('returns undefined only for ErrChangeFeedNotExists; a 404 (a route this version lacks) is an error', async () => {
    handler = (_req, _body, res) => send(res, 400, '{"error_msg":"[CDC:ErrChangeFeedNotExists]changefeed not exists, default/clone-x","error_code":"CDC:ErrChangeFeedNotExists"}');
    await expect(cdc.getChangefeed(addr, 'clone-x')).resolves.toBeUndefined();
    handler = (_req, _body, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404 page not found');
    };
    await expect(cdc.getChangefeed(addr, 'clone-x')).rejects.toMatchObject({ httpStatus: 404 });
    await expect(cdc.removeChangefeed(addr, 'clone-x')).rejects.toMatchObject({ httpStatus: 404 });
  });

  it('gets a changefeed and surfaces other errors', async () => {
    handler = (_req, _body, res) => send(res, 200, changefeedJson('clone-c1', '449506925178880005'));
    await expect(cdc.getChangefeed(addr, 'clone-c1')).resolves.toMatchObject({ checkpoint_ts: '449506925178880005' });
    handler = (_req, _body, res) => send(res, 500, '{"error_msg":"owner not found","error_code":"CDC:ErrOwnerNotFound"}');
    await expect(cdc.getChangefeed(addr, 'clone-c1')).rejects.toMatchObject({ httpStatus: 500, errorCode: 'CDC:ErrOwnerNotFound' });
  });

  it('removes changefeeds idempotently, done once TiCDC says the changefeed does not exist', async () => {
    const notExists = '{"error_msg":"[CDC:ErrChangeFeedNotExists]changefeed not exists","error_code":"CDC:ErrChangeFeedNotExists"}';
    handler = (req, _body, res) => (req.method === 'DELETE' ? send(res, 200, '{}') : send(res, 400, notExists));
    await cdc.removeChangefeed(addr, 'clone-c1');
    handler = (_req, _body, res) => send(res, 400, notExists);
    await cdc.removeChangefeed(addr, 'clone-c1');
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'DELETE /api/v2/changefeeds/clone-c1',
      'GET /api/v2/changefeeds/clone-c1',
      'DELETE /api/v2/changefeeds/clone-c1',
      'GET /api/v2/changefeeds/clone-c1',
    ]);
    handler = (_req, _body, res) => send(res, 500, '{"error_msg":"boom","error_code":"CDC:ErrInternal"}');
    await expect(cdc.removeChangefeed(addr, 'clone-c1')).rejects.toBeInstanceOf(TicdcApiError);
    // still there after the bound: an error, never a silent success
    handler = (req, _body, res) => (req.method === 'DELETE' ? send(res, 200, '{}') : send(res, 200, changefeedJson('clone-c1', '5')));
    await expect(cdc.removeChangefeed(addr, 'clone-c1')).rejects.toThrow(/still has changefeed clone-c1/);
  });

  it('speaks OpenAPI v1 to servers before v6.5.2: 202 create with top-level fields, detail + list for the error, asynchronous remove confirmed', async () => {
    for (const version of ['v5.4.3', 'v6.1.7', 'v6.5.1']) {
      serverVersion = version;
      requests = [];
      const v1 = createTicdcClient({ timeoutMs: 2000, removeConfirmMs: 2000 });
      let exists = false;
      let getsAfterDelete = 0;
      handler = (req, _body, res) => {
        const url = req.url ?? '';
        if (req.method === 'POST') {
          exists = true;
          res.writeHead(202);
          return res.end();
        }
        if (req.method === 'DELETE') {
          getsAfterDelete = 2; // the owner removes it a little later
          res.writeHead(202);
          return res.end();
        }
        if (url === '/api/v1/changefeeds?state=all')
          return send(res, 200, `[{"id":"clone-c1","state":"error","checkpoint_tso":7,"error":{"addr":"a","code":"CDC:ErrMySQLConnectionError","message":"dial ${SINK}"}}]`);
        if (getsAfterDelete > 0 && --getsAfterDelete === 0) exists = false;
        if (!exists) return send(res, 400, '{"error_msg":"[CDC:ErrChangeFeedNotExists]changefeed not exists, key: clone-c1","error_code":"CDC:ErrChangeFeedNotExists"}');
        return send(res, 200, `{"id":"clone-c1","state":"error","checkpoint_tso":${START_TS},"error":null}`);
      };
      const info = await v1.createChangefeed(addr, { changefeedId: 'clone-c1', sinkUri: SINK, startTs: START_TS, filterRules: ['*.*'] });
      expect(requests[0]).toMatchObject({ method: 'POST', url: '/api/v1/changefeeds' });
      expect(requests[0].body).toContain(`"start_ts":${START_TS},`);
      const sent = JSON.parse(requests[0].body.replace(/"start_ts":(\d+)/, '"start_ts":"$1"')) as Record<string, unknown>;
      expect(sent).toEqual({ start_ts: START_TS, changefeed_id: 'clone-c1', sink_uri: SINK, filter_rules: ['*.*'], ignore_ineligible_table: false });
      expect(info).toMatchObject({ id: 'clone-c1', state: 'error', checkpoint_ts: START_TS, error: { code: 'CDC:ErrMySQLConnectionError' } });
      expect(info.error?.message).not.toContain('S3cretPwd');
      await v1.removeChangefeed(addr, 'clone-c1');
      expect(requests.filter((r) => r.method === 'DELETE').map((r) => r.url)).toEqual(['/api/v1/changefeeds/clone-c1']);
      expect(requests.every((r) => r.url.startsWith('/api/v1/'))).toBe(true);
      expect(await v1.getChangefeed(addr, 'clone-c1')).toBeUndefined();
    }
  });

  it('lists all changefeeds, accepting checkpoint_tso in list items', async () => {
    handler = (_req, _body, res) =>
      send(res, 200, `{"total":2,"items":[{"id":"a","state":"normal","checkpoint_tso":449506925178880007,"checkpoint_time":"t"},{"id":"b","state":"failed","checkpoint_tso":5,"error":{"addr":"x","code":"CDC:ErrSinkURIInvalid","message":"bad ${SINK}"}}]}`);
    const list = await cdc.listChangefeeds(addr);
    expect(requests[0].url).toBe('/api/v2/changefeeds?state=all');
    expect(list.map((c) => [c.id, c.state, c.checkpoint_ts])).toEqual([
      ['a', 'normal', '449506925178880007'],
      ['b', 'failed', '5'],
    ]);
    expect(list[1].error?.message).not.toContain('S3cretPwd');
  });

  it('reports health, false when unreachable', async () => {
    handler = (_req, _body, res) => send(res, 200, '{}');
    await expect(cdc.health(addr)).resolves.toBe(true);
    expect(requests[0].url).toBe('/api/v2/health');
    handler = (_req, _body, res) => send(res, 500, '{"error_msg":"unhealthy","error_code":"CDC:ErrClusterIsUnhealthy"}');
    await expect(cdc.health(addr)).resolves.toBe(false);
    await expect(cdc.health(await closedPort())).resolves.toBe(false);
  });

  it('wraps network failures and timeouts without the sink URI', async () => {
    const closed = await closedPort();
    const err1 = (await cdc.createChangefeed(closed, { changefeedId: 'clone-c1', sinkUri: SINK, startTs: START_TS }).catch((e: unknown) => e)) as Error;
    expect(err1.message).toBe(`TiCDC GET /api/v1/status on ${closed} failed: ECONNREFUSED`);
    handler = () => undefined; // never answers
    const slow = createTicdcClient({ timeoutMs: 300 });
    const err = (await slow.getChangefeed(addr, 'clone-c1').catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/timed out after 300 ms/);
  });

  it('validates ids and TSOs before sending', async () => {
    await expect(cdc.createChangefeed(addr, { changefeedId: 'bad id', sinkUri: SINK, startTs: START_TS })).rejects.toThrow(/invalid changefeed id/);
    await expect(cdc.createChangefeed(addr, { changefeedId: 'ok', sinkUri: SINK, startTs: '1e18' })).rejects.toThrow(/invalid start TSO/);
    await expect(cdc.getChangefeed(addr, '../x')).rejects.toThrow(/invalid changefeed id/);
    expect(requests).toEqual([]);
  });
});
