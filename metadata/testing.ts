// Test support (for any test that needs a metadata store): a migrated store on a fresh temp SQLite
// file, or — when TIEM_TEST_POSTGRES_URL names a PostgreSQL server — on a fresh database there,
// dropped again by cleanup(). The whole suite runs on either backend.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import { isPostgres } from './rows.js';
import { createSqliteStore } from './sqlite-store.js';
import { createPostgresStore } from './postgres-store.js';
import type { NewCluster } from './types.js';
import type { ClusterInstance } from '../domain/types.js';

export interface TempStore {
  store: ReturnType<typeof createSqliteStore>;
  /** The store's URL (a SQLite file path, or postgres://… of its own database). */
  url: string;
  /** The SQLite file; undefined on PostgreSQL. */
  file?: string;
  key: Buffer;
  /** Another store on the same DB (another process's view), with `key` or the store's own key. */
  reopen(key?: Buffer): ReturnType<typeof createSqliteStore>;
  cleanup(): Promise<void>;
}

/** The PostgreSQL server the tests use, if any (scripts/setup-postgres.mjs prints it). */
export const testPostgresUrl = (): string | undefined => process.env.TIEM_TEST_POSTGRES_URL || undefined;

/** Creates an empty database on the test server; returns its URL and how to drop it. */
export async function createTestDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `tiem_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export async function openTempStore(key: Buffer = randomBytes(32)): Promise<TempStore> {
  const server = testPostgresUrl();
  if (server) {
    const database = await createTestDatabase(server);
    const open = (k: Buffer = key) => createPostgresStore({ url: database.url, secretKey: k });
    const store = open();
    await store.migrate();
    return {
      store,
      url: database.url,
      key,
      reopen: open,
      async cleanup() {
        await store.close().catch(() => undefined);
        await database.drop();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'tiem-meta-'));
  const file = join(dir, 'meta.db');
  const open = (k: Buffer = key) => createSqliteStore({ filename: file, secretKey: k });
  const store = open();
  await store.migrate();
  return {
    store,
    url: file,
    file,
    key,
    reopen: open,
    async cleanup() {
      await store.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every row of every table of a PostgreSQL store, as JSON text (what a scan for plaintext secrets reads). */
export async function postgresRowsText(db: Kysely<Database>): Promise<string> {
  const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public'`.execute(db);
  const rows: string[] = [];
  for (const { table_name } of tables.rows) {
    const r = await sql<{ r: string }>`select row_to_json(x)::text as r from ${sql.table(table_name)} x`.execute(db);
    rows.push(...r.rows.map((x) => x.r));
  }
  return rows.join('\n');
}

/**
 * Makes every INSERT into `table` whose `column` equals `value` fail with "boom" (a trigger, in the
 * backend's own dialect): for tests that a transaction rolls back from its last statement.
 */
export async function failInsertsWhere(t: TempStore, table: string, column: string, value: string | number): Promise<void> {
  const literal = typeof value === 'number' ? String(value) : `'${value.replace(/'/g, "''")}'`;
  if (isPostgres(t.store.db)) {
    await sql.raw(`CREATE FUNCTION boom_${table}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.${column} = ${literal} THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$`).execute(t.store.db);
    await sql.raw(`CREATE TRIGGER boom BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION boom_${table}()`).execute(t.store.db);
  } else {
    await sql.raw(`CREATE TRIGGER boom BEFORE INSERT ON ${table} WHEN NEW.${column} = ${literal} BEGIN SELECT RAISE(ABORT, 'boom'); END`).execute(t.store.db);
  }
}

export function newCluster(id: string, name = `name-${id}`, over: Partial<NewCluster> = {}): NewCluster {
  return {
    id,
    name,
    version: 'v7.5.1',
    copies: 3,
    region: 'Region1',
    cpuArchitecture: 'X86_64',
    tags: ['prod', 'team-a'],
    tls: false,
    exclusive: false,
    vendor: 'Local',
    parameterGroupId: 'default-v7.5',
    ...over,
  };
}

export function instance(id: string, component: ClusterInstance['component'], hostIp: string, ports: number[]): Omit<ClusterInstance, 'clusterId'> {
  return {
    id,
    component,
    hostId: `h-${hostIp}`,
    hostIp,
    ports,
    diskId: 'd1',
    diskPath: '/data1',
    zone: 'Zone1',
    rack: 'Rack1',
    cpuCores: 4,
    memoryGb: 8,
    status: 'Running',
  };
}
