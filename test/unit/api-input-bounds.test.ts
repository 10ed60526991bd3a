// Unbounded input: every count, array and string of the API bodies has an upper bound, answered
// with 10001 / 400 naming the field and the limit; an over-large body is a coded 4xx, not a 5xx.
// Same in-process server as api-server.test.ts (loopback port, real SQLite, stand-in Temporal client).
import type { Client, WithStartWorkflowOperation } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildOpenApiText } from '../../api/openapi-offline.js';
import { createApiServer } from '../../api/server.js';
import { demoCloneRequest } from '../../embedded/demo-fleet.js';
import { openTempStore, type TempStore } from '../../metadata/testing.js';

const TOKEN = 'unit-test-token-0123456789';
const json = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

let t: TempStore;
let app: FastifyInstance;
let base: string;
let started: WithStartWorkflowOperation<never>[];
let executed: unknown[];

const fakeClient = {
  options: { namespace: 'default' },
  workflow: {
    executeUpdateWithStart: async (_update: unknown, o: { startWorkflowOperation: WithStartWorkflowOperation<never> }) => {
      started.push(o.startWorkflowOperation);
      const workflowId = o.startWorkflowOperation.options.workflowId;
      return { accepted: true, workflowId, clusterId: workflowId.replace(/^\w+-/, '') };
    },
    execute: async (_type: string, o: { args: unknown[] }) => {
      executed.push(o.args[0]);
      return { clusterId: 'taken-over' };
    },
    getHandle: (workflowId: string) => ({ workflowId }),
  },
} as unknown as Client;

