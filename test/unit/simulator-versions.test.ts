// The simulator plays each tool version as the real one behaves: TiCDC's API surface and error
// codes by version, TiDB's TSO function. Each expectation names where the real tool implements it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { execa } from 'execa';
import { createTidbSqlClient } from '../../adapters/tidb-sql.js';
import { startSimulator, type StartedSimulator } from '../../simulator/launch.js';
import { SimulatorClient, type SeedClusterRequest } from '../../simulator/client.js';

let sim: StartedSimulator;
let client: SimulatorClient;
let work: string;
let net = 0;

/** One PD, TiKV and TiDB (and a CDC) on one loopback host, root password "pw". */
function seedOf(name: string, version: string, host: string, tables: SeedClusterRequest['tables'], withCdc: boolean): SeedClusterRequest {
  const instances: SeedClusterRequest['instances'] = [
    { role: 'pd', host, port: 2379 },
    { role: 'tikv', host, port: 20160 },
    { role: 'tidb', host, port: 4000 },
  ];
  if (withCdc) instances.push({ role: 'cdc', host, port: 8300 });
  return { name, version, rootPassword: 'pw', instances, tables };
}

/** A fresh source/target pair of one version, on its own loopback addresses. */
async function pair(version: string, tables: SeedClusterRequest['tables'] = [{ db: 'shop', table: 'orders', rows: 10, sizeBytes: 1024 }]) {
  net++;
  const up = `127.0.${60 + net}.1`;
  const down = `127.0.${60 + net}.2`;
  await client.createCluster(seedOf(`up${net}`, version, up, tables, true));
  await client.createCluster(seedOf(`down${net}`, version, down, [], true));
  const cdc = `http://${up}:8300`;
  const sinkUri = `mysql://root:pw@${down}:4000/`;
  const call = async (method: string, p: string, body?: unknown) => {
    const r = await fetch(cdc + p, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const text = await r.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: r.status, text, json: json as Record<string, unknown> };
  };
  return { up, down, cdc, sinkUri, call };
}

function tiup(...args: string[]) {
  return execa(sim.tiupBin, args, { env: { ...sim.env, TIUP_HOME: path.join(work, 'state', 'tiup-home') }, cwd: work, reject: false });
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-versions-test-'));
  sim = await startSimulator({ speed: 200, stateDir: path.join(work, 'state') });
  client = new SimulatorClient(sim.url);
});

afterAll(async () => {
  await sim?.stop();
});

