import { describe, expect, it, test } from '@jest/globals';
import { TiemError, type TiemErrorName } from '../../domain/errors.js';
import type { CloneClusterRequest, Cluster, SourceFacts } from '../../domain/types.js';
import {
  countInstances,
  httpStatusOf,
  nulFieldOf,
  parseSpecCode,
  validateCloneAgainstSource,
  validateCloneRequestShape,
  zoneOf,
} from '../../domain/validation.js';

// Requests are built loosely on purpose: the tests feed wrong types to the validator.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyReq = Record<string, any>;

function validRequest(over: AnyReq = {}): AnyReq {
  return {
    sourceClusterId: 'src-cluster-01',
    cloneStrategy: 'Snapshot',
    clusterName: 'staging-copy',
    dbPassword: 'S3cret-pass',
    clusterVersion: 'v7.5.1',
    region: 'Region1',
    cpuArchitecture: 'X86_64',
    resourceParameters: {
      instanceResource: [
        { componentType: 'PD', resource: [{ zoneCode: 'Region1,Zone1_1', specCode: '4C8G', count: 1 }] },
        { componentType: 'TiDB', resource: [{ zoneCode: 'Region1,Zone1_1', specCode: '8C16G', count: 1 }] },
        {
          componentType: 'TiKV',
          resource: [
            { zoneCode: 'Region1,Zone1_1', specCode: '8C32G', count: 2 },
            { zoneCode: 'Region1,Zone1_2', specCode: '8C32G', count: 1 },
          ],
        },
      ],
    },
    ...over,
  };
}

function withResources(instanceResource: unknown): AnyReq {
  return validRequest({ resourceParameters: { instanceResource } });
}

function sourceFacts(over: Partial<Cluster> = {}, facts: Partial<SourceFacts> = {}): SourceFacts {
  const cluster: Cluster = {
    id: 'src-cluster-01',
    name: 'prod',
    type: 'TiDB',
    version: 'v7.5.0',
    status: 'Running',
    maintenanceStatus: '',
    maintenanceHolder: '',
    copies: 3,
    region: 'Region1',
    cpuArchitecture: 'X86_64',
    tags: [],
    tls: false,
    exclusive: false,
    vendor: 'Local',
    parameterGroupId: 'pg-1',
    createdAt: '2024-01-01T00:00:00Z',
    updatedAt: '2024-01-01T00:00:00Z',
    ...over,
  };
  return { cluster, componentCounts: { PD: 3, TiDB: 2, TiKV: 3, CDC: 1 }, isSlave: false, ...facts };
}

function errorOf(fn: () => unknown): TiemError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TiemError);
    return e as TiemError;
  }
  throw new Error('expected a TiemError');
}

function expectError(fn: () => unknown, name: TiemErrorName, detail: string | RegExp): TiemError {
  const e = errorOf(fn);
  expect(e.errorName).toBe(name);
  if (typeof detail === 'string') expect(e.detail).toBe(detail);
  else expect(e.detail).toMatch(detail);
  return e;
}

const shape = (r: unknown) => () => validateCloneRequestShape(r);

