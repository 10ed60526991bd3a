import { configKeptReason, configValueOf, planConfigCopy, type ConfigCopyInput, type ShowConfigRow } from '../../domain/source-config.js';
import { flattenConfig } from '../../activities/source-config.js';

const rows = (type: string, values: Record<string, string>, instances = ['10.0.0.1:20180']): ShowConfigRow[] =>
  instances.flatMap((instance) => Object.entries(values).map(([name, value]) => ({ type, instance, name, value })));

function input(over: Partial<ConfigCopyInput> = {}): ConfigCopyInput {
  return {
    sameVersion: true,
    sourceServerConfigs: {},
    targetComponents: ['tidb', 'tikv', 'pd', 'cdc'],
    sourceShowConfig: [],
    targetShowConfig: [],
    sourceGlobals: {},
    targetGlobals: {},
    ...over,
  };
}

test('copies what differs from the fresh target, typed, and nothing that is equal', () => {
  const plan = planConfigCopy(
    input({
      sourceShowConfig: [...rows('tikv', { 'raftstore.apply-pool-size': '4', 'gc.ratio-threshold': '1.1' }), ...rows('pd', { 'schedule.leader-schedule-limit': '8' })],
      targetShowConfig: [...rows('tikv', { 'raftstore.apply-pool-size': '2', 'gc.ratio-threshold': '1.1' }), ...rows('pd', { 'schedule.leader-schedule-limit': '4' })],
      sourceServerConfigs: { cdc: { 'per-table-memory-quota': 20971520 }, tidb: { 'performance.txn-total-size-limit': 1073741824 } },
      sourceGlobals: { tidb_distsql_scan_concurrency: '30', max_connections: '0' },
      targetGlobals: { tidb_distsql_scan_concurrency: '15', max_connections: '0' },
    }),
  );
  expect(plan.config).toEqual([
    { component: 'tidb', name: 'performance.txn-total-size-limit', value: 1073741824 },
    { component: 'cdc', name: 'per-table-memory-quota', value: 20971520 },
    { component: 'tikv', name: 'raftstore.apply-pool-size', value: 4 },
    { component: 'pd', name: 'schedule.leader-schedule-limit', value: 8 },
  ]);
  expect(plan.globals).toEqual([{ name: 'tidb_distsql_scan_concurrency', value: '30' }]);
  expect(plan.leftOut).toEqual([]);
});

test('never copies addresses, paths, certificates, replicas, labels or host-dependent sizes', () => {
  for (const [c, n] of [
    ['pd', 'replication.max-replicas'],
    ['pd', 'replication.location-labels'],
    ['tikv', 'server.advertise-addr'],
    ['tikv', 'storage.data-dir'],
    ['tikv', 'raftstore.raftdb-path'],
    ['tidb', 'security.ssl-cert'],
    ['tidb', 'log.file.filename'],
    ['tidb', 'performance.max-procs'],
    ['tikv', 'storage.block-cache.capacity'],
    ['pd', 'pd-server.dashboard-address'],
  ] as const) {
    expect([c, n, configKeptReason(c, n)]).toEqual([c, n, expect.any(String)]);
  }
  expect(configKeptReason('tikv', 'server.grpc-concurrency')).toBeUndefined();
  expect(configKeptReason('tikv', 'raftstore.apply-pool-size')).toBeUndefined();
  const plan = planConfigCopy(input({ sourceShowConfig: rows('tikv', { 'server.advertise-addr': '10.0.0.1:20160' }), targetShowConfig: rows('tikv', { 'server.advertise-addr': '10.0.9.1:20160' }) }));
  expect(plan.config).toEqual([]);
  expect(plan.leftOut).toEqual([{ what: 'tikv server.advertise-addr', reason: 'an address of the source' }]);
});

test('across versions: only names the target has; the rest is listed as left out', () => {
  const plan = planConfigCopy(
    input({
      sameVersion: false,
      sourceShowConfig: rows('tikv', { 'raftstore.apply-pool-size': '4', 'storage.gone-in-new-version': 'x' }),
      targetShowConfig: rows('tikv', { 'raftstore.apply-pool-size': '2' }),
      sourceServerConfigs: { cdc: { 'per-table-memory-quota': 1 } },
      sourceGlobals: { tidb_old_variable: 'ON', tidb_txn_mode: 'optimistic' },
      targetGlobals: { tidb_txn_mode: 'pessimistic' },
    }),
  );
  expect(plan.config).toEqual([{ component: 'tikv', name: 'raftstore.apply-pool-size', value: 4 }]);
  expect(plan.globals).toEqual([{ name: 'tidb_txn_mode', value: 'optimistic' }]);
  expect(plan.leftOut).toEqual([
    { what: 'cdc per-table-memory-quota', reason: 'not checkable across versions' },
    { what: 'tikv storage.gone-in-new-version', reason: 'the target version has no such setting' },
    { what: 'variable tidb_old_variable', reason: 'the target version has no such variable' },
  ]);
});

test('values that differ between source instances are left out; the GC life time is the one before the hold', () => {
  const plan = planConfigCopy(
    input({
      sourceShowConfig: [...rows('tikv', { 'server.grpc-concurrency': '8' }, ['a:1']), ...rows('tikv', { 'server.grpc-concurrency': '6' }, ['b:1'])],
      targetShowConfig: rows('tikv', { 'server.grpc-concurrency': '5' }),
      sourceGlobals: { tidb_gc_life_time: '24h0m0s', tidb_snapshot: '' },
      targetGlobals: { tidb_gc_life_time: '10m0s', tidb_snapshot: '' },
      sourceGcLifeTime: '1h0m0s',
    }),
  );
  expect(plan.config).toEqual([]);
  expect(plan.leftOut).toEqual([{ what: 'tikv server.grpc-concurrency', reason: 'differs between instances of the source' }]);
  expect(plan.globals).toEqual([{ name: 'tidb_gc_life_time', value: '1h0m0s' }]);
});

test('a component the target does not run is left out', () => {
  const plan = planConfigCopy(input({ targetComponents: ['tidb', 'tikv', 'pd'], sourceServerConfigs: { cdc: { 'per-table-memory-quota': 1 } } }));
  expect(plan.leftOut).toEqual([{ what: 'cdc per-table-memory-quota', reason: 'the target has no cdc' }]);
});

test('config values and topology flattening', () => {
  expect([configValueOf('4'), configValueOf('1.5'), configValueOf('true'), configValueOf('8GiB'), configValueOf('18446744073709551615')]).toEqual([4, 1.5, true, '8GiB', '18446744073709551615']);
  expect(flattenConfig({ raftstore: { 'apply-pool-size': 4 }, 'log.level': 'warn', labels: ['a'] })).toEqual({ 'raftstore.apply-pool-size': 4, 'log.level': 'warn', labels: ['a'] });
});
