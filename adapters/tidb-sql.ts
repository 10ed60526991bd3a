// TiDB SQL client on mysql2 (tidb-tooling.md §A.5). One connection per session; text protocol
// (`query()` with client-side `?` escaping), no multi-statements. SQL errors are re-thrown without
// mysql2's `sql` field, which would hold the formatted statement and thus any password in it.
import mysql from 'mysql2/promise';
import { readTlsFiles } from './tls-files.js';
import type { TableChecksum, TidbEndpoint, TidbSession, TidbSqlClient } from './types.js';

/** A SQL or connection failure, free of passwords and formatted SQL. */
export class TidbSqlError extends Error {
  constructor(
    message: string,
    /** mysql2/Node code: ER_ACCESS_DENIED_ERROR, ECONNREFUSED, ETIMEDOUT, … */
    readonly code: string | undefined,
    readonly errno: number | undefined,
    /** True when the connection could not be established. */
    readonly connectFailure: boolean,
  ) {
    super(message);
    this.name = 'TidbSqlError';
  }
}

const SYSVAR = /^[a-z_][a-z0-9_]*$/i;
const CONFIG_NAME = /^[a-z0-9._-]+$/i;
const PRIVILEGES = /^[A-Z_ ,]+$/;
const CONFIG_COMPONENTS = new Set(['tikv', 'pd', 'tidb', 'tiflash']);
/** Schemas that are not user data (plus BR's temporary databases, matched by prefix). */
const SYSTEM_SCHEMAS = new Set(
  ['mysql', 'information_schema', 'performance_schema', 'metrics_schema', 'sys', 'lightning_task_info'],
);
const BR_TEMPORARY_PREFIX = '__tidb_br_temporary';

export function escapeId(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}

/** `Release Version: v7.5.1` line of `SELECT tidb_version()`. */
export function parseTidbVersion(text: string): string | undefined {
  return /Release Version:\s*(\S+)/.exec(text)?.[1];
}

function scrub(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('***');
  return out;
}

function wrapError(e: unknown, secrets: string[], context: string, connectFailure: boolean): TidbSqlError {
  const err = e as { message?: string; code?: string; errno?: number };
  const message = scrub(err?.message ?? String(e), secrets);
  return new TidbSqlError(`${context}: ${message}`, err?.code, err?.errno, connectFailure);
}

type Row = Record<string, unknown>;

/** Reads a column regardless of the case the server used for its name. */
function col(row: Row, name: string): unknown {
  if (name in row) return row[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(row)) if (k.toLowerCase() === lower) return row[k];
  return undefined;
}

const str = (v: unknown): string => (v === null || v === undefined ? '' : Buffer.isBuffer(v) ? v.toString('utf8') : String(v));

function isUserTable(schema: string, type: string): boolean {
  const s = schema.toLowerCase();
  if (SYSTEM_SCHEMAS.has(s) || s.startsWith(BR_TEMPORARY_PREFIX)) return false;
  return type === '' || type.toUpperCase() === 'BASE TABLE';
}

class MysqlTidbSession implements TidbSession {
  private fatal: Error | undefined;

  constructor(
    private readonly conn: mysql.Connection,
    private readonly endpoint: TidbEndpoint,
    readonly secure: boolean,
  ) {
    // A fatal error with no query in flight is emitted as an event; unhandled it would crash the worker.
    conn.on('error', (e: Error) => {
      this.fatal = e;
    });
  }