describe('validateCloneRequestShape: accepts', () => {
  it('a minimal valid request and returns a clean copy', () => {
    const out = validateCloneRequestShape(validRequest({ unknownField: 1 }));
    expect(out).toEqual(validRequest());
    expect((out as AnyReq).unknownField).toBeUndefined();
  });

  it.each(['Snapshot', 'CDCSync', 'TopologyClone'])('strategy %s', (s) => {
    expect(validateCloneRequestShape(validRequest({ cloneStrategy: s })).cloneStrategy).toBe(s);
  });

  it.each(['X86', 'X86_64', 'ARM', 'ARM64'])('architecture %s', (a) => {
    expect(validateCloneRequestShape(validRequest({ cpuArchitecture: a })).cpuArchitecture).toBe(a);
  });

  it.each([1, 3, 5, 7])('copies %d', (c) => {
    expect(validateCloneRequestShape(validRequest({ copies: c })).copies).toBe(c);
  });

  it('copies 0 means "the source\'s", as in TiEM', () => {
    expect(validateCloneRequestShape(validRequest({ copies: 0 })).copies).toBeUndefined();
  });

  it('boundary lengths', () => {
    const ok = validRequest({
      sourceClusterId: 'a'.repeat(4),
      clusterName: 'b'.repeat(64),
      dbPassword: 'p'.repeat(8),
      region: 'r'.repeat(32),
      dbUser: 'u'.repeat(32),
      requestId: 'x'.repeat(128),
    });
    expect(() => validateCloneRequestShape(ok)).not.toThrow();
    expect(() => validateCloneRequestShape(validRequest({ sourceClusterId: 's'.repeat(64), dbPassword: 'p'.repeat(32), clusterName: 'n'.repeat(4) }))).not.toThrow();
  });

  it('counts characters, not UTF-16 units (Go validator counts runes)', () => {
    expect(() => validateCloneRequestShape(validRequest({ clusterName: '🚀🚀🚀🚀' }))).not.toThrow();
  });

  it('optional and ignored fields', () => {
    const out = validateCloneRequestShape(
      validRequest({
        tags: ['staging', 'team-a'],
        tls: true,
        exclusive: false,
        vendor: 'Local',
        parameterGroupID: 'pg-7',
        dbUser: 'root',
        clusterType: 'TiDB',
        requestId: 'req-2024.01:abc_1',
        resourceParameters: {
          requestResourceMode: 'SpecificZone',
          instanceResource: [
            { componentType: 'PD', totalNodeCount: 1, resource: [{ zoneCode: 'Zone1', specCode: '4C8G', count: 1, hostIp: '10.0.0.1', diskId: 'd1', diskType: 'SSD', diskCapacity: 100 }] },
            { componentType: 'TiDB', resource: [{ zoneCode: 'Zone1', specCode: '4C8G', count: 1 }] },
            { componentType: 'TiKV', resource: [{ zoneCode: 'Zone1', specCode: '4C8G', count: 3 }] },
            { componentType: 'TiFlash', resource: [{ zoneCode: 'Zone1', specCode: '4C8G', count: 1 }] },
            { componentType: 'CDC', resource: [{ zoneCode: 'Zone1', specCode: '4C8G', count: 2 }] },
          ],
        },
      }),
    );
    expect(out.tags).toEqual(['staging', 'team-a']);
    expect(out.tls).toBe(true);
    expect(out.exclusive).toBe(false);
    expect(out.requestId).toBe('req-2024.01:abc_1');
    expect(out.resourceParameters.requestResourceMode).toBe('SpecificZone');
    expect(out.resourceParameters.instanceResource[0].resource[0]).toEqual({
      zoneCode: 'Zone1', specCode: '4C8G', count: 1, hostIp: '10.0.0.1', diskId: 'd1', diskType: 'SSD', diskCapacity: 100,
    });
    expect(countInstances(out.resourceParameters.instanceResource, 'CDC')).toBe(2);
  });
});

