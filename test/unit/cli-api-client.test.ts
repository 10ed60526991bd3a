// The API client against a small local HTTP server that answers like the API (TiEM envelope).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiClient, ApiError } from '../../client/api-client.js';
import { EXIT, exitCodeOf } from '../../client/cli-common.js';
import { TiemError } from '../../domain/errors.js';

interface Seen {
  method: string;
  url: string;
  auth?: string;
  body: string;
}
const seen: Seen[] = [];
let server: Server;
let base: string;

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body: await bodyOf(req) });
    const send = (status: number, v: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(typeof v === 'string' ? v : JSON.stringify(v));
    };
    if (req.headers.authorization !== 'Bearer good') return send(401, { code: 10000, message: 'unauthorized', data: {} });
    if (req.url === '/api/v1/clusters/clone') return send(409, { code: 20114, message: 'source under maintenance', data: {} });
    if (req.url?.startsWith('/api/v1/workflows')) return send(200, { code: 0, message: 'OK', data: { workflows: [{ workFlowId: 'clone-A', status: 'Processing' }] } });
    if (req.url === '/api/v1/clusters') return send(200, { code: 0, message: 'OK', data: [{ clusterId: 'A' }] });
    if (req.url === '/api/v1/clusters/B?force=true') return send(200, { code: 0, message: 'OK', data: { workFlowId: 'delete-B', clusterId: 'B' } });
    if (req.url === '/api/v1/broken') return send(502, '<html>bad gateway</html>');
    send(500, { code: 21301, message: 'Cluster version not support', data: {} });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function errorOf(p: Promise<unknown>): Promise<ApiError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(ApiError);
  return e as ApiError;
}

describe('ApiClient', () => {
  it('sends the bearer token and query filters, and unwraps the envelope', async () => {
    const api = new ApiClient(base, 'good');
    expect(await api.listWorkflows({ sourceClusterId: 'src 1', status: 'Processing', strategy: undefined })).toEqual([{ workFlowId: 'clone-A', status: 'Processing' }]);
    expect(seen.at(-1)).toMatchObject({ method: 'GET', url: '/api/v1/workflows?sourceClusterId=src+1&status=Processing', auth: 'Bearer good' });
    expect(await api.listClusters()).toEqual([{ clusterId: 'A' }]);
    expect(await api.deleteCluster('B', true)).toEqual({ workFlowId: 'delete-B', clusterId: 'B' });
    expect(seen.at(-1)?.method).toBe('DELETE');
  });

  it('turns error envelopes into ApiError with the TiEM code and HTTP status, mapped to exit codes', async () => {
    const api = new ApiClient(base, 'good');
    const conflict = await errorOf(api.cloneCluster({ sourceClusterId: 'S' } as never));
    expect([conflict.httpStatus, conflict.code, conflict.message]).toEqual([409, 20114, 'source under maintenance']);
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ sourceClusterId: 'S' });
    expect(exitCodeOf(conflict)).toBe(EXIT.badInput);

    const version = await errorOf(api.getWorkflow('x'));
    expect([version.httpStatus, version.code]).toEqual([500, 21301]);
    expect(exitCodeOf(version)).toBe(EXIT.badInput); // an admission refusal, though answered with 500
    expect(exitCodeOf(new ApiError(500, 10000, 'boom'))).toBe(EXIT.failed);
    expect(exitCodeOf(new TiemError('PARAMETER_INVALID', 'x'))).toBe(EXIT.badInput);
  });

  it('a wrong token and an unreachable API both exit 4', async () => {
    const denied = await errorOf(new ApiClient(base, 'bad').listClusters());
    expect(denied.httpStatus).toBe(401);
    expect(exitCodeOf(denied)).toBe(EXIT.unreachable);
    // a port that was just free: nothing listens there
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const down = await errorOf(new ApiClient(`http://127.0.0.1:${port}`, 'good', 2000).listClusters());
    expect(down.unreachable).toBe(true);
    expect(down.message).toBe(`cannot reach the API at http://127.0.0.1:${port}: ECONNREFUSED`);
    expect(exitCodeOf(down)).toBe(EXIT.unreachable);
  });

  it('a non-JSON answer keeps its HTTP status', async () => {
    const e = await errorOf((new ApiClient(base, 'good') as unknown as { call: (m: string, p: string) => Promise<unknown> }).call('GET', '/api/v1/broken'));
    expect([e.httpStatus, e.code]).toEqual([502, 10000]);
    expect(e.message).toContain('bad gateway');
  });
});