describe('TiCDC API by version (pingcap/tiflow cdc/api)', () => {
  test('v6.1: OpenAPI v1 only (cdc/api/open.go @ v6.1.0); create and remove answer 202; remove is asynchronous; a missing changefeed is 400 ErrChangeFeedNotExists', async () => {
    const { sinkUri, call } = await pair('v6.1.7');
    expect((await call('POST', '/api/v2/changefeeds', { changefeed_id: 'cf1', sink_uri: sinkUri })).status).toBe(404);
    expect((await call('GET', '/api/v2/health')).text).toBe('404 page not found');
    const created = await call('POST', '/api/v1/changefeeds', { changefeed_id: 'cf1', sink_uri: sinkUri });
    expect(created.status).toBe(202);
    expect(created.text).toBe('');
    const detail = await call('GET', '/api/v1/changefeeds/cf1');
    expect(detail.status).toBe(200);
    expect(detail.json).toMatchObject({ id: 'cf1', state: 'normal', error: null });
    expect(detail.json.checkpoint_tso).toBeDefined();
    expect((await call('DELETE', '/api/v1/changefeeds/cf1')).status).toBe(202);
    const missing = await call('GET', '/api/v1/changefeeds/nope');
    expect(missing.status).toBe(400);
    // cdc/owner/status_provider.go @ v6.1.0: a ChangeFeedID struct without String()
    expect(missing.json).toEqual({ error_code: 'CDC:ErrChangeFeedNotExists', error_msg: '[CDC:ErrChangeFeedNotExists]changefeed not exists, {default nope}' });
    // the owner removes it at its next tick: gone shortly after
    for (let i = 0; i < 50 && (await call('GET', '/api/v1/changefeeds/cf1')).status === 200; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await call('GET', '/api/v1/changefeeds/cf1')).status).toBe(400);
  });

  test('v5.4: the not-found text is `key: <id>` (cdc/owner/status_provider.go @ v5.4.0)', async () => {
    const { call } = await pair('v5.4.3');
    const missing = await call('GET', '/api/v1/changefeeds/nope');
    expect(missing.json.error_msg).toBe('[CDC:ErrChangeFeedNotExists]changefeed not exists, key: nope');
  });

  test('v6.5.0: v2 has create (201) and verify_table but no GET/DELETE/list/health (cdc/api/v2/api.go @ v6.5.0); v1 still serves them', async () => {
    const { sinkUri, call } = await pair('v6.5.0');
    const created = await call('POST', '/api/v2/changefeeds', { changefeed_id: 'cf1', sink_uri: sinkUri, replica_config: {} });
    expect(created.status).toBe(201);
    expect((await call('GET', '/api/v2/changefeeds/cf1')).status).toBe(404);
    expect((await call('GET', '/api/v2/changefeeds')).status).toBe(404);
    expect((await call('DELETE', '/api/v2/changefeeds/cf1')).status).toBe(404);
    expect((await call('GET', '/api/v2/health')).status).toBe(404);
    expect((await call('GET', '/api/v1/changefeeds/cf1')).json).toMatchObject({ id: 'cf1', state: 'normal' });
    expect((await call('POST', '/api/v2/verify_table', {})).json).toEqual({ eligible_tables: [expect.objectContaining({ database_name: 'shop', table_name: 'orders' })] });
    // v1 remove waits until the changefeed is gone from v6.2 (cdc/api/v1/api.go @ v6.2.0 RemoveChangefeed)
    expect((await call('DELETE', '/api/v1/changefeeds/cf1')).status).toBe(202);
    expect((await call('GET', '/api/v1/changefeeds/cf1')).status).toBe(400);
  });

  test('v6.5.2+: full v2 (tiflow #8740); DELETE of a missing changefeed is 200 {}; GET of one is 400 ErrChangeFeedNotExists; already exists is 500', async () => {
    const { sinkUri, call } = await pair('v6.5.9');
    const created = await call('POST', '/api/v2/changefeeds', { changefeed_id: 'cf1', sink_uri: sinkUri, replica_config: {} });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ id: 'cf1', state: 'normal' });
    const dup = await call('POST', '/api/v2/changefeeds', { changefeed_id: 'cf1', sink_uri: sinkUri, replica_config: {} });
    expect(dup.status).toBe(500);
    expect(dup.json.error_code).toBe('CDC:ErrChangeFeedAlreadyExists');
    expect((await call('GET', '/api/v2/changefeeds?state=all')).json).toMatchObject({ total: 1 });
    expect((await call('GET', '/api/v2/health')).status).toBe(200);
    expect(await call('DELETE', '/api/v2/changefeeds/cf1')).toMatchObject({ status: 200, json: {} });
    expect(await call('DELETE', '/api/v2/changefeeds/cf1')).toMatchObject({ status: 200, json: {} });
    const gone = await call('GET', '/api/v2/changefeeds/cf1');
    expect(gone.status).toBe(400);
    expect(gone.json.error_code).toBe('CDC:ErrChangeFeedNotExists');
  });

  test('v8.1: the not-found text is `default/<id>` (ChangeFeedID.String @ v7.5.0); synced exists (cdc/api/v2/api.go @ v8.1.0)', async () => {
    const { sinkUri, call } = await pair('v8.1.1');
    expect((await call('GET', '/api/v2/changefeeds/nope')).json.error_msg).toBe('[CDC:ErrChangeFeedNotExists]changefeed not exists, default/nope');
    await call('POST', '/api/v2/changefeeds', { changefeed_id: 'cf1', sink_uri: sinkUri, replica_config: {} });
    expect((await call('GET', '/api/v2/changefeeds/cf1/synced')).status).toBe(200);
  });

  test('ineligible tables (no PK, no NOT NULL unique key) refuse the changefeed unless ignored (cdc/model/schema_storage.go IsEligible)', async () => {
    const { sinkUri, call } = await pair('v7.5.1', [
      { db: 'shop', table: 'orders', rows: 10, sizeBytes: 1024 },
      { db: 'shop', table: 'audit_log', rows: 10, sizeBytes: 1024, uniqueKey: false },
    ]);
    const refused = await call('POST', '/api/v2/changefeeds', { changefeed_id: 'cf1', sink_uri: sinkUri, replica_config: { ignore_ineligible_table: false } });
    expect(refused.status).toBe(400);
    expect(refused.json).toEqual({
      error_code: 'CDC:ErrTableIneligible',
      error_msg: '[CDC:ErrTableIneligible]some tables are not eligible to replicate([shop.audit_log]), if you want to ignore these tables, please set ignore_ineligible_table to true',
    });
    // a top-level flag is not a v2 field
    expect((await call('POST', '/api/v2/changefeeds', { changefeed_id: 'cf1', sink_uri: sinkUri, ignore_ineligible_table: true })).status).toBe(400);
    const verify = await call('POST', '/api/v2/verify_table', { replica_config: {} });
    expect(verify.json.ineligible_tables).toEqual([expect.objectContaining({ database_name: 'shop', table_name: 'audit_log' })]);
    expect((await call('POST', '/api/v2/changefeeds', { changefeed_id: 'cf1', sink_uri: sinkUri, replica_config: { ignore_ineligible_table: true } })).status).toBe(200);
  });

  test('retried errors: `error` up to v7.2, `warning` from v7.3 / v6.5.4 / v7.1.2 (cdc/owner/feed_state_manager.go); both recover by themselves', async () => {
    for (const [version, retryState] of [
      ['v6.5.3', 'error'],
      ['v6.5.4', 'warning'],
      ['v7.1.1', 'error'],
      ['v7.1.5', 'warning'],
      ['v8.5.0', 'warning'],
    ] as const) {
      const { sinkUri, call } = await pair(version);
      expect((await call('POST', '/api/v1/changefeeds', { changefeed_id: 'cf1', sink_uri: sinkUri })).status).toBe(202);
      const stateOf = async () => ((await call('GET', '/api/v1/changefeeds?state=all')).json as unknown as { state: string; error: { code: string } | null }[])[0];
      const waitFor = async (state: string) => {
        for (let i = 0; i < 100 && (await stateOf()).state !== state; i++) await new Promise((r) => setTimeout(r, 50));
        return stateOf();
      };
      expect((await tiup('cluster', 'stop', `down${net}`, '-R', 'tidb', '--yes')).exitCode).toBe(0);
      expect(await waitFor(retryState)).toMatchObject({ state: retryState, error: { code: 'CDC:ErrMySQLConnectionError' } });
      expect((await tiup('cluster', 'start', `down${net}`, '-R', 'tidb')).exitCode).toBe(0);
      expect(await waitFor('normal')).toMatchObject({ state: 'normal', error: null });
    }
  });
});