beforeEach(async () => {
  t = await openTempStore();
  started = [];
  executed = [];
  app = createApiServer({ client: fakeClient, store: t.store, tokens: [TOKEN] });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterEach(async () => {
  await app.close();
  await t.cleanup();
});

async function post(url: string, payload: unknown): Promise<{ statusCode: number; body: { code: number; message: string; data: unknown } }> {
  const res = await fetch(`${base}${url}`, { method: 'POST', headers: json, body: typeof payload === 'string' ? payload : JSON.stringify(payload) });
  return { statusCode: res.status, body: JSON.parse(await res.text()) };
}

/** 400 / 10001 in the envelope, naming the field and the limit, and nothing started. */
async function expectBounded(url: string, payload: unknown, field: string, limit: number): Promise<void> {
  const r = await post(url, payload);
  expect([r.statusCode, r.body.code]).toEqual([400, 10001]);
  expect(r.body.data).toEqual({});
  expect(r.body.message).toContain(field);
  expect(r.body.message).toContain(String(limit));
  expect(r.body.message.length).toBeLessThan(300);
  expect(started).toHaveLength(0);
  expect(executed).toHaveLength(0);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyBody = Record<string, any>;
const cloneBody = (): AnyBody => demoCloneRequest({ clusterName: 'bounded-clone', cloneStrategy: 'Snapshot' });
const CLONE = '/api/v1/clusters/clone';

describe('POST /api/v1/clusters/clone', () => {
  test('a valid clone is still accepted', async () => {
    const r = await post(CLONE, cloneBody());
    expect([r.statusCode, r.body.code]).toEqual([200, 0]);
  });

  test('count: 100000000 → 10001 naming the count and 128', async () => {
    const b = cloneBody();
    b.resourceParameters.instanceResource[2].resource[0].count = 100000000;
    await expectBounded(CLONE, b, 'instanceResource[2].resource[0].count', 128);
  });

  test('more than 512 instances over all placements → 10001', async () => {
    const b = cloneBody();
    b.resourceParameters.instanceResource.push({ componentType: 'TiFlash', resource: Array.from({ length: 5 }, () => ({ zoneCode: 'Region1,Zone1', specCode: '4C8G', count: 128 })) });
    await expectBounded(CLONE, b, 'instanceResource', 512);
  });

  test('a 10,000-element resource list → 10001', async () => {
    const b = cloneBody();
    b.resourceParameters.instanceResource[2].resource = Array.from({ length: 10_000 }, () => ({ zoneCode: 'Region1,Zone1', specCode: '4C8G', count: 1 }));
    await expectBounded(CLONE, b, 'instanceResource[2].resource', 64);
  });

  test('a 10,000-element instanceResource list → 10001', async () => {
    const b = cloneBody();
    b.resourceParameters.instanceResource = Array.from({ length: 10_000 }, () => ({ componentType: 'TiKV', resource: [] }));
    await expectBounded(CLONE, b, 'resourceParameters.instanceResource', 16);
  });

  test.each([
    ['zoneCode', { zoneCode: 'z'.repeat(129) }, 128],
    ['specCode', { specCode: `${'1'.repeat(8)}C${'1'.repeat(7)}G` }, 16],
    ['diskType', { diskType: 'd'.repeat(33) }, 32],
    ['diskCapacity', { diskCapacity: 1e9 }, 1048576],
    ['hostIp', { hostIp: '1'.repeat(46) }, 45],
    ['diskId', { hostIp: '10.0.0.1', diskId: 'd'.repeat(65) }, 64],
  ])('placement %s over its limit → 10001', async (field, over, limit) => {
    const b = cloneBody();
    Object.assign(b.resourceParameters.instanceResource[0].resource[0], over);
    await expectBounded(CLONE, b, `instanceResource[0].resource[0].${field}`, limit);
  });

  test.each([
    ['tags', { tags: Array.from({ length: 33 }, (_, i) => `t${i}`) }, 32],
    ['tags[0]', { tags: ['t'.repeat(65)] }, 64],
    ['vendor', { vendor: 'v'.repeat(33) }, 32],
    ['parameterGroupID', { parameterGroupID: 'p'.repeat(65) }, 64],
    ['clusterType', { clusterType: 'c'.repeat(33) }, 32],
    ['dbUser', { dbUser: 'u'.repeat(33) }, 32],
    ['region', { region: 'r'.repeat(33) }, 32],
    ['requestId', { requestId: 'r'.repeat(129) }, 128],
    ['clusterVersion', { clusterVersion: `v${'7'.repeat(40)}.5.1` }, 32],
  ])('%s over its limit → 10001', async (field, over, limit) => {
    await expectBounded(CLONE, { ...cloneBody(), ...over }, field, limit);
  });
});

describe('the other bodies', () => {
  const disk = { name: 'sda', path: '/data1', capacity: 500, type: 'SATA' };
  const host = (over: AnyBody = {}) => ({ ip: '10.1.1.1', region: 'Region1', zone: 'Zone1', rack: 'R1', arch: 'X86_64', cpuCores: 16, memory: 64, disks: [disk], ...over });
  const HOSTS = '/api/v1/resources/hosts';

  test('a valid host import is still accepted', async () => {
    const r = await post(HOSTS, { hosts: [host()] });
    expect([r.statusCode, r.body.code]).toEqual([200, 0]);
  });

  test.each([
    ['hosts', { hosts: Array.from({ length: 1001 }, (_, i) => host({ ip: `10.1.${i >> 8}.${i & 255}` })) }, 1000],
    ['hosts[0].disks', { hosts: [host({ disks: Array.from({ length: 65 }, (_, i) => ({ ...disk, name: `d${i}` })) })] }, 64],
    ['hosts[0].hostName', { hosts: [host({ hostName: 'h'.repeat(256) })] }, 255],
    ['hosts[0].cpuCores', { hosts: [host({ cpuCores: 1e8 })] }, 1024],
    ['hosts[0].memory', { hosts: [host({ memory: 1e9 })] }, 65536],
    ['hosts[0].ip', { hosts: [host({ ip: '1'.repeat(46) })] }, 45],
    ['hosts[0].disks[0].name', { hosts: [host({ disks: [{ ...disk, name: 'n'.repeat(65) }] })] }, 64],
    ['hosts[0].disks[0].path', { hosts: [host({ disks: [{ ...disk, path: `/${'p'.repeat(255)}` }] })] }, 255],
    ['hosts[0].disks[0].capacity', { hosts: [host({ disks: [{ ...disk, capacity: 1e9 }] })] }, 1048576],
  ])('hosts import: %s over its limit → 10001', async (field, body, limit) => {
    await expectBounded(HOSTS, body, field, limit);
  });

  const takeover = (over: AnyBody = {}) => ({ clusterName: 'existing', dbPassword: 'secret-pass', region: 'Region1', ...over });
  const TAKEOVER = '/api/v1/clusters/takeover';

  test('a valid takeover still reaches the workflow', async () => {
    const r = await post(TAKEOVER, takeover({ tags: ['a'], vendor: 'Local' }));
    expect([r.statusCode, r.body.code]).toEqual([200, 0]);
  });

  test.each([
    ['tags', { tags: Array.from({ length: 33 }, (_, i) => `t${i}`) }, 32],
    ['tags[0]', { tags: ['t'.repeat(65)] }, 64],
    ['vendor', { vendor: 'v'.repeat(33) }, 32],
    ['clusterName', { clusterName: 'c'.repeat(65) }, 64],
    ['dbPassword', { dbPassword: 'p'.repeat(129) }, 128],
  ])('takeover: %s over its limit → 10001', async (field, over, limit) => {
    await expectBounded(TAKEOVER, takeover(over), field, limit);
  });
});

describe('body size', () => {
  test('a body over the 1 MiB limit → 413 with 10001 in the envelope, naming the limit', async () => {
    const b = { ...cloneBody(), padding: 'x'.repeat(1024 * 1024) };
    const r = await post(CLONE, b);
    expect(r.statusCode).toBe(413);
    expect(r.body).toEqual({ code: 10001, message: expect.stringContaining('1048576'), data: {} });
    expect(started).toHaveLength(0);
  });

  test('a body just under the limit is read (and judged on its fields)', async () => {
    const b = { ...cloneBody(), padding: 'x'.repeat(1000 * 1000) };
    const r = await post(CLONE, b);
    expect([r.statusCode, r.body.code]).toEqual([200, 0]);
  });
});

describe('the OpenAPI document shows the bounds', () => {
  interface Node {
    type?: string;
    enum?: unknown[];
    const?: unknown;
    format?: string;
    maxLength?: number;
    maxItems?: number;
    maximum?: number;
    items?: Node;
    properties?: Record<string, Node>;
    anyOf?: Node[];
  }

  /** Paths of the strings, arrays and numbers without an upper bound. */
  function unbounded(n: Node, path: string, out: string[]): string[] {
    if (n.anyOf) n.anyOf.forEach((s) => unbounded(s, path, out));
    if (n.const !== undefined || n.enum) return out; // one of given values
    if (n.type === 'string' && n.maxLength === undefined) out.push(path);
    if ((n.type === 'integer' || n.type === 'number') && n.maximum === undefined) out.push(path);
    if (n.type === 'array') {
      if (n.maxItems === undefined) out.push(path);
      if (n.items) unbounded(n.items, `${path}[]`, out);
    }
    for (const [k, v] of Object.entries(n.properties ?? {})) unbounded(v, `${path}.${k}`, out);
    return out;
  }

  test('every string, array and number of every request body and parameter has a maximum', async () => {
    const doc = JSON.parse(await buildOpenApiText()) as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Node }> }; parameters?: { name: string; schema: Node }[] }>>;
    };
    const missing: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const where = `${method.toUpperCase()} ${path}`;
        const body = op.requestBody?.content['application/json']?.schema;
        if (body) unbounded(body, `${where} body`, missing);
        for (const p of op.parameters ?? []) unbounded(p.schema, `${where} ${p.name}`, missing);
      }
    }
    expect(missing).toEqual([]);
  });

  test('the clone body shows the limits of the issue', async () => {
    const doc = JSON.parse(await buildOpenApiText());
    const body = doc.paths['/api/v1/clusters/clone'].post.requestBody.content['application/json'].schema;
    const instanceResource = body.properties.resourceParameters.properties.instanceResource;
    expect(instanceResource.maxItems).toBe(16);
    const resource = instanceResource.items.properties.resource.anyOf[0];
    expect(resource.maxItems).toBe(64);
    expect(resource.items.properties.count).toMatchObject({ minimum: 1, maximum: 128 });
    expect(resource.items.properties.zoneCode.maxLength).toBe(128);
    expect(body.properties.tags.anyOf[0]).toMatchObject({ maxItems: 32, items: { maxLength: 64 } });
  });
});
