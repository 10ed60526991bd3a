// The SQL a TiDB instance of the simulator understands, executed against the cluster model.
import type { MysqlSession, ParamValue, SqlColumn, SqlResult, SqlValue } from './mysql-protocol.js';
import { tidbHasCurrentTsoFunction } from './versions.js';
import { Cursor, SqlSyntaxError, tokenize, type Token } from './sql-lexer.js';
import type { Simulator } from './sim.js';
import {
  DEFAULT_GLOBAL_VARS,
  clusterChecksum,
  ensureTable,
  isUp,
  nativePasswordHash,
  pdAvailable,
  tikvAvailable,
  tableChecksum,
  tableKey,
  type ClusterModel,
  type Instance,
  type UserModel,
} from './model.js';
import { formatGcTime, tsoToMs } from './tso.js';
import { formatGoDuration, parseGoDuration } from './duration.js';

const ERR = {
  PARSE: 1064,
  ACCESS_DENIED: 1045,
  UNKNOWN: 1105,
  USER_OP: 1396,
  UNKNOWN_SYSVAR: 1193,
  WRONG_VALUE: 1231,
  NO_TABLE: 1146,
  NO_GRANT_USER: 1410,
  PD_TIMEOUT: 9001,
  REGION_UNAVAILABLE: 9005,
  GC_TOO_EARLY: 9006,
};

const SYSTEM_SCHEMAS = ['mysql', 'INFORMATION_SCHEMA', 'PERFORMANCE_SCHEMA', 'METRICS_SCHEMA', 'sys'];

function err(code: number, message: string, sqlState = 'HY000'): SqlResult {
  return { kind: 'error', code, message, sqlState };
}

function ok(affectedRows = 0): SqlResult {
  return { kind: 'ok', affectedRows };
}

function rows(columns: (string | SqlColumn)[], data: SqlValue[][]): SqlResult {
  return { kind: 'rows', columns: columns.map((c) => (typeof c === 'string' ? { name: c } : c)), rows: data };
}

class StatementError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly sqlState = 'HY000',
  ) {
    super(message);
  }
}

export function tidbVersionText(version: string): string {
  return [
    `Release Version: ${version}`,
    'Edition: Community',
    'Git Commit Hash: 0000000000000000000000000000000000000000',
    'Git Branch: HEAD',
    'UTC Build Time: 2024-01-01 00:00:00',
    'GoVersion: go1.21.6',
    'Race Enabled: false',
    'Check Table Before Drop: false',
    'Store: tikv',
  ].join('\n');
}

export function serverVersionString(version: string): string {
  return `8.0.11-TiDB-${version}`;
}

function hostMatches(pattern: string, host: string): boolean {
  if (pattern === '%' || pattern === host) return true;
  if (pattern === 'localhost' && (host.startsWith('127.') || host === '::1')) return true;
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.') + '$');
  return re.test(host);
}