test('the adapter finds the tables TiCDC would refuse through information_schema (tables, statistics, columns)', async () => {
  const { up } = await pair('v6.1.7', [
    { db: 'shop', table: 'orders', rows: 10, sizeBytes: 1024 },
    { db: 'shop', table: 'audit_log', rows: 10, sizeBytes: 1024, uniqueKey: false },
  ]);
  const s = await createTidbSqlClient().connect({ host: up, port: 4000, user: 'root', password: 'pw' });
  try {
    expect(await s.tablesWithoutUniqueKey()).toEqual(['shop.audit_log']);
    // CREATE TABLE with and without a key
    const conn = await mysql.createConnection({ host: up, port: 4000, user: 'root', password: 'pw' });
    await conn.query('CREATE TABLE shop.k (id BIGINT NOT NULL, PRIMARY KEY (id))');
    await conn.query('CREATE TABLE shop.nok (id BIGINT, v TEXT)');
    await conn.end();
    expect(await s.tablesWithoutUniqueKey()).toEqual(['shop.audit_log', 'shop.nok']);
  } finally {
    await s.close();
  }
});

describe('TiDB TSO by version', () => {
  test.each([
    ['v5.4.3', false],
    ['v6.1.7', false],
    ['v6.5.0', true],
    ['v8.5.0', true],
  ])('%s: TIDB_CURRENT_TSO() exists: %s (expression/builtin_time.go @ v6.4.0); BEGIN + @@tidb_current_ts works everywhere', async (version, hasFunction) => {
    const { up } = await pair(version);
    const conn = await mysql.createConnection({ host: up, port: 4000, user: 'root', password: 'pw', supportBigNumbers: true, bigNumberStrings: true });
    try {
      if (hasFunction) {
        const [[r]] = (await conn.query('SELECT TIDB_CURRENT_TSO() AS tso')) as unknown as [{ tso: string }[]];
        expect(BigInt(r.tso)).toBeGreaterThan(0n);
      } else {
        await expect(conn.query('SELECT TIDB_CURRENT_TSO() AS tso')).rejects.toMatchObject({ errno: 1046 });
        await conn.query('USE test');
        await expect(conn.query('SELECT TIDB_CURRENT_TSO() AS tso')).rejects.toMatchObject({ errno: 1305, message: 'FUNCTION test.tidb_current_tso does not exist' });
      }
      await conn.query('BEGIN');
      const [[t]] = (await conn.query('SELECT @@tidb_current_ts AS tso')) as unknown as [{ tso: string }[]];
      await conn.query('ROLLBACK');
      expect(Number(BigInt(t.tso) >> 18n)).toBeGreaterThan(Date.now() - 60_000);
    } finally {
      await conn.end();
    }
  });
});