describe('validateCloneRequestShape: rejects', () => {
  it.each([null, 'text', 42, [validRequest()], undefined])('a body that is not an object: %p → 10004', (body) => {
    const e = expectError(shape(body), 'MARSHAL_ERROR', 'request body must be a JSON object');
    expect(e.code).toBe(10004);
    expect(httpStatusOf(e)).toBe(400);
  });

  it.each(['sourceClusterId', 'cloneStrategy', 'clusterName', 'dbPassword', 'clusterVersion', 'region', 'cpuArchitecture', 'resourceParameters'])(
    'a missing %s → 10001',
    (field) => {
      const r = validRequest();
      delete r[field];
      const e = expectError(shape(r), 'PARAMETER_INVALID', `${field} is required`);
      expect(e.code).toBe(10001);
      expect(e.message).toBe(`[10001]Parameter is invalid\t${field} is required`);
    },
  );

  it.each([
    ['sourceClusterId', 3, 65],
    ['clusterName', 3, 65],
    ['dbPassword', 7, 33],
  ])('%s outside its length range', (field, short, long) => {
    expectError(shape(validRequest({ [field]: 'x'.repeat(short) })), 'PARAMETER_INVALID', new RegExp(`^${field} must be \\d+-\\d+ characters, got ${short}$`));
    expectError(shape(validRequest({ [field]: 'x'.repeat(long) })), 'PARAMETER_INVALID', new RegExp(`^${field} must be \\d+-\\d+ characters, got ${long}$`));
  });

  it('region longer than 32', () => {
    expectError(shape(validRequest({ region: 'r'.repeat(33) })), 'PARAMETER_INVALID', 'region must be 1-32 characters, got 33');
  });

  it('dbUser longer than 32', () => {
    expectError(shape(validRequest({ dbUser: 'u'.repeat(33) })), 'PARAMETER_INVALID', 'dbUser must be at most 32 characters');
  });

  it.each(['7.5.1', 'v7.5', 'v7.5.x', 'latest', 'v7.5.1-rc'])('clusterVersion %p', (v) => {
    expectError(shape(validRequest({ clusterVersion: v })), 'PARAMETER_INVALID', `TiDB version ${v} format is invalid`);
  });

  it('an unknown strategy (TiEM silently ran Snapshot)', () => {
    expectError(
      shape(validRequest({ cloneStrategy: 'snapshot' })),
      'PARAMETER_INVALID',
      'cloneStrategy "snapshot" is invalid, allowed values: Snapshot, CDCSync, TopologyClone',
    );
  });

  it('an unknown architecture', () => {
    expectError(shape(validRequest({ cpuArchitecture: 'amd64' })), 'PARAMETER_INVALID', 'cpuArchitecture "amd64" is invalid, allowed values: X86, X86_64, ARM, ARM64');
  });

  it.each([2, 4, 6, 9, -1, 1.5])('copies %p', (c) => {
    expectError(shape(validRequest({ copies: c })), 'PARAMETER_INVALID', `copies ${c} is invalid, allowed values: 1, 3, 5, 7`);
  });

  it.each([
    ['clusterName', 1234],
    ['copies', '3'],
    ['tls', 'true'],
    ['exclusive', 1],
    ['tags', 'a,b'],
    ['tags', ['a', 1]],
    ['parameterGroupID', 5],
    ['vendor', {}],
    ['resourceParameters', []],
  ])('%s of the wrong JSON type → MARSHAL_ERROR', (field, value) => {
    const e = errorOf(shape(validRequest({ [field]: value })));
    expect(e.errorName).toBe('MARSHAL_ERROR');
    expect(e.detail).toContain(field);
  });

  it.each(['', 'has space', 'x'.repeat(129), 'semi;colon', 'slash/x'])('requestId %p', (id) => {
    expectError(shape(validRequest({ requestId: id })), 'PARAMETER_INVALID', /^requestId must be 1-128 characters/);
  });

  it('an empty instanceResource (TiEM "parameter is invalid!")', () => {
    expectError(shape(withResources([])), 'PARAMETER_INVALID', /instanceResource is empty/);
    expectError(shape(validRequest({ resourceParameters: {} })), 'PARAMETER_INVALID', 'resourceParameters.instanceResource is required');
    expectError(shape(withResources({})), 'MARSHAL_ERROR', /must be an array/);
  });

  it('an unknown componentType', () => {
    const r = validRequest();
    r.resourceParameters.instanceResource.push({ componentType: 'TiProxy', resource: [] });
    expectError(shape(r), 'PARAMETER_INVALID', 'instanceResource[3].componentType "TiProxy" is invalid, allowed values: PD, TiDB, TiKV, TiFlash, CDC');
  });

  it.each(['PD', 'TiDB', 'TiKV'])('a topology without %s', (missing) => {
    const r = validRequest();
    r.resourceParameters.instanceResource = r.resourceParameters.instanceResource.filter((x: AnyReq) => x.componentType !== missing);
    expectError(shape(r), 'PARAMETER_INVALID', `the target needs at least one ${missing} instance`);
  });

  it('a component listed with no placements does not count', () => {
    const r = validRequest();
    r.resourceParameters.instanceResource[0].resource = [];
    expectError(shape(r), 'PARAMETER_INVALID', 'the target needs at least one PD instance');
  });

  it.each(['4C', '8G', '4c8g', 'C8G', '4C8GB', '0C8G', '4C0G', '', ' 4C8G'])('specCode %p (TiEM panicked)', (spec) => {
    const r = validRequest();
    r.resourceParameters.instanceResource[1].resource[0].specCode = spec;
    const e = errorOf(shape(r));
    expect(e.errorName).toBe('PARAMETER_INVALID');
    expect(e.detail).toMatch(/specCode/);
  });

  it.each([0, -1, 1.5, undefined])('count %p', (count) => {
    const r = validRequest();
    r.resourceParameters.instanceResource[2].resource[1].count = count;
    expectError(shape(r), 'PARAMETER_INVALID', 'instanceResource[2].resource[1].count must be a positive integer');
  });

  it.each(['', 'Region1,', undefined])('zoneCode %p', (zone) => {
    const r = validRequest();
    r.resourceParameters.instanceResource[0].resource[0].zoneCode = zone;
    expectError(shape(r), 'PARAMETER_INVALID', 'instanceResource[0].resource[0].zoneCode is required');
  });

  it('a pinned disk without a pinned host', () => {
    const r = validRequest();
    r.resourceParameters.instanceResource[0].resource[0].diskId = 'disk-1';
    expectError(shape(r), 'PARAMETER_INVALID', 'instanceResource[0].resource[0].diskId requires hostIp');
  });

  it('a negative diskCapacity', () => {
    const r = validRequest();
    r.resourceParameters.instanceResource[0].resource[0].diskCapacity = -5;
    expectError(shape(r), 'PARAMETER_INVALID', /diskCapacity must be a non-negative integer/);
  });

  it('reports the first failing rule in field order', () => {
    const r = validRequest({ sourceClusterId: 'abc', clusterName: 'x', copies: 2 });
    expectError(shape(r), 'PARAMETER_INVALID', 'sourceClusterId must be 4-64 characters, got 3');
  });
});

