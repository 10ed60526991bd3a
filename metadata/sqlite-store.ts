// The embedded default: SQLite through better-sqlite3 (one file, WAL so readers never block the
// writer; Kysely's SQLite driver serialises all statements over one connection).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';
import type { MetadataStore } from './types.js';
import { KyselyMetadataStore } from './kysely-store.js';

export interface SqliteStoreOptions {
  /** Path of the DB file; ':memory:' for a throwaway DB. Parent directories are created. */
  filename: string;
  /** 32-byte AES-256-GCM key for passwords and private keys at rest. */
  secretKey: Buffer;
  /** How long a writer waits for another process's lock, ms (default 5000). */
  busyTimeoutMs?: number;
}

export function createSqliteStore(opts: SqliteStoreOptions): MetadataStore & { readonly db: Kysely<Database> } {
  if (opts.filename !== ':memory:') mkdirSync(dirname(opts.filename), { recursive: true });
  const sqlite = new Sqlite(opts.filename);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`busy_timeout = ${Math.max(0, Math.trunc(opts.busyTimeoutMs ?? 5000))}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('synchronous = NORMAL'); // durable with WAL except on OS crash of the last commit
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return new KyselyMetadataStore(db, opts.secretKey);
}