function likeToRegex(p: string): RegExp {
  return new RegExp('^' + p.replace(/[.+^${}()|[\]\\*?]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.') + '$', 'i');
}

function normalizeBool(v: string): string | undefined {
  const u = v.toUpperCase();
  if (['ON', '1', 'TRUE'].includes(u)) return 'ON';
  if (['OFF', '0', 'FALSE'].includes(u)) return 'OFF';
  return undefined;
}

const BOOL_VARS = new Set(['tidb_gc_enable', 'tidb_enable_clustered_index', 'tidb_enable_auto_analyze', 'tidb_enable_1pc', 'tidb_enable_async_commit']);

/** Validates and normalises a global variable value the way TiDB would (the subset that matters). */
export function normalizeGlobalVar(name: string, value: string): string {
  if (!(name in DEFAULT_GLOBAL_VARS)) throw new StatementError(ERR.UNKNOWN_SYSVAR, `Unknown system variable '${name}'`);
  if (name === 'tidb_gc_life_time' || name === 'tidb_gc_run_interval') {
    const ms = parseGoDuration(value);
    if (ms === undefined) throw new StatementError(ERR.WRONG_VALUE, `Variable '${name}' can't be set to the value of '${value}'`, '42000');
    if (ms < 600_000) throw new StatementError(ERR.WRONG_VALUE, `Variable '${name}' can't be set to the value of '${value}' (minimum is 10m0s)`, '42000');
    if (ms > 8760 * 3_600_000) throw new StatementError(ERR.WRONG_VALUE, `Variable '${name}' can't be set to the value of '${value}' (maximum is 8760h0m0s)`, '42000');
    return formatGoDuration(ms);
  }
  if (BOOL_VARS.has(name)) {
    const b = normalizeBool(value);
    if (!b) throw new StatementError(ERR.WRONG_VALUE, `Variable '${name}' can't be set to the value of '${value}'`, '42000');
    return b;
  }
  return value;
}

function grantsText(u: UserModel): string[] {
  const global = u.privileges.filter((p) => !/ ON /i.test(p));
  const scoped = u.privileges.filter((p) => / ON /i.test(p));
  const out = [`GRANT ${global.length ? global.join(',') : 'USAGE'} ON *.* TO '${u.user}'@'${u.host}'`];
  for (const p of scoped) {
    const [priv, scope] = p.split(/ ON /i);
    out.push(`GRANT ${priv} ON ${scope} TO '${u.user}'@'${u.host}'`);
  }
  return out;
}

/** One connection against one TiDB instance (`inst`) of `clusterName`; every instance works on the same model. */
export class TidbSession implements MysqlSession {
  private user = '';
  private host = '%';
  private snapshot: bigint | undefined;
  /** Start ts of the explicit transaction (BEGIN … COMMIT/ROLLBACK), what @@tidb_current_ts reads. */
  private txnStartTs: bigint | undefined;
  private currentDb: string | undefined;
  private closed = false;

  constructor(
    private readonly sim: Simulator,
    private readonly clusterName: string,
    private readonly inst: Instance,
  ) {}

  private cluster(): ClusterModel {
    const c = this.sim.fleet.get(this.clusterName);
    if (!c || !isUp(c, this.inst)) throw new StatementError(ERR.UNKNOWN, 'TiDB server is shutting down', '08S01');
    // This TiDB runs but PD / TiKV of its cluster were stopped (`tiup cluster stop -R pd|tikv`).
    if (!pdAvailable(c)) throw new StatementError(ERR.PD_TIMEOUT, 'PD server timeout: ');
    if (!tikvAvailable(c)) throw new StatementError(ERR.REGION_UNAVAILABLE, 'Region is unavailable');
    return c;
  }

  authenticate(a: { user: string; clientHost: string; verify: (authString: string) => boolean }): SqlResult | undefined {
    const c = this.sim.fleet.get(this.clusterName);
    const candidates = (c?.users ?? []).filter((u) => u.user === a.user && hostMatches(u.host, a.clientHost));
    const match = candidates.find((u) => a.verify(u.authString));
    if (!match) {
      const usedPw = candidates.some((u) => u.authString) || candidates.length === 0 ? 'YES' : 'NO';
      return err(ERR.ACCESS_DENIED, `Access denied for user '${a.user}'@'${a.clientHost}' (using password: ${usedPw})`, '28000');
    }
    this.user = match.user;
    this.host = match.host;
    return undefined;
  }

  close(): void {
    this.closed = true;
  }

  countParams(sql: string): number {
    try {
      return tokenize(sql).filter((t) => t.type === 'param').length;
    } catch {
      return 0;
    }
  }

  async execute(sql: string, params: ParamValue[] = []): Promise<SqlResult> {
    let toks: Token[];
    try {
      toks = tokenize(sql);
    } catch (e) {
      return err(ERR.PARSE, (e as Error).message, '42000');
    }
    // Bind parameters by replacing "?" tokens with literal tokens.
    let pi = 0;
    toks = toks.map((t) => {
      if (t.type !== 'param') return t;
      const v = params[pi++];
      if (v === null || v === undefined) return { ...t, type: 'word', value: 'NULL' };
      if (typeof v === 'number' || typeof v === 'bigint') return { ...t, type: 'number', value: String(v) };
      return { ...t, type: 'string', value: Buffer.isBuffer(v) ? v.toString('utf8') : v };
    });
    const fault = this.sim.faults.take(faultNames(toks), this.clusterName);
    if (fault) {
      if (fault.mode === 'hang') return { kind: 'hang' };
      if (fault.mode === 'die') return { kind: 'close' };
      return err(ERR.UNKNOWN, fault.message ?? 'injected fault', 'HY000');
    }
    try {
      if (this.closed) return { kind: 'close' };
      return this.dispatch(new Cursor(toks, sql));
    } catch (e) {
      if (e instanceof StatementError) return err(e.code, e.message, e.sqlState);
      if (e instanceof SqlSyntaxError) return err(ERR.PARSE, e.message, '42000');
      return err(ERR.UNKNOWN, (e as Error).message);
    }
  }

  private dispatch(c: Cursor): SqlResult {
    if (c.done) return err(ERR.PARSE, 'Query was empty', '42000');
    if (c.acceptKw('SELECT')) return this.select(c);
    if (c.acceptKw('SHOW')) return this.show(c);
    if (c.acceptKw('SET')) return this.set(c);
    if (c.acceptKw('ALTER', 'USER')) return this.alterUser(c);
    if (c.acceptKw('CREATE', 'USER')) return this.createUser(c);
    if (c.acceptKw('DROP', 'USER')) return this.dropUser(c);
    if (c.acceptKw('GRANT')) return this.grant(c);
    if (c.acceptKw('REVOKE')) return this.revoke(c);
    if (c.acceptKw('FLUSH')) return ok();
    if (c.acceptKw('ADMIN', 'CHECKSUM', 'TABLE')) return this.adminChecksum(c);
    if (c.acceptKw('INSERT') || c.acceptKw('REPLACE')) return this.insert(c);
    if (c.acceptKw('UPDATE')) return this.update(c);
    if (c.acceptKw('CREATE', 'DATABASE') || c.acceptKw('CREATE', 'SCHEMA')) return ok(1);
    if (c.acceptKw('CREATE', 'TABLE')) return this.createTable(c);
    if (c.isKw('BEGIN') || c.isKws('START', 'TRANSACTION')) {
      // An explicit transaction takes its start ts from PD at once (pingcap/tidb executor/simple.go executeBegin).
      this.cluster();
      this.txnStartTs = this.sim.fleet.tso.next();
      return ok();
    }
    if (c.isKw('COMMIT') || c.isKw('ROLLBACK')) {
      this.cluster();
      this.txnStartTs = undefined;
      return ok();
    }
    if (c.acceptKw('USE')) {
      this.cluster();
      this.currentDb = c.next().value;
      return ok();
    }
    if (c.isKw('KILL') || c.isKw('ANALYZE')) {
      this.cluster();
      return ok();
    }
    return c.fail();
  }

  // ---------- SELECT ----------

  private select(c: Cursor): SqlResult {
    const cl = this.cluster();
    // Parse the select list as raw token ranges.
    const items: { toks: Token[]; text: string; alias?: string }[] = [];
    let depth = 0;
    let cur: Token[] = [];
    const flush = () => {
      if (!cur.length) c.fail();
      let alias: string | undefined;
      const n = cur.length;
      if (n >= 3 && cur[n - 2].type === 'word' && cur[n - 2].value.toUpperCase() === 'AS') {
        alias = cur[n - 1].value;
        cur = cur.slice(0, n - 2);
      }
      items.push({ toks: cur, text: c.sql.slice(cur[0].start, cur[cur.length - 1].end), alias });
      cur = [];
    };
    while (!c.done) {
      const t = c.peek()!;
      if (depth === 0 && t.type === 'word' && ['FROM', 'WHERE', 'LIMIT', 'ORDER'].includes(t.value.toUpperCase())) break;
      c.pos++;
      if (t.type === 'punct' && t.value === '(') depth++;
      if (t.type === 'punct' && t.value === ')') depth--;
      if (depth === 0 && t.type === 'punct' && t.value === ',') {
        flush();
        continue;
      }
      cur.push(t);
    }
    flush();
    if (c.acceptKw('FROM')) return this.selectFrom(c, cl, items);
    const cols: SqlColumn[] = [];
    const row: SqlValue[] = [];
    for (const it of items) {
      const [type, value] = this.evalExpr(cl, it.toks);
      cols.push({ name: it.alias ?? it.text, type });
      row.push(value);
    }
    return { kind: 'rows', columns: cols, rows: [row] };
  }

  private evalExpr(cl: ClusterModel, toks: Token[]): [SqlColumn['type'], SqlValue] {
    const words = toks.map((t) => (t.type === 'word' ? t.value.toUpperCase() : t.value)).join(' ');
    if (toks.length === 1) {
      const t = toks[0];
      if (t.type === 'number') return [/\./.test(t.value) ? 'string' : 'int', /\./.test(t.value) ? t.value : Number(t.value)];
      if (t.type === 'string') return ['string', t.value];
      if (t.type === 'sysvar') return ['string', this.readSysVar(cl, t.value)];
      if (t.type === 'word' && t.value.toUpperCase() === 'NULL') return ['string', null];
    }
    switch (words) {
      case 'TIDB_VERSION ( )':
        return ['string', tidbVersionText(cl.version)];
      case 'VERSION ( )':
        return ['string', serverVersionString(cl.version)];
      case 'TIDB_CURRENT_TSO ( )':
        return ['int', this.currentTsoFunction(cl)];
      case 'CAST ( TIDB_CURRENT_TSO ( ) AS CHAR )':
        return ['string', this.currentTsoFunction(cl).toString()];
      case 'DATABASE ( )':
        return ['string', null];
      case 'CONNECTION_ID ( )':
        return ['int', 1];
      case 'CURRENT_USER ( )':
      case 'CURRENT_USER':
        return ['string', `${this.user}@${this.host}`];
      case 'USER ( )':
        return ['string', `${this.user}@127.0.0.1`];
      case 'NOW ( )':
        return ['string', new Date().toISOString().replace('T', ' ').slice(0, 19)];
    }
    throw new StatementError(ERR.PARSE, `You have an error in your SQL syntax; unsupported expression near "${toks.map((t) => t.value).join(' ')}"`, '42000');
  }

  /**
   * TIDB_CURRENT_TSO() exists from v6.4.0 (pingcap/tidb expression/builtin_time.go
   * builtinTiDBCurrentTsoSig, PR #37037); before, the name is an unknown function
   * (expression/scalar_function.go newFunctionImpl): 1305 qualified by the current database, or 1046.
   */
  private currentTsoFunction(cl: ClusterModel): bigint {
    if (!tidbHasCurrentTsoFunction(cl.version)) {
      if (!this.currentDb) throw new StatementError(1046, 'No database selected', '3D000');
      throw new StatementError(1305, `FUNCTION ${this.currentDb}.tidb_current_tso does not exist`, '42000');
    }
    // An autocommit statement runs in its own transaction: its start ts.
    return this.txnStartTs ?? this.sim.fleet.tso.next();
  }

  private readSysVar(cl: ClusterModel, name: string): string {
    let n = name;
    let scope: 'global' | 'session' = 'session';
    if (n.startsWith('global.')) {
      scope = 'global';
      n = n.slice(7);
    } else if (n.startsWith('session.')) n = n.slice(8);
    else if (n.startsWith('local.')) n = n.slice(6);
    if (n === 'tidb_snapshot' && scope === 'session') return this.snapshot?.toString() ?? '';
    if (n === 'version') return serverVersionString(cl.version);
    // Session-only, 0 outside an explicit transaction (pingcap/tidb sessionctx/variable/sysvar.go TiDBCurrentTS).
    if (n === 'tidb_current_ts') {
      if (scope === 'global') throw new StatementError(1238, "Variable 'tidb_current_ts' is a SESSION variable");
      return (this.txnStartTs ?? 0n).toString();
    }
    const v = cl.globalVars[n];
    if (v === undefined) throw new StatementError(ERR.UNKNOWN_SYSVAR, `Unknown system variable '${n}'`);
    return v;
  }

  /** Virtual tables, as rows keyed by upper-case column names (first entry defines the column order). */
  private virtualTable(cl: ClusterModel, db: string | undefined, name: string): { columns: string[]; rows: Record<string, SqlValue>[] } {
    const full = `${(db ?? '').toUpperCase()}.${name.toUpperCase()}`;
    switch (full) {
      case 'MYSQL.GLOBAL_VARIABLES':
      case 'INFORMATION_SCHEMA.GLOBAL_VARIABLES':
      case 'PERFORMANCE_SCHEMA.GLOBAL_VARIABLES':
        return {
          columns: ['VARIABLE_NAME', 'VARIABLE_VALUE'],
          rows: Object.entries(cl.globalVars)
            .filter(([k]) => k !== 'tidb_snapshot')
            .map(([k, v]) => ({ VARIABLE_NAME: k, VARIABLE_VALUE: v })),
        };
      case 'MYSQL.TIDB':
        return {
          columns: ['VARIABLE_NAME', 'VARIABLE_VALUE', 'COMMENT'],
          rows: [
            { VARIABLE_NAME: 'bootstrapped', VARIABLE_VALUE: 'True', COMMENT: 'Bootstrap flag. Do not delete.' },
            { VARIABLE_NAME: 'tidb_server_version', VARIABLE_VALUE: '180', COMMENT: 'Bootstrap version. Do not delete.' },
            { VARIABLE_NAME: 'tikv_gc_leader_desc', VARIABLE_VALUE: 'host:sim', COMMENT: 'Host name and pid of current GC leader' },
            { VARIABLE_NAME: 'tikv_gc_life_time', VARIABLE_VALUE: cl.globalVars.tidb_gc_life_time, COMMENT: 'All versions within life time will not be collected by GC, at least 10m, in Go format.' },
            { VARIABLE_NAME: 'tikv_gc_enable', VARIABLE_VALUE: cl.globalVars.tidb_gc_enable === 'ON' ? 'true' : 'false', COMMENT: 'Current GC enable status' },
            { VARIABLE_NAME: 'tikv_gc_safe_point', VARIABLE_VALUE: formatGcTime(tsoToMs(cl.gcSafePoint)), COMMENT: 'All versions after safe point can be accessed. (DO NOT EDIT)' },
          ],
        };
      case 'MYSQL.USER':
        return {
          columns: ['Host', 'User', 'authentication_string', 'plugin'].map((s) => s.toUpperCase()),
          rows: cl.users.map((u) => ({
            HOST: u.host,
            USER: u.user,
            AUTHENTICATION_STRING: u.authString ? '*' + u.authString.toUpperCase() : '',
            PLUGIN: 'mysql_native_password',
          })),
        };
      case 'INFORMATION_SCHEMA.TABLES': {
        const sys = [
          ['mysql', 'user'],
          ['mysql', 'tidb'],
          ['mysql', 'global_variables'],
          ['INFORMATION_SCHEMA', 'TABLES'],
          ['PERFORMANCE_SCHEMA', 'global_status'],
          ['METRICS_SCHEMA', 'up'],
        ];
        const list: Record<string, SqlValue>[] = sys.map(([d, t]) => ({ TABLE_SCHEMA: d, TABLE_NAME: t, TABLE_TYPE: 'SYSTEM VIEW', TABLE_ROWS: 0, DATA_LENGTH: 0 }));
        for (const t of cl.tables.values()) {
          const cs = tableChecksum(t);
          list.push({ TABLE_SCHEMA: t.db, TABLE_NAME: t.table, TABLE_TYPE: 'BASE TABLE', TABLE_ROWS: cs.totalKvs, DATA_LENGTH: cs.totalBytes });
        }
        return { columns: ['TABLE_SCHEMA', 'TABLE_NAME', 'TABLE_TYPE', 'TABLE_ROWS', 'DATA_LENGTH'], rows: list };
      }
      // Columns are not modelled: a table with a key has PRIMARY(id), id NOT NULL; one without has a nullable id.
      case 'INFORMATION_SCHEMA.STATISTICS':
        return {
          columns: ['TABLE_SCHEMA', 'TABLE_NAME', 'NON_UNIQUE', 'INDEX_NAME', 'SEQ_IN_INDEX', 'COLUMN_NAME'],
          rows: [...cl.tables.values()].filter((t) => t.uniqueKey).map((t) => ({ TABLE_SCHEMA: t.db, TABLE_NAME: t.table, NON_UNIQUE: 0, INDEX_NAME: 'PRIMARY', SEQ_IN_INDEX: 1, COLUMN_NAME: 'id' })),
        };
      case 'INFORMATION_SCHEMA.COLUMNS':
        return {
          columns: ['TABLE_SCHEMA', 'TABLE_NAME', 'COLUMN_NAME', 'ORDINAL_POSITION', 'IS_NULLABLE', 'DATA_TYPE'],
          rows: [...cl.tables.values()].map((t) => ({ TABLE_SCHEMA: t.db, TABLE_NAME: t.table, COLUMN_NAME: 'id', ORDINAL_POSITION: 1, IS_NULLABLE: t.uniqueKey ? 'NO' : 'YES', DATA_TYPE: 'bigint' })),
        };
      case 'INFORMATION_SCHEMA.SCHEMATA': {
        const dbs = new Set([...SYSTEM_SCHEMAS.filter((s) => s !== 'sys'), ...[...cl.tables.values()].map((t) => t.db)]);
        return { columns: ['SCHEMA_NAME'], rows: [...dbs].map((d) => ({ SCHEMA_NAME: d })) };
      }
      case 'INFORMATION_SCHEMA.CLUSTER_INFO':
        return {
          columns: ['TYPE', 'INSTANCE', 'STATUS_ADDRESS', 'VERSION'],
          rows: cl.instances
            .filter((i) => ['pd', 'tikv', 'tidb', 'tiflash'].includes(i.role))
            .map((i) => ({ TYPE: i.role, INSTANCE: `${i.host}:${i.port}`, STATUS_ADDRESS: `${i.host}:${i.statusPort ?? i.port}`, VERSION: cl.version.replace(/^v/, '') })),
        };
    }
    throw new StatementError(ERR.NO_TABLE, `Table '${db ?? 'test'}.${name}' doesn't exist`, '42S02');
  }

  private selectFrom(c: Cursor, cl: ClusterModel, items: { toks: Token[]; text: string; alias?: string }[]): SqlResult {
    const { db, name } = c.qualifiedName();
    const vt = this.virtualTable(cl, db, name);
    const pred = this.where(c);
    let limit: number | undefined;
    if (c.acceptKw('ORDER', 'BY')) {
      while (!c.done && !c.isKw('LIMIT')) c.next();
    }
    if (c.acceptKw('LIMIT')) limit = Number(c.literal());
    if (!c.done) c.fail();
    let selected = vt.rows.filter(pred);
    if (limit !== undefined) selected = selected.slice(0, limit);
    const outCols: { name: string; key: string }[] = [];
    for (const it of items) {
      if (it.toks.length === 1 && it.toks[0].type === 'punct' && it.toks[0].value === '*') {
        for (const k of vt.columns) outCols.push({ name: k, key: k });
        continue;
      }
      const last = it.toks[it.toks.length - 1];
      if (!(last.type === 'word' || last.type === 'ident')) c.fail();
      const key = last.value.toUpperCase();
      if (!vt.columns.includes(key)) throw new StatementError(1054, `Unknown column '${last.value}' in 'field list'`, '42S22');
      outCols.push({ name: it.alias ?? last.value, key });
    }
    return rows(
      outCols.map((o) => ({ name: o.name, type: typeof selected[0]?.[o.key] === 'number' ? 'int' : 'string' })),
      selected.map((r) => outCols.map((o) => r[o.key] ?? null)),
    );
  }

  /** WHERE a = v [AND b IN (..)] [AND c NOT IN (..)] [AND d LIKE '..'] (AND only). */
  private where(c: Cursor): (r: Record<string, SqlValue>) => boolean {
    if (!c.acceptKw('WHERE')) return () => true;
    const preds: ((r: Record<string, SqlValue>) => boolean)[] = [];
    do {
      const paren = c.acceptPunct('(');
      const col = c.name().toUpperCase();
      const get = (r: Record<string, SqlValue>) => {
        const key = Object.keys(r).find((k) => k.toUpperCase() === col);
        if (key === undefined) throw new StatementError(1054, `Unknown column '${col}' in 'where clause'`, '42S22');
        return String(r[key] ?? '');
      };
      if (c.acceptPunct('=')) {
        const v = c.literal();
        preds.push((r) => get(r).toLowerCase() === v.toLowerCase());
      } else if (c.acceptPunct('!=') || c.acceptPunct('<>')) {
        const v = c.literal();
        preds.push((r) => get(r).toLowerCase() !== v.toLowerCase());
      } else if (c.isKw('IN') || c.isKws('NOT', 'IN')) {
        const neg = c.acceptKw('NOT');
        c.expectKw('IN');
        c.expectPunct('(');
        const vals: string[] = [];
        do vals.push(c.literal().toLowerCase());
        while (c.acceptPunct(','));
        c.expectPunct(')');
        preds.push((r) => vals.includes(get(r).toLowerCase()) !== neg);
      } else if (c.isKw('LIKE') || c.isKws('NOT', 'LIKE')) {
        const neg = c.acceptKw('NOT');
        c.expectKw('LIKE');
        const re = likeToRegex(c.literal());
        preds.push((r) => re.test(get(r)) !== neg);
      } else c.fail();
      if (paren) c.expectPunct(')');
    } while (c.acceptKw('AND'));
    return (r) => preds.every((p) => p(r));
  }

  // ---------- SHOW ----------

  private show(c: Cursor): SqlResult {
    const cl = this.cluster();
    if (c.acceptKw('GLOBAL', 'VARIABLES') || c.acceptKw('SESSION', 'VARIABLES') || c.acceptKw('VARIABLES')) {
      const all = Object.entries(cl.globalVars).map(([k, v]) => ({ Variable_name: k, Value: k === 'tidb_snapshot' ? (this.snapshot?.toString() ?? '') : v }));
      let filter: (r: Record<string, SqlValue>) => boolean = () => true;
      if (c.acceptKw('LIKE')) {
        const re = likeToRegex(c.literal());
        filter = (r) => re.test(String(r.Variable_name));
      } else if (c.isKw('WHERE')) filter = this.where(c);
      if (!c.done) c.fail();
      const sel = all.filter(filter);
      return rows(['Variable_name', 'Value'], sel.map((r) => [r.Variable_name, r.Value]));
    }
    if (c.acceptKw('CONFIG')) {
      const all: Record<string, SqlValue>[] = [];
      for (const inst of cl.instances) {
        if (!isUp(cl, inst)) continue; // TiDB cannot fetch the config of a stopped instance
        const comp = inst.role;
        const conf = cl.config[comp];
        if (!conf || !['tidb', 'tikv', 'pd', 'tiflash'].includes(comp)) continue;
        const statusPort = inst.role === 'tidb' || inst.role === 'tikv' ? (inst.statusPort ?? inst.port) : inst.port;
        for (const [k, v] of Object.entries(conf)) all.push({ Type: comp, Instance: `${inst.host}:${statusPort}`, Name: k, Value: String(v) });
      }
      const pred = this.where(c);
      if (!c.done) c.fail();
      return rows(['Type', 'Instance', 'Name', 'Value'], all.filter(pred).map((r) => [r.Type, r.Instance, r.Name, r.Value]));
    }
    if (c.acceptKw('WARNINGS') || c.acceptKw('ERRORS')) return rows(['Level', 'Code', 'Message'], []);
    if (c.acceptKw('GRANTS')) {
      let who = { user: this.user, host: this.host };
      if (c.acceptKw('FOR')) who = c.userSpec();
      const u = cl.users.find((x) => x.user === who.user && x.host === who.host);
      if (!u) throw new StatementError(1141, `There is no such grant defined for user '${who.user}' on host '${who.host}'`, '42000');
      return rows([`Grants for ${u.user}@${u.host}`], grantsText(u).map((g) => [g]));
    }
    if (c.acceptKw('DATABASES')) {
      const dbs = new Set([...SYSTEM_SCHEMAS.filter((s) => s !== 'sys'), ...[...cl.tables.values()].map((t) => t.db)]);
      return rows(['Database'], [...dbs].map((d) => [d]));
    }
    if (c.acceptKw('TABLES')) {
      let db = 'test';
      if (c.acceptKw('FROM') || c.acceptKw('IN')) db = c.name();
      return rows([`Tables_in_${db}`], [...cl.tables.values()].filter((t) => t.db === db).map((t) => [t.table]));
    }
    return c.fail();
  }

  // ---------- SET ----------

  private set(c: Cursor): SqlResult {
    const cl = this.cluster();
    if (c.acceptKw('CONFIG')) return this.setConfig(c, cl);
    if (c.acceptKw('NAMES') || c.acceptKw('CHARACTER') || c.acceptKw('TRANSACTION')) return ok();
    if (c.acceptKw('PASSWORD')) {
      let who = { user: this.user, host: this.host };
      if (c.acceptKw('FOR')) who = c.userSpec();
      c.expectPunct('=');
      const pw = c.literal();
      const u = cl.users.find((x) => x.user === who.user && x.host === who.host);
      if (!u) throw new StatementError(ERR.USER_OP, `Operation SET PASSWORD failed for '${who.user}'@'${who.host}'`);
      u.authString = nativePasswordHash(pw);
      return ok();
    }
    const assignments: { scope: 'global' | 'session'; name: string; value: string }[] = [];
    do {
      let scope: 'global' | 'session' = 'session';
      let name: string;
      if (c.acceptKw('GLOBAL')) {
        scope = 'global';
        name = c.name();
      } else if (c.acceptKw('SESSION') || c.acceptKw('LOCAL')) name = c.name();
      else {
        const t = c.next();
        if (t.type === 'sysvar') {
          name = t.value;
          if (name.startsWith('global.')) {
            scope = 'global';
            name = name.slice(7);
          } else name = name.replace(/^(session|local)\./, '');
        } else if (t.type === 'uservar') {
          if (!c.acceptPunct('=')) c.expectPunct(':=');
          c.literal();
          continue;
        } else if (t.type === 'word') name = t.value;
        else return c.fail();
      }
      if (!c.acceptPunct('=')) c.expectPunct(':=');
      const value = c.isKw('DEFAULT') ? (c.next(), DEFAULT_GLOBAL_VARS[name.toLowerCase()] ?? '') : c.literal();
      assignments.push({ scope, name: name.toLowerCase(), value });
    } while (c.acceptPunct(','));
    if (!c.done) c.fail();
    for (const a of assignments) {
      if (a.name === 'tidb_snapshot') {
        if (a.scope === 'global') throw new StatementError(1228, "Variable 'tidb_snapshot' is a SESSION variable and can't be used with SET GLOBAL");
        this.setSnapshot(cl, a.value);
        continue;
      }
      if (a.scope === 'global') cl.globalVars[a.name] = normalizeGlobalVar(a.name, a.value);
      // Session-scoped assignments of other variables are accepted and ignored.
    }
    return ok();
  }

  private setSnapshot(cl: ClusterModel, value: string): void {
    if (value === '') {
      this.snapshot = undefined;
      return;
    }
    if (!/^\d+$/.test(value)) throw new StatementError(ERR.WRONG_VALUE, `Variable 'tidb_snapshot' can't be set to the value of '${value}'`, '42000');
    const ts = BigInt(value);
    if (ts < cl.gcSafePoint) {
      throw new StatementError(
        ERR.GC_TOO_EARLY,
        `[tikv:9006]GC life time is shorter than transaction duration, transaction starts at ${formatGcTime(tsoToMs(ts))}, GC safe point is ${formatGcTime(tsoToMs(cl.gcSafePoint))}`,
      );
    }
    this.snapshot = ts;
  }

  private setConfig(c: Cursor, cl: ClusterModel): SqlResult {
    const target = c.name();
    let comp = target.toLowerCase();
    if (!['tikv', 'pd', 'tidb', 'tiflash'].includes(comp)) {
      // instance address form: SET CONFIG "127.0.0.1:20180" ...
      const inst = cl.instances.find((i) => `${i.host}:${i.statusPort ?? i.port}` === target || `${i.host}:${i.port}` === target);
      if (!inst) throw new StatementError(ERR.UNKNOWN, `unknown type or instance '${target}'`);
      comp = inst.role;
    }
    const name = c.name();
    c.expectPunct('=');
    const raw = c.literal();
    if (!c.done) c.fail();
    if (comp === 'tidb' && !(name in cl.config.tidb)) throw new StatementError(ERR.UNKNOWN, `Unknown config item '${name}' for TiDB; TiDB only supports a few online-changeable items`);
    cl.config[comp] ??= {};
    cl.config[comp][name] = configValue(raw);
    return ok();
  }

  // ---------- accounts ----------

  private findUser(cl: ClusterModel, u: { user: string; host: string }): UserModel | undefined {
    return cl.users.find((x) => x.user === u.user && x.host === u.host);
  }

  private identified(c: Cursor): string | undefined {
    if (!c.acceptKw('IDENTIFIED')) return undefined;
    if (c.acceptKw('WITH')) c.name();
    c.expectKw('BY');
    return c.literal();
  }

  private alterUser(c: Cursor): SqlResult {
    const cl = this.cluster();
    const ifExists = c.acceptKw('IF', 'EXISTS');
    const failed: string[] = [];
    do {
      const who = c.userSpec();
      const pw = this.identified(c);
      const u = this.findUser(cl, who);
      if (!u) {
        if (!ifExists) failed.push(`'${who.user}'@'${who.host}'`);
        continue;
      }
      if (pw !== undefined) u.authString = nativePasswordHash(pw);
    } while (c.acceptPunct(','));
    if (failed.length) throw new StatementError(ERR.USER_OP, `Operation ALTER USER failed for ${failed.join(',')}`);
    return ok();
  }

  private createUser(c: Cursor): SqlResult {
    const cl = this.cluster();
    const ifNotExists = c.acceptKw('IF', 'NOT', 'EXISTS');
    const failed: string[] = [];
    const toCreate: UserModel[] = [];
    do {
      const who = c.userSpec();
      const pw = this.identified(c) ?? '';
      if (this.findUser(cl, who)) {
        if (!ifNotExists) failed.push(`'${who.user}'@'${who.host}'`);
        continue;
      }
      toCreate.push({ user: who.user, host: who.host, authString: nativePasswordHash(pw), privileges: [] });
    } while (c.acceptPunct(','));
    if (failed.length) throw new StatementError(ERR.USER_OP, `Operation CREATE USER failed for ${failed.join(',')}`);
    cl.users.push(...toCreate);
    return ok();
  }

  private dropUser(c: Cursor): SqlResult {
    const cl = this.cluster();
    const ifExists = c.acceptKw('IF', 'EXISTS');
    do {
      const who = c.userSpec();
      const u = this.findUser(cl, who);
      if (!u && !ifExists) throw new StatementError(ERR.USER_OP, `Operation DROP USER failed for '${who.user}'@'${who.host}'`);
      cl.users = cl.users.filter((x) => x !== u);
    } while (c.acceptPunct(','));
    return ok();
  }

  private privList(c: Cursor): string[] {
    const privs: string[] = [];
    do {
      const words: string[] = [];
      while (!c.done && !c.isPunct(',') && !c.isKw('ON')) {
        const t = c.next();
        if (t.type === 'punct' && t.value === '(') {
          // column list: skip
          while (!c.done && !c.acceptPunct(')')) c.next();
          continue;
        }
        words.push(t.value.toUpperCase());
      }
      let p = words.join(' ');
      if (p === 'ALL') p = 'ALL PRIVILEGES';
      if (p) privs.push(p);
    } while (c.acceptPunct(','));
    return privs;
  }

  private scope(c: Cursor): string {
    c.expectKw('ON');
    const parts: string[] = [];
    while (!c.done && !c.isKw('TO') && !c.isKw('FROM')) parts.push(c.next().value);
    return parts.join('');
  }

  private grant(c: Cursor): SqlResult {
    const cl = this.cluster();
    const privs = this.privList(c);
    const scope = this.scope(c);
    c.expectKw('TO');
    const targets: UserModel[] = [];
    do {
      const who = c.userSpec();
      const u = this.findUser(cl, who);
      if (!u) throw new StatementError(ERR.NO_GRANT_USER, `You are not allowed to create a user with GRANT`, '42000');
      this.identified(c);
      targets.push(u);
    } while (c.acceptPunct(','));
    c.acceptKw('WITH', 'GRANT', 'OPTION');
    for (const u of targets) {
      for (const p of privs) {
        const entry = scope === '*.*' ? p : `${p} ON ${scope}`;
        if (!u.privileges.includes(entry)) u.privileges.push(entry);
      }
    }
    return ok();
  }

  private revoke(c: Cursor): SqlResult {
    const cl = this.cluster();
    const privs = this.privList(c);
    const scope = this.scope(c);
    c.expectKw('FROM');
    do {
      const who = c.userSpec();
      const u = this.findUser(cl, who);
      if (!u) throw new StatementError(1141, `There is no such grant defined for user '${who.user}' on host '${who.host}'`, '42000');
      const drop = new Set(privs.map((p) => (scope === '*.*' ? p : `${p} ON ${scope}`)));
      u.privileges = privs.includes('ALL PRIVILEGES') && scope === '*.*' ? [] : u.privileges.filter((p) => !drop.has(p));
    } while (c.acceptPunct(','));
    return ok();
  }

  // ---------- data ----------

  private adminChecksum(c: Cursor): SqlResult {
    const cl = this.cluster();
    const out: SqlValue[][] = [];
    do {
      const q = c.qualifiedName();
      const db = q.db ?? 'test';
      const t = cl.tables.get(tableKey(db, q.name));
      if (!t) throw new StatementError(ERR.NO_TABLE, `Table '${db}.${q.name}' doesn't exist`, '42S02');
      if (this.snapshot !== undefined && this.snapshot < cl.gcSafePoint) {
        throw new StatementError(ERR.GC_TOO_EARLY, `[tikv:9006]GC life time is shorter than transaction duration, transaction starts at ${formatGcTime(tsoToMs(this.snapshot))}, GC safe point is ${formatGcTime(tsoToMs(cl.gcSafePoint))}`);
      }
      const cs = tableChecksum(t, this.snapshot);
      out.push([cs.db, cs.table, cs.checksum, cs.totalKvs, cs.totalBytes]);
    } while (c.acceptPunct(','));
    if (!c.done) c.fail();
    return rows(['Db_name', 'Table_name', { name: 'Checksum_crc64_xor', type: 'uint' }, { name: 'Total_kvs', type: 'uint' }, { name: 'Total_bytes', type: 'uint' }], out);
  }

  private insert(c: Cursor): SqlResult {
    const cl = this.cluster();
    if (this.snapshot !== undefined) throw new StatementError(ERR.UNKNOWN, "can not execute write statement when 'tidb_snapshot' is set");
    c.acceptKw('IGNORE');
    c.acceptKw('INTO');
    const q = c.qualifiedName();
    const db = q.db ?? 'test';
    if (SYSTEM_SCHEMAS.some((s) => s.toLowerCase() === db.toLowerCase())) throw new StatementError(ERR.UNKNOWN, `writing to system table ${db}.${q.name} is not supported by the simulator`);
    const t = cl.tables.get(tableKey(db, q.name));
    if (!t) throw new StatementError(ERR.NO_TABLE, `Table '${db}.${q.name}' doesn't exist`, '42S02');
    // One "(...)" tuple after VALUES = one row.
    let tuples = 0;
    let depth = 0;
    let afterValues = false;
    while (!c.done) {
      const tk = c.next();
      if (tk.type === 'word' && /^VALUES?$/i.test(tk.value)) afterValues = true;
      if (tk.type === 'punct' && tk.value === '(') {
        if (depth === 0 && afterValues) tuples++;
        depth++;
      }
      if (tk.type === 'punct' && tk.value === ')') depth--;
    }
    const n = Math.max(1, tuples);
    this.sim.fleet.appendEvent(cl, db, q.name, n, c.sql.length);
    return ok(n);
  }

  private update(c: Cursor): SqlResult {
    const cl = this.cluster();
    const q = c.qualifiedName();
    if ((q.db ?? '').toLowerCase() === 'mysql' && q.name.toLowerCase() === 'tidb') {
      // Pre-5.0 way of setting the GC life time.
      c.expectKw('SET');
      const col = c.name();
      c.expectPunct('=');
      const value = c.literal();
      c.expectKw('WHERE');
      const col2 = c.name();
      c.expectPunct('=');
      const key = c.literal();
      if (col.toUpperCase() !== 'VARIABLE_VALUE' || col2.toUpperCase() !== 'VARIABLE_NAME') c.fail();
      if (key === 'tikv_gc_life_time') cl.globalVars.tidb_gc_life_time = normalizeGlobalVar('tidb_gc_life_time', value);
      else if (key === 'tikv_gc_enable') cl.globalVars.tidb_gc_enable = normalizeGlobalVar('tidb_gc_enable', value);
      else return ok(0);
      return ok(1);
    }
    const db = q.db ?? 'test';
    const t = cl.tables.get(tableKey(db, q.name));
    if (!t) throw new StatementError(ERR.NO_TABLE, `Table '${db}.${q.name}' doesn't exist`, '42S02');
    this.sim.fleet.appendEvent(cl, db, q.name, 0, 0);
    return ok(1);
  }

  private createTable(c: Cursor): SqlResult {
    const cl = this.cluster();
    const ifNotExists = c.acceptKw('IF', 'NOT', 'EXISTS');
    const q = c.qualifiedName();
    const db = q.db ?? 'test';
    if (cl.tables.has(tableKey(db, q.name))) {
      if (ifNotExists) return ok();
      throw new StatementError(1050, `Table '${db}.${q.name}' already exists`, '42S01');
    }
    // Column definitions are not modelled, only whether TiCDC could replicate the table: a PRIMARY KEY
    // (a UNIQUE key counts only over NOT NULL columns; here only when the statement says NOT NULL at all).
    const words = c.restTokens().map((t) => (t.type === 'word' ? t.value.toUpperCase() : t.value));
    const has = (a: string, b: string) => words.some((w, i) => w === a && words[i + 1] === b);
    ensureTable(cl, db, q.name).uniqueKey = has('PRIMARY', 'KEY') || (words.includes('UNIQUE') && has('NOT', 'NULL'));
    return ok();
  }
}

export function configValue(raw: string): string | number | boolean {
  if (/^(true|false)$/i.test(raw)) return raw.toLowerCase() === 'true';
  if (raw !== '' && !Number.isNaN(Number(raw))) return Number(raw);
  return raw;
}

/** Fault op names for a statement: "sql.<kw1> <kw2>" then "sql.<kw1>" (e.g. sql.alter user, sql.set global). */
function faultNames(toks: Token[]): string[] {
  const w = toks.slice(0, 2).map((t) => (t.type === 'sysvar' && t.value.startsWith('global.') ? 'global' : t.value.toLowerCase()));
  const names: string[] = [];
  if (w.length === 2) names.push(`sql.${w[0]} ${w[1]}`);
  if (w.length >= 1) names.push(`sql.${w[0]}`);
  return names;
}

export { clusterChecksum };