describe('parseSpecCode / zoneOf', () => {
  it('parses cpu and memory', () => {
    expect(parseSpecCode('4C8G')).toEqual({ cpuCores: 4, memoryGb: 8 });
    expect(parseSpecCode('16C128G')).toEqual({ cpuCores: 16, memoryGb: 128 });
    expect(() => parseSpecCode('4C8')).toThrow(TiemError);
  });
  it('keeps the text after the last comma', () => {
    expect(zoneOf('Region1,Zone1_1')).toBe('Zone1_1');
    expect(zoneOf('a,b,c')).toBe('c');
    expect(zoneOf('Zone2')).toBe('Zone2');
  });
});

describe('validateCloneAgainstSource', () => {
  const req = (over: AnyReq = {}) => validateCloneRequestShape(validRequest(over)) as CloneClusterRequest;

  it('accepts and returns the source copies by default', () => {
    expect(validateCloneAgainstSource(req(), sourceFacts())).toEqual({ copies: 3 });
  });

  it('request copies win over the source', () => {
    expect(validateCloneAgainstSource(req({ copies: 1 }), sourceFacts())).toEqual({ copies: 1 });
  });

  it.each(['Snapshot', 'CDCSync', 'TopologyClone'])('%s: target older than source → 21301', (strategy) => {
    const e = expectError(
      () => validateCloneAgainstSource(req({ cloneStrategy: strategy, clusterVersion: 'v7.1.5' }), sourceFacts({ version: 'v7.5.0' })),
      'CHECK_CLUSTER_VERSION_ERROR',
      'the specified cluster version is less than source cluster version',
    );
    expect(e.code).toBe(21301);
    expect(e.message).toBe('[21301]Cluster version not support\tthe specified cluster version is less than source cluster version');
    expect(httpStatusOf(e)).toBe(500);
  });

  it('an invalid source version → PARAMETER_INVALID', () => {
    expectError(() => validateCloneAgainstSource(req(), sourceFacts({ version: 'v7.5' })), 'PARAMETER_INVALID', 'TiDB version v7.5 format is invalid');
  });

  it.each(['Snapshot', 'CDCSync'])('%s: a pre-v7.5 source clones into v7.5+ (the restore leaves the system tables out)', (strategy) => {
    expect(validateCloneAgainstSource(req({ cloneStrategy: strategy, clusterVersion: 'v8.1.0' }), sourceFacts({ version: 'v7.1.5' }))).toMatchObject({ copies: expect.any(Number) });
  });

  it('TopologyClone is not bound by BR compatibility (no restore)', () => {
    expect(validateCloneAgainstSource(req({ cloneStrategy: 'TopologyClone', clusterVersion: 'v7.5.0' }), sourceFacts({ version: 'v7.1.5' }))).toEqual({ copies: 3 });
  });

  it('Snapshot across compatible minors is accepted (6.5 → 7.1, 7.5 → 8.1)', () => {
    expect(() => validateCloneAgainstSource(req({ clusterVersion: 'v7.1.0' }), sourceFacts({ version: 'v6.5.0' }))).not.toThrow();
    expect(() => validateCloneAgainstSource(req({ clusterVersion: 'v8.1.0' }), sourceFacts({ version: 'v7.5.0' }))).not.toThrow();
  });

  it('CDCSync: a slave source → 21304', () => {
    const e = expectError(
      () => validateCloneAgainstSource(req({ cloneStrategy: 'CDCSync' }), sourceFacts({}, { isSlave: true })),
      'CLONE_SLAVE_ERROR',
      'cluster src-cluster-01 is slave, which can not be cloned by CDCSync',
    );
    expect(e.code).toBe(21304);
    expect(httpStatusOf(e)).toBe(500);
  });

  it.each(['Snapshot', 'TopologyClone'])('%s: a slave source may be cloned', (strategy) => {
    expect(() => validateCloneAgainstSource(req({ cloneStrategy: strategy }), sourceFacts({}, { isSlave: true }))).not.toThrow();
  });

  it('CDCSync: source older than v5.2.2 → 21301', () => {
    expectError(
      () => validateCloneAgainstSource(req({ cloneStrategy: 'CDCSync', clusterVersion: 'v5.2.1' }), sourceFacts({ version: 'v5.2.1' })),
      'CHECK_CLUSTER_VERSION_ERROR',
      'cluster src-cluster-01 version must be greater than or equal to v5.2.2',
    );
    expect(() => validateCloneAgainstSource(req({ cloneStrategy: 'CDCSync', clusterVersion: 'v5.2.2' }), sourceFacts({ version: 'v5.2.2' }))).not.toThrow();
  });

  it('Snapshot from a v5.0 source is fine (the v5.2.2 gate is CDCSync only)', () => {
    expect(() => validateCloneAgainstSource(req({ clusterVersion: 'v5.0.0' }), sourceFacts({ version: 'v5.0.0' }))).not.toThrow();
  });

  it('CDCSync: source without CDC → 21302 / 404', () => {
    for (const counts of [{ PD: 3, TiDB: 1, TiKV: 3 }, { PD: 3, TiDB: 1, TiKV: 3, CDC: 0 }]) {
      const e = expectError(
        () => validateCloneAgainstSource(req({ cloneStrategy: 'CDCSync' }), sourceFacts({}, { componentCounts: counts })),
        'CDC_NOT_FOUND',
        'cluster src-cluster-01 not found CDC, which cloned by CDCSync',
      );
      expect(e.code).toBe(21302);
      expect(httpStatusOf(e)).toBe(404);
    }
    expect(() => validateCloneAgainstSource(req(), sourceFacts({}, { componentCounts: { TiKV: 3 } }))).not.toThrow();
  });

  it('CDCSync checks run in TiEM order: slave before version before CDC', () => {
    const facts = sourceFacts({ version: 'v5.0.0' }, { isSlave: true, componentCounts: {} });
    expectError(() => validateCloneAgainstSource(req({ cloneStrategy: 'CDCSync', clusterVersion: 'v5.0.0' }), facts), 'CLONE_SLAVE_ERROR', /is slave/);
    facts.isSlave = false;
    expectError(() => validateCloneAgainstSource(req({ cloneStrategy: 'CDCSync', clusterVersion: 'v5.0.0' }), facts), 'CHECK_CLUSTER_VERSION_ERROR', /v5\.2\.2/);
  });

  it.each(['Snapshot', 'CDCSync', 'TopologyClone'])('%s: TiKV count below copies → 21303', (strategy) => {
    // 3 TiKV in the request; 5 copies requested.
    const e = expectError(
      () => validateCloneAgainstSource(req({ cloneStrategy: strategy, copies: 5 }), sourceFacts()),
      'CLONE_TIKV_ERROR',
      'the number of TiKV instances is less than the copies',
    );
    expect(e.code).toBe(21303);
    expect(httpStatusOf(e)).toBe(500);
  });

  it('TiKV count is summed over placements; equal to copies is enough', () => {
    expect(validateCloneAgainstSource(req({ copies: 3 }), sourceFacts({ copies: 5 }))).toEqual({ copies: 3 });
    expectError(() => validateCloneAgainstSource(req(), sourceFacts({ copies: 5 })), 'CLONE_TIKV_ERROR', /less than the copies/);
  });

  it('source copies outside {1,3,5,7} without a request value → PARAMETER_INVALID', () => {
    expectError(() => validateCloneAgainstSource(req(), sourceFacts({ copies: 2 })), 'PARAMETER_INVALID', 'copies 2 is invalid, allowed values: 1, 3, 5, 7');
  });
});

