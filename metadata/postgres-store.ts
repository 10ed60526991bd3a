// The production backend: PostgreSQL through node-postgres and Kysely's PostgreSQL dialect. The
// same migrations and queries as SQLite; what differs is concurrency (several workers and API
// processes write at once), handled where it matters: host rows are locked in IP order while
// resources are allocated or released (resources.ts), lock takers are conditional updates.
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';
import type { MetadataStore } from './types.js';
import { KyselyMetadataStore } from './kysely-store.js';

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database[?sslmode=require] */
  url: string;
  secretKey: Buffer;
  /** Connections per process (default 10). */
  poolSize?: number;
}

export function createPostgresStore(opts: PostgresStoreOptions): MetadataStore & { readonly db: Kysely<Database> } {
  const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolSize ?? 10, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000 });
  // An idle connection the server dropped must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return new KyselyMetadataStore(db, opts.secretKey);
}