  /** Runs one statement with `?` parameters; `secrets` are scrubbed from any error. */
  private async query(sql: string, params: unknown[] = [], secrets: string[] = []): Promise<Row[]> {
    if (this.fatal) throw wrapError(this.fatal, [this.endpoint.password], 'TiDB connection lost', false);
    try {
      const [rows] = await this.conn.query(sql, params);
      return Array.isArray(rows) ? (rows as Row[]) : [];
    } catch (e) {
      // The statement template has only `?` placeholders, so it is safe to name.
      throw wrapError(e, [this.endpoint.password, ...secrets], `TiDB ${sql.split(' ').slice(0, 3).join(' ')}`, false);
    }
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async version(): Promise<string> {
    const rows = await this.query('SELECT tidb_version() AS v');
    const text = str(rows[0] ? Object.values(rows[0])[0] : '');
    const v = parseTidbVersion(text);
    if (!v) throw new TidbSqlError('tidb_version() has no "Release Version:" line', undefined, undefined, false);
    return v;
  }

  async getGlobalVariable(name: string): Promise<string | undefined> {
    // `_` is a LIKE wildcard that also matches itself: filter for the exact name afterwards.
    const rows = await this.query('SHOW GLOBAL VARIABLES LIKE ?', [name]);
    const row = rows.find((r) => str(col(r, 'Variable_name')).toLowerCase() === name.toLowerCase());
    return row ? str(col(row, 'Value')) : undefined;
  }

  async globalVariables(): Promise<Record<string, string>> {
    const rows = await this.query('SELECT VARIABLE_NAME, VARIABLE_VALUE FROM mysql.global_variables');
    return Object.fromEntries(rows.map((r) => [str(col(r, 'VARIABLE_NAME')), str(col(r, 'VARIABLE_VALUE'))]));
  }

  async setGlobalVariable(name: string, value: string): Promise<void> {
    if (!SYSVAR.test(name)) throw new Error(`invalid system variable name: ${JSON.stringify(name)}`);
    await this.query(`SET GLOBAL ${name} = ?`, [value]);
  }

  async currentTso(): Promise<string> {
    // TIDB_CURRENT_TSO() exists only from v6.4; an explicit transaction's start ts (a fresh TSO from
    // PD) reads the same on every version.
    await this.query('BEGIN');
    let rows: Row[];
    try {
      rows = await this.query('SELECT @@tidb_current_ts AS tso');
    } finally {
      await this.query('ROLLBACK').catch(() => undefined);
    }
    const tso = str(rows[0] ? Object.values(rows[0])[0] : '');
    if (!/^\d+$/.test(tso) || tso === '0') throw new TidbSqlError(`unexpected @@tidb_current_ts ${JSON.stringify(tso)}`, undefined, undefined, false);
    return tso;
  }

  async gcSafePoint(): Promise<string | undefined> {
    const rows = await this.query('SELECT VARIABLE_VALUE FROM mysql.tidb WHERE VARIABLE_NAME = ?', ['tikv_gc_safe_point']);
    return rows[0] ? str(col(rows[0], 'VARIABLE_VALUE')) : undefined;
  }

  async alterUserPassword(user: string, host: string, password: string): Promise<void> {
    await this.query('ALTER USER ?@? IDENTIFIED BY ?', [user, host, password], [password]);
  }

  async ensureUser(user: string, password: string, privileges: string[]): Promise<void> {
    for (const p of privileges) {
      if (!PRIVILEGES.test(p)) throw new Error(`invalid privilege list: ${JSON.stringify(p)}`);
    }
    await this.query("CREATE USER IF NOT EXISTS ?@'%' IDENTIFIED BY ?", [user, password], [password]);
    // The user may already exist from an earlier attempt or a restore: assert the password.
    await this.query("ALTER USER ?@'%' IDENTIFIED BY ?", [user, password], [password]);
    for (const p of privileges) await this.query(`GRANT ${p} ON *.* TO ?@'%'`, [user]);
    await this.query('FLUSH PRIVILEGES');
  }

  async listUsers(): Promise<{ user: string; host: string }[]> {
    const rows = await this.query('SELECT User, Host FROM mysql.user');
    return rows.map((r) => ({ user: str(col(r, 'User')), host: str(col(r, 'Host')) }));
  }

  async showConfig(filter: { type?: string; name?: string } = {}) {
    const where: string[] = [];
    const params: string[] = [];
    if (filter.type !== undefined) {
      where.push('type = ?');
      params.push(filter.type);
    }
    if (filter.name !== undefined) {
      where.push('name = ?');
      params.push(filter.name);
    }
    const rows = await this.query(`SHOW CONFIG${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`, params);
    return rows.map((r) => ({
      type: str(col(r, 'Type')),
      instance: str(col(r, 'Instance')),
      name: str(col(r, 'Name')),
      value: str(col(r, 'Value')),
    }));
  }

  async setConfig(component: 'tikv' | 'pd' | 'tidb' | 'tiflash', name: string, value: string | number | boolean): Promise<void> {
    if (!CONFIG_COMPONENTS.has(component)) throw new Error(`invalid config component: ${JSON.stringify(component)}`);
    if (!CONFIG_NAME.test(name)) throw new Error(`invalid config name: ${JSON.stringify(name)}`);
    await this.query(`SET CONFIG ${component} ${escapeId(name)} = ?`, [value]);
    // A batch change is not atomic: per-instance failures only show up as warnings.
    const warnings = await this.query('SHOW WARNINGS');
    if (warnings.length > 0) {
      const text = warnings.map((w) => str(col(w, 'Message'))).join('; ');
      throw new TidbSqlError(`SET CONFIG ${component} ${name} failed on some instances: ${text}`, undefined, undefined, false);
    }
  }

  async tablesWithoutUniqueKey(): Promise<string[]> {
    // TiCDC replicates a table only with a primary key or a unique index over NOT NULL columns
    // (pingcap/tiflow cdc/model/schema_storage.go IsEligible). STATISTICS lists PRIMARY for
    // clustered and non-clustered keys alike; COLUMNS says which columns may be NULL.
    const tables = (await this.query("SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.tables WHERE TABLE_TYPE = 'BASE TABLE'"))
      .map((r) => ({ db: str(col(r, 'TABLE_SCHEMA')), table: str(col(r, 'TABLE_NAME')), type: str(col(r, 'TABLE_TYPE')) }))
      .filter((t) => isUserTable(t.db, t.type));
    const key = (db: string, table: string) => `${db.toLowerCase()}.${table.toLowerCase()}`;
    const nullable = new Set(
      (await this.query("SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM information_schema.columns WHERE IS_NULLABLE = 'YES'")).map(
        (r) => `${key(str(col(r, 'TABLE_SCHEMA')), str(col(r, 'TABLE_NAME')))}.${str(col(r, 'COLUMN_NAME')).toLowerCase()}`,
      ),
    );
    const indexes = new Map<string, { unique: boolean; primary: boolean; columns: string[] }>();
    for (const r of await this.query('SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.statistics')) {
      const t = key(str(col(r, 'TABLE_SCHEMA')), str(col(r, 'TABLE_NAME')));
      const name = str(col(r, 'INDEX_NAME'));
      const idx = indexes.get(`${t}#${name}`) ?? { unique: String(col(r, 'NON_UNIQUE')) === '0', primary: name.toUpperCase() === 'PRIMARY', columns: [] };
      idx.columns.push(`${t}.${str(col(r, 'COLUMN_NAME')).toLowerCase()}`);
      indexes.set(`${t}#${name}`, idx);
    }
    const eligible = new Set<string>();
    for (const [id, idx] of indexes) {
      if (idx.primary || (idx.unique && idx.columns.every((c) => !nullable.has(c)))) eligible.add(id.slice(0, id.lastIndexOf('#')));
    }
    return tables.filter((t) => !eligible.has(key(t.db, t.table))).map((t) => `${t.db}.${t.table}`).sort();
  }

  async checksumAll(snapshotTs?: string): Promise<TableChecksum[]> {
    if (snapshotTs !== undefined && !/^\d+$/.test(snapshotTs)) throw new Error(`invalid snapshot TSO: ${JSON.stringify(snapshotTs)}`);
    if (snapshotTs !== undefined) await this.query('SET @@tidb_snapshot = ?', [snapshotTs]);
    try {
      const tables = (await this.query('SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.tables'))
        .map((r) => ({ db: str(col(r, 'TABLE_SCHEMA')), table: str(col(r, 'TABLE_NAME')), type: str(col(r, 'TABLE_TYPE')) }))
        .filter((t) => isUserTable(t.db, t.type))
        .sort((a, b) => (a.db === b.db ? a.table.localeCompare(b.table) : a.db.localeCompare(b.db)));
      const out: TableChecksum[] = [];
      for (const t of tables) {
        const rows = await this.query(`ADMIN CHECKSUM TABLE ${escapeId(t.db)}.${escapeId(t.table)}`);
        const r = rows[0];
        if (!r) throw new TidbSqlError(`ADMIN CHECKSUM TABLE returned no row for ${t.db}.${t.table}`, undefined, undefined, false);
        out.push({
          db: t.db,
          table: t.table,
          checksum: str(col(r, 'Checksum_crc64_xor')),
          totalKvs: Number(col(r, 'Total_kvs') ?? 0),
          totalBytes: Number(col(r, 'Total_bytes') ?? 0),
        });
      }
      return out;
    } finally {
      if (snapshotTs !== undefined && !this.fatal) await this.query("SET @@tidb_snapshot = ''").catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    try {
      await this.conn.end();
    } catch {
      this.conn.destroy();
    }
  }
}

export function createTidbSqlClient(): TidbSqlClient {
  return {
    async connect(endpoint, opts = {}) {
      const base = {
        host: endpoint.host,
        port: endpoint.port,
        user: endpoint.user,
        password: endpoint.password,
        connectTimeout: opts.connectTimeoutMs ?? 10_000,
        multipleStatements: false,
        supportBigNumbers: true,
        bigNumberStrings: true,
        dateStrings: true,
      };
      const failed = (e: unknown) => wrapError(e, [endpoint.password], `cannot connect to TiDB ${endpoint.host}:${endpoint.port} as ${endpoint.user}`, true);
      if (endpoint.tls) {
        let ssl: mysql.SslOptions;
        try {
          ssl = { ...(await readTlsFiles(endpoint.tls)), rejectUnauthorized: true };
        } catch (e) {
          throw new TidbSqlError(`cannot read the TLS material of TiDB ${endpoint.host}:${endpoint.port}: ${(e as Error).message}`, undefined, undefined, false);
        }
        try {
          return new MysqlTidbSession(await mysql.createConnection({ ...base, ssl }), endpoint, true);
        } catch (e) {
          // The server offers no TLS (TiDB without security.ssl-cert): plaintext, as ssl-mode PREFERRED does.
          if ((e as { code?: string }).code !== 'HANDSHAKE_NO_SSL_SUPPORT') throw failed(e);
        }
      }
      try {
        return new MysqlTidbSession(await mysql.createConnection(base), endpoint, false);
      } catch (e) {
        throw failed(e);
      }
    },
  };
}