describe('httpStatusOf', () => {
  it.each([
    ['CHECK_CLUSTER_VERSION_ERROR', 500],
    ['CDC_NOT_FOUND', 404],
    ['CLONE_TIKV_ERROR', 500],
    ['CLONE_SLAVE_ERROR', 500],
    ['PARAMETER_INVALID', 400],
    ['MARSHAL_ERROR', 400],
    ['DUPLICATED_NAME', 400],
    ['CLUSTER_MAINTENANCE_CONFLICT', 409],
    ['CLUSTER_NOT_FOUND', 404],
    ['RESOURCE_ALLOCATE_ERROR', 500],
  ] as [TiemErrorName, number][])('%s → %d', (name, status) => {
    expect(httpStatusOf(new TiemError(name, 'x'))).toBe(status);
  });
  it('unknown codes are 500', () => expect(httpStatusOf({ code: 12345 })).toBe(500));
});

describe('validateCloneRequestShape: every count, array and string is bounded (10001 naming the field and the limit)', () => {
  // Literal limits on purpose: they are the documented ones (README "Decisions", domain/limits.ts).
  const placement = (over: AnyReq = {}) => ({ zoneCode: 'Region1,Zone1_1', specCode: '4C8G', count: 1, ...over });
  const withPlacement = (over: AnyReq) => {
    const r = validRequest();
    r.resourceParameters.instanceResource[0].resource[0] = placement({ hostIp: '10.0.0.1', ...over });
    return r;
  };
  const bounded = (r: unknown, field: string, limit: number) => {
    const e = errorOf(shape(r));
    expect(e.errorName).toBe('PARAMETER_INVALID');
    expect(e.code).toBe(10001);
    expect(httpStatusOf(e)).toBe(400);
    expect(e.detail).toContain(field);
    expect(e.detail).toContain(String(limit));
    expect(e.detail.length).toBeLessThan(300); // never echoes the oversized value
    return e;
  };

  it('count: 100000000 → 10001 naming the placement count and 128', () => {
    const r = validRequest();
    r.resourceParameters.instanceResource[2].resource[1].count = 100000000;
    bounded(r, 'instanceResource[2].resource[1].count', 128);
  });

  it('count 128 per placement is accepted, 129 is not', () => {
    const r = validRequest();
    r.resourceParameters.instanceResource[2].resource[1].count = 128;
    expect(() => validateCloneRequestShape(r)).not.toThrow();
    r.resourceParameters.instanceResource[2].resource[1].count = 129;
    bounded(r, 'instanceResource[2].resource[1].count', 128);
  });

  it('the instances of all placements together: 512 accepted, 513 refused', () => {
    const r = validRequest();
    // 1 PD + 1 TiDB + 3 TiKV already; TiFlash placements make up the rest.
    const tiflash = (n: number) => ({ componentType: 'TiFlash', resource: [placement({ count: 128 }), placement({ count: 128 }), placement({ count: 128 }), placement({ count: n })] });
    r.resourceParameters.instanceResource.push(tiflash(512 - 5 - 3 * 128));
    expect(() => validateCloneRequestShape(r)).not.toThrow();
    r.resourceParameters.instanceResource[3] = tiflash(512 - 5 - 3 * 128 + 1);
    bounded(r, 'instanceResource', 512);
  });

  it('a 10,000-element resource list → 10001 before any element is looked at', () => {
    const r = validRequest();
    // null elements would be a MARSHAL_ERROR: the size is checked first
    r.resourceParameters.instanceResource[0].resource = new Array(10_000).fill(null);
    bounded(r, 'instanceResource[0].resource', 64);
    // also when an earlier entry holds a placement that is wrong: every size is checked first
    const s = validRequest();
    s.resourceParameters.instanceResource[0].resource[0] = null;
    s.resourceParameters.instanceResource[2].resource = new Array(10_000).fill(null);
    bounded(s, 'instanceResource[2].resource', 64);
  });

  it('a 10,000-element instanceResource list → 10001 before any element is looked at', () => {
    bounded(withResources(new Array(10_000).fill(null)), 'resourceParameters.instanceResource', 16);
  });

  it('64 placements per component and 16 instanceResource entries are accepted', () => {
    const r = validRequest();
    r.resourceParameters.instanceResource[2].resource = Array.from({ length: 64 }, () => placement());
    while (r.resourceParameters.instanceResource.length < 16) r.resourceParameters.instanceResource.push({ componentType: 'CDC', resource: [placement()] });
    expect(() => validateCloneRequestShape(r)).not.toThrow();
  });

  it.each([
    ['zoneCode', { zoneCode: `Region1,${'z'.repeat(121)}` }, 128],
    ['specCode', { specCode: `${'1'.repeat(8)}C${'1'.repeat(7)}G` }, 16],
    ['specCode', { specCode: '1025C8G' }, 1024],
    ['specCode', { specCode: '4C65537G' }, 65536],
    ['diskType', { diskType: 'd'.repeat(33) }, 32],
    ['diskCapacity', { diskCapacity: 1_048_577 }, 1048576],
    ['hostIp', { hostIp: '1'.repeat(46) }, 45],
    ['diskId', { diskId: 'd'.repeat(65) }, 64],
  ])('placement %s over its limit → 10001', (field, over, limit) => {
    bounded(withPlacement(over), `instanceResource[0].resource[0].${field}`, limit);
  });

  it('placement fields at their limits are accepted', () => {
    const r = withPlacement({
      zoneCode: `Region1,${'z'.repeat(120)}`,
      specCode: '1024C65536G',
      diskType: 'd'.repeat(32),
      diskCapacity: 1_048_576,
      hostIp: '1'.repeat(45),
      diskId: 'd'.repeat(64),
    });
    expect(() => validateCloneRequestShape(r)).not.toThrow();
  });

  it('totalNodeCount (ignored) is bounded too', () => {
    const r = validRequest();
    r.resourceParameters.instanceResource[0].totalNodeCount = 1e8;
    bounded(r, 'instanceResource[0].totalNodeCount', 512);
  });

  it.each([
    ['tags', { tags: Array.from({ length: 33 }, (_, i) => `t${i}`) }, 'tags', 32],
    ['a tag', { tags: ['ok', 't'.repeat(65)] }, 'tags[1]', 64],
    ['vendor', { vendor: 'v'.repeat(33) }, 'vendor', 32],
    ['parameterGroupID', { parameterGroupID: 'p'.repeat(65) }, 'parameterGroupID', 64],
    ['region', { region: 'r'.repeat(33) }, 'region', 32],
    ['dbUser', { dbUser: 'u'.repeat(33) }, 'dbUser', 32],
    ['clusterType', { clusterType: 'c'.repeat(33) }, 'clusterType', 32],
    ['clusterVersion', { clusterVersion: `v${'1'.repeat(40)}.0.0` }, 'clusterVersion', 32],
    ['requestId', { requestId: 'x'.repeat(129) }, 'requestId', 128],
    ['sourceClusterId', { sourceClusterId: 's'.repeat(65) }, 'sourceClusterId', 64],
    ['clusterName', { clusterName: 'n'.repeat(65) }, 'clusterName', 64],
    ['dbPassword', { dbPassword: 'p'.repeat(33) }, 'dbPassword', 32],
    ['requestResourceMode', { resourceParameters: { ...validRequest().resourceParameters, requestResourceMode: 'm'.repeat(33) } }, 'resourceParameters.requestResourceMode', 32],
  ])('%s over its limit → 10001', (_what, over, field, limit) => {
    bounded(validRequest(over), field, limit);
  });

  it('request fields at their limits are accepted', () => {
    const r = validRequest({
      tags: Array.from({ length: 32 }, () => 't'.repeat(64)),
      vendor: 'v'.repeat(32),
      parameterGroupID: 'p'.repeat(64),
      clusterType: 'c'.repeat(32),
      resourceParameters: { ...validRequest().resourceParameters, requestResourceMode: 'm'.repeat(32) },
    });
    expect(() => validateCloneRequestShape(r)).not.toThrow();
  });

  it.each([
    ['cloneStrategy', { cloneStrategy: 's'.repeat(100_000) }],
    ['cpuArchitecture', { cpuArchitecture: 'a'.repeat(100_000) }],
  ])('an oversized %s is refused without echoing it', (field, over) => {
    const e = errorOf(shape(validRequest(over)));
    expect([e.code, e.detail.length < 300]).toEqual([10001, true]);
    expect(e.detail).toContain(field);
  });

  it('an oversized componentType is refused without echoing it', () => {
    const r = validRequest();
    r.resourceParameters.instanceResource[0].componentType = 'c'.repeat(100_000);
    const e = errorOf(shape(r));
    expect([e.code, e.detail.length < 300]).toEqual([10001, true]);
    expect(e.detail).toContain('instanceResource[0].componentType');
  });
});