describe('BR by version (pingcap/tidb br/)', () => {
  const GiB = 1024 ** 3;
  const storage = (n: string) => `local://${path.join(work, 'backups', n)}`;
  async function cluster(version: string, tables: SeedClusterRequest['tables'] = []) {
    net++;
    const host = `127.0.${60 + net}.1`;
    const name = `br${net}`;
    await client.createCluster(seedOf(name, version, host, tables, false));
    return { name, pd: `${host}:2379` };
  }
  /** Backs the source up, then starts a restore into a fresh cluster that dies at `atPercent`. */
  async function interruptedRestore(version: string, tables: SeedClusterRequest['tables'], store: string, atPercent: number) {
    const src = await cluster(version, tables);
    const uri = storage(store);
    expect((await tiup(`br:${version}`, 'backup', 'full', '--pd', src.pd, '--storage', uri)).exitCode).toBe(0);
    const dst = await cluster(version);
    await client.addFault({ op: 'br.restore', cluster: dst.name, mode: 'die', atPercent });
    expect((await tiup(`br:${version}`, 'restore', 'full', '--pd', dst.pd, '--storage', uri)).exitCode).toBe(137);
    return { src, dst, uri };
  }

  test.each([
    ['v5.3.4', 'backup lock file exists in {uri}/backup.lock, there may be some backup files in the path already, please specify a correct backup directory!'],
    ['v6.1.7', 'backup lock file and sst file exist in {uri}/backup.lock, there are some backup files in the path already, please specify a correct backup directory!'],
  ])('%s: no backup checkpoint before v6.5 (br/pkg/checkpoint @ v6.5.0): an interrupted backup cannot be re-run on its storage', async (version, text) => {
    const src = await cluster(version, [{ db: 'd', table: 't', rows: 100, sizeBytes: 40 * GiB }]);
    await client.addFault({ op: 'br.backup', cluster: src.name, mode: 'die', atPercent: 30 });
    const uri = storage(`lock-${version}`);
    expect((await tiup(`br:${version}`, 'backup', 'full', '--pd', src.pd, '--storage', uri)).exitCode).toBe(137);
    const again = await tiup(`br:${version}`, 'backup', 'full', '--pd', src.pd, '--storage', uri);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain(`${text.replace('{uri}', uri)}: [BR:Common:ErrInvalidArgument]invalid argument`);
    expect(again.stdout).not.toContain('resume checkpoint');
    // a fresh storage path works
    expect((await tiup(`br:${version}`, 'backup', 'full', '--pd', src.pd, '--storage', `${uri}-2`)).exitCode).toBe(0);
  });

  test('v6.1: no restore checkpoint and no fresh-cluster check (< v6.2): a re-run ingests everything again, idempotently; other data in a backed-up table fails the checksum', async () => {
    const tables = [
      { db: 'd', table: 'a', rows: 100, sizeBytes: 20 * GiB },
      { db: 'd', table: 'b', rows: 50, sizeBytes: 20 * GiB },
    ];
    const { src, dst, uri } = await interruptedRestore('v6.1.7', tables, 'restore-v61', 70);
    const again = await tiup('br:v6.1.7', 'restore', 'full', '--pd', dst.pd, '--storage', uri);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).not.toContain('resume checkpoint');
    expect((await client.checksum(dst.name)).checksum).toBe((await client.checksum(src.name)).checksum);

    const dirty = await cluster('v6.1.7', [{ db: 'd', table: 'a', rows: 1, sizeBytes: 10 }]);
    const mismatch = await tiup('br:v6.1.7', 'restore', 'full', '--pd', dirty.pd, '--storage', uri);
    expect(mismatch.exitCode).toBe(1);
    expect(mismatch.stderr).toContain('failed to validate checksum: [BR:Restore:ErrRestoreChecksumMismatch]restore checksum mismatch');
  });

  test('v7.1: a restore resumes from its checkpoint (br/pkg/checkpoint/restore.go @ v7.1.0); the fresh check applies only with system tables before v7.3', async () => {
    const { dst, uri } = await interruptedRestore('v7.1.5', [{ db: 'd', table: 'a', rows: 100, sizeBytes: 40 * GiB }], 'restore-v71', 50);
    const again = await tiup('br:v7.1.5', 'restore', 'full', '--pd', dst.pd, '--storage', uri);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('resume checkpoint restore');
    // a second full restore of the same backup: no fresh check without system tables in v7.1
    expect((await tiup('br:v7.1.5', 'restore', 'full', '--pd', dst.pd, '--storage', uri)).exitCode).toBe(0);
    const withSys = await tiup('br:v7.1.5', 'restore', 'full', '--pd', dst.pd, '--storage', uri, '--with-sys-table=true');
    expect(withSys.exitCode).toBe(1);
    expect(withSys.stderr).toContain('[BR:Restore:ErrRestoreNotFreshCluster]cluster is not fresh');
  });

  test('a backup more than one major newer is refused (CheckVersionForBackup, v6.0+ #33203); one minor newer is not', async () => {
    const v81 = await cluster('v8.1.1', [{ db: 'd', table: 'a', rows: 1, sizeBytes: 100 }]);
    expect((await tiup('br:v8.1.1', 'backup', 'full', '--pd', v81.pd, '--storage', storage('v81'))).exitCode).toBe(0);
    const v65 = await cluster('v6.5.9');
    const refused = await tiup('br:v6.5.9', 'restore', 'full', '--pd', v65.pd, '--storage', storage('v81'));
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('backup with cluster version v8.1.1 cannot be restored at cluster of version v6.5.9: major version mismatches');
    const v75 = await cluster('v7.5.1', [{ db: 'd', table: 'a', rows: 1, sizeBytes: 100 }]);
    expect((await tiup('br:v7.5.1', 'backup', 'full', '--pd', v75.pd, '--storage', storage('v75'))).exitCode).toBe(0);
    const v71 = await cluster('v7.1.5');
    expect((await tiup('br:v7.1.5', 'restore', 'full', '--pd', v71.pd, '--storage', storage('v75'))).exitCode).toBe(0);
  });
});
