import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import mysql from 'mysql2';
import type { AddressInfo } from 'node:net';
import { createTidbSqlClient, TidbSqlError } from '../../adapters/tidb-sql.js';
import type { TidbSession } from '../../adapters/types.js';

// A tiny TiDB stand-in on mysql2's createServer: answers the statements the adapter sends and
// records them as received on the wire (after mysql2's client-side `?` substitution).

const TSO = '449506925178880001';
const VAR_STRING = 253;
const LONGLONG = 8;

interface Col {
  name: string;
  type?: number;
}
type Reply = { rows: Record<string, string | null>[]; cols: Col[] } | { ok: true } | { error: string; code: number };

let received: string[] = [];
let inTxn = false;
let warnings: Record<string, string>[] = [];

function answer(sql: string): Reply {
  const s = sql.trim();
  const table = (cols: (string | Col)[], rows: Record<string, string | null>[]): Reply => ({
    cols: cols.map((c) => (typeof c === 'string' ? { name: c } : c)),
    rows,
  });
  if (/^SELECT 1$/.test(s)) return table(['1'], [{ '1': '1' }]);
  if (/^SELECT tidb_version\(\)/i.test(s))
    return table(['v'], [{ v: 'Release Version: v7.5.1\nEdition: Community\nGit Commit Hash: abc\nGit Branch: heads/refs/tags/v7.5.1' }]);
  if (/^SHOW GLOBAL VARIABLES LIKE 'tidb_gc_life_time'$/.test(s))
    // `_` is a LIKE wildcard: a look-alike name comes back too
    return table(['Variable_name', 'Value'], [{ Variable_name: 'tidbXgcXlifeXtime', Value: 'wrong' }, { Variable_name: 'tidb_gc_life_time', Value: '10m0s' }]);
  if (/^SHOW GLOBAL VARIABLES LIKE/.test(s)) return table(['Variable_name', 'Value'], []);
  if (/^BEGIN$/.test(s)) {
    inTxn = true;
    return { ok: true };
  }
  if (/^ROLLBACK$/.test(s)) {
    inTxn = false;
    return { ok: true };
  }
  // as TiDB: 0 outside an explicit transaction
  if (/^SELECT @@tidb_current_ts AS tso$/i.test(s)) return table(['tso'], [{ tso: inTxn ? TSO : '0' }]);
  if (/^SELECT VARIABLE_VALUE FROM mysql\.tidb WHERE VARIABLE_NAME = 'tikv_gc_safe_point'$/.test(s))
    return table(['VARIABLE_VALUE'], [{ VARIABLE_VALUE: '20240101-10:00:00.000 +0000' }]);
  if (/^ALTER USER 'broken'/.test(s))
    return { error: `You have an error in your SQL syntax; check the manual near '${s.slice(12)}'`, code: 1064 };
  if (/^(ALTER USER|CREATE USER|GRANT|FLUSH|SET )/.test(s)) {
    if (/^SET CONFIG tikv `bad\.name`/.test(s)) warnings = [{ Level: 'Warning', Code: '1105', Message: 'bad request to http://127.0.2.12:20180/config: unknown field' }];
    else if (/^SET CONFIG/.test(s)) warnings = [];
    return { ok: true };
  }
  if (/^SHOW WARNINGS$/.test(s)) return table(['Level', 'Code', 'Message'], warnings);
  if (/^SELECT User, Host FROM mysql\.user$/.test(s)) return table(['User', 'Host'], [{ User: 'root', Host: '%' }, { User: 'tiem_br', Host: '%' }]);
  if (/^SHOW CONFIG/.test(s))
    return table(['Type', 'Instance', 'Name', 'Value'], [{ Type: 'tikv', Instance: '127.0.2.12:20160', Name: 'log.level', Value: 'info' }]);
  if (/^SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema\.tables$/.test(s))
    return table(['TABLE_SCHEMA', 'TABLE_NAME', 'TABLE_TYPE'], [
      { TABLE_SCHEMA: 'shop', TABLE_NAME: 'orders', TABLE_TYPE: 'BASE TABLE' },
      { TABLE_SCHEMA: 'mysql', TABLE_NAME: 'user', TABLE_TYPE: 'BASE TABLE' },
      { TABLE_SCHEMA: 'INFORMATION_SCHEMA', TABLE_NAME: 'TABLES', TABLE_TYPE: 'SYSTEM VIEW' },
      { TABLE_SCHEMA: '__TiDB_BR_Temporary_mysql', TABLE_NAME: 'user', TABLE_TYPE: 'BASE TABLE' },
      { TABLE_SCHEMA: 'shop', TABLE_NAME: 'v_orders', TABLE_TYPE: 'VIEW' },
      { TABLE_SCHEMA: 'odd`db', TABLE_NAME: 'a', TABLE_TYPE: 'BASE TABLE' },
    ]);
  const ck = /^ADMIN CHECKSUM TABLE `((?:[^`]|``)+)`\.`((?:[^`]|``)+)`$/.exec(s);
  if (ck)
    return table(['Db_name', 'Table_name', 'Checksum_crc64_xor', { name: 'Total_kvs', type: LONGLONG }, { name: 'Total_bytes', type: LONGLONG }], [
      { Db_name: ck[1].replace(/``/g, '`'), Table_name: ck[2], Checksum_crc64_xor: '18446744073709551615', Total_kvs: '42', Total_bytes: '4200' },
    ]);
  return { error: `unsupported: ${s}`, code: 1105 };
}

/** The server-side half of mysql2's Connection, which its typings do not describe. */
interface ServerConn {
  sequenceId: number;
  serverHandshake(args: unknown): void;
  writeOk(): void;
  writeError(args: { message: string; code: number }): void;
  writeColumns(cols: unknown[]): void;
  writeTextRow(values: unknown[]): void;
  writeEof(): void;
  on(event: string, fn: (...args: never[]) => void): void;
}

let server: ReturnType<typeof mysql.createServer>;
let port: number;

beforeAll(async () => {
  server = mysql.createServer((c) => {
    const conn = c as unknown as ServerConn;
    let id = 0;
    conn.serverHandshake({
      protocolVersion: 10,
      serverVersion: '8.0.11-TiDB-v7.5.1',
      connectionId: ++id,
      statusFlags: 2,
      characterSet: 33,
      capabilityFlags: 0xf7ff,
      authCallback: (params: { user: string }, cb: (err: unknown, mysqlError?: { message: string; code: number }) => void) => {
        if (params.user === 'denied') cb(null, { message: `Access denied for user '${params.user}'@'127.0.0.1' (using password: YES)`, code: 1045 });
        else {
          cb(null); // writes the handshake OK synchronously
          conn.sequenceId = 0;
        }
      },
    });
    const handle = (sql: string) => {
      received.push(sql);
      const r = answer(sql);
      conn.sequenceId = 1;
      if ('ok' in r) conn.writeOk();
      else if ('error' in r) conn.writeError({ message: r.error, code: r.code });
      else {
        const cols = r.cols.map((c) => ({
          catalog: 'def', schema: '', table: '', orgTable: '', name: c.name, orgName: c.name,
          characterSet: 33, columnLength: 1024, columnType: c.type ?? VAR_STRING, flags: 0, decimals: 0,
        }));
        conn.writeColumns(cols);
        for (const row of r.rows) conn.writeTextRow(r.cols.map((col) => row[col.name]));
        conn.writeEof();
      }
      // the client's next command starts at sequence 0
      conn.sequenceId = 0;
    };
    conn.on('error', () => undefined); // a client's QUIT ends the socket: not a test failure
    conn.on('query', handle);
    conn.on('stmt_prepare', handle); // mysql2's server routes SET … here
  });
  // mysql2's Server.listen forwards all arguments to net.Server, its typings know only the port.
  const net = (server as unknown as { _server: import('node:net').Server })._server;
  await new Promise<void>((r) => net.listen(0, '127.0.0.1', () => r()));
  port = (net.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('tidb sql client', () => {
  let session: TidbSession;
  beforeEach(async () => {
    received = [];
    session = await createTidbSqlClient().connect({ host: '127.0.0.1', port, user: 'root', password: 'RootPw#1' });
  });
  afterEach(() => session.close());

  it('reads version, variables, TSO and GC safepoint', async () => {
    await session.ping();
    await expect(session.version()).resolves.toBe('v7.5.1');
    await expect(session.getGlobalVariable('tidb_gc_life_time')).resolves.toBe('10m0s');
    await expect(session.getGlobalVariable('no_such_var')).resolves.toBeUndefined();
    received = [];
    await expect(session.currentTso()).resolves.toBe(TSO); // exact beyond 2^53
    // TIDB_CURRENT_TSO() is v6.4+: the start ts of an explicit transaction works on every version
    expect(received).toEqual(['BEGIN', 'SELECT @@tidb_current_ts AS tso', 'ROLLBACK']);
    await expect(session.gcSafePoint()).resolves.toBe('20240101-10:00:00.000 +0000');
  });

  it('sets a global variable with the value as an escaped literal, and validates the name', async () => {
    await session.setGlobalVariable('tidb_gc_life_time', "720h'; DROP TABLE x; --");
    expect(received).toEqual(["SET GLOBAL tidb_gc_life_time = '720h\\'; DROP TABLE x; --'"]);
    await expect(session.setGlobalVariable('tidb_gc_life_time = 1; --', '1')).rejects.toThrow(/invalid system variable name/);
  });

  it('ensures a user: create, assert password, one grant per privilege list, flush', async () => {
    await session.ensureUser('tiem_br', 'BrPw!2', ['ALL PRIVILEGES', 'BACKUP_ADMIN, RESTORE_ADMIN']);
    expect(received).toEqual([
      "CREATE USER IF NOT EXISTS 'tiem_br'@'%' IDENTIFIED BY 'BrPw!2'",
      "ALTER USER 'tiem_br'@'%' IDENTIFIED BY 'BrPw!2'",
      "GRANT ALL PRIVILEGES ON *.* TO 'tiem_br'@'%'",
      "GRANT BACKUP_ADMIN, RESTORE_ADMIN ON *.* TO 'tiem_br'@'%'",
      'FLUSH PRIVILEGES',
    ]);
    received = [];
    await expect(session.ensureUser('x', 'p', ['ALL; DROP USER root'])).rejects.toThrow(/invalid privilege list/);
    expect(received).toEqual([]);
  });

  it('keeps passwords out of SQL errors', async () => {
    const err = (await session.alterUserPassword('broken', '%', 'Sup3rSecret').catch((e: unknown) => e)) as TidbSqlError;
    expect(err).toBeInstanceOf(TidbSqlError);
    expect(err.errno).toBe(1064);
    expect(err.message).toContain('error in your SQL syntax');
    expect(err.message).not.toContain('Sup3rSecret');
    expect(JSON.stringify(err)).not.toContain('Sup3rSecret');
    expect((err as unknown as { sql?: string }).sql).toBeUndefined();
  });

  it('lists users and reads config', async () => {
    await expect(session.listUsers()).resolves.toEqual([{ user: 'root', host: '%' }, { user: 'tiem_br', host: '%' }]);
    await expect(session.showConfig({ type: 'tikv', name: 'log.level' })).resolves.toEqual([
      { type: 'tikv', instance: '127.0.2.12:20160', name: 'log.level', value: 'info' },
    ]);
    expect(received.at(-1)).toBe("SHOW CONFIG WHERE type = 'tikv' AND name = 'log.level'");
  });

  it('sets config and throws on warnings', async () => {
    await session.setConfig('tikv', 'split.qps-threshold', 1000);
    expect(received).toEqual(['SET CONFIG tikv `split.qps-threshold` = 1000', 'SHOW WARNINGS']);
    await expect(session.setConfig('tikv', 'bad.name', true)).rejects.toThrow(/failed on some instances: bad request/);
    await expect(session.setConfig('tikv', 'x` = 1; --', 1)).rejects.toThrow(/invalid config name/);
  });

  it('checksums user tables only, at a snapshot, and resets the snapshot', async () => {
    const sums = await session.checksumAll(TSO);
    expect(sums).toEqual([
      { db: 'odd`db', table: 'a', checksum: '18446744073709551615', totalKvs: 42, totalBytes: 4200 },
      { db: 'shop', table: 'orders', checksum: '18446744073709551615', totalKvs: 42, totalBytes: 4200 },
    ]);
    expect(received).toEqual([
      `SET @@tidb_snapshot = '${TSO}'`,
      'SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.tables',
      'ADMIN CHECKSUM TABLE `odd``db`.`a`',
      'ADMIN CHECKSUM TABLE `shop`.`orders`',
      "SET @@tidb_snapshot = ''",
    ]);
  });
});

describe('tidb sql connection failures', () => {
  it('wraps access denied without the password', async () => {
    const err = (await createTidbSqlClient()
      .connect({ host: '127.0.0.1', port, user: 'denied', password: 'NotInMessages9' })
      .catch((e: unknown) => e)) as TidbSqlError;
    expect(err).toBeInstanceOf(TidbSqlError);
    expect(err.connectFailure).toBe(true);
    expect(err.message).toMatch(/^cannot connect to TiDB 127\.0\.0\.1:\d+ as denied: Access denied/);
    expect(JSON.stringify({ ...err, m: err.message })).not.toContain('NotInMessages9');
  });

  it('wraps connection refused', async () => {
    const err = (await createTidbSqlClient()
      .connect({ host: '127.0.0.1', port: 1, user: 'root', password: 'NotInMessages9' }, { connectTimeoutMs: 2000 })
      .catch((e: unknown) => e)) as TidbSqlError;
    expect(err).toBeInstanceOf(TidbSqlError);
    expect(err.code).toBe('ECONNREFUSED');
    expect(err.message).not.toContain('NotInMessages9');
  });
});