describe('NUL characters', () => {
  test('are found anywhere in the input, with their field path, without recursion limits', () => {
    expect(nulFieldOf({ a: 'x', tags: ['ok', 'b\u0000'] })).toBe('tags[1]');
    expect(nulFieldOf({ resourceParameters: { instanceResource: [{ resource: [{ zoneCode: 'r\u0000' }] }] } })).toBe('resourceParameters.instanceResource[0].resource[0].zoneCode');
    expect(nulFieldOf({ ['k\u0000']: 1 })).toBe('<key>');
    expect(nulFieldOf({ a: 'plain', n: 1, b: null, c: [true] })).toBeUndefined();
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 50_000; i++) deep = { a: deep };
    expect(nulFieldOf(deep)).toMatch(/^a\.a\./);
  });

  test('a clone request with one is refused with 10001 naming the field', () => {
    const req = { sourceClusterId: 'src-cluster-0001', cloneStrategy: 'Snapshot', clusterName: 'ab\u0000cd', dbPassword: 'Passw0rd!', clusterVersion: 'v7.5.1', region: 'r', cpuArchitecture: 'X86_64' };
    expect(() => validateCloneRequestShape(req)).toThrow(expect.objectContaining({ code: 10001, message: expect.stringContaining('clusterName must not contain a NUL character') }));
  });
});
