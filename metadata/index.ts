// Entry point of the metadata store: pick the backend from a URL. SQLite is the embedded default
// (one host); PostgreSQL the production store (several workers and API processes).
import { createPostgresStore } from './postgres-store.js';
import { createSqliteStore } from './sqlite-store.js';
import type { MetadataStore } from './types.js';

export type * from './types.js';
export { createSqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export { createPostgresStore, type PostgresStoreOptions } from './postgres-store.js';
export { KyselyMetadataStore } from './kysely-store.js';
export { SecretBox, SecretKeyError, parseSecretKey } from './secrets.js';
export { migrateToLatest, MIGRATIONS, defaultParameterGroupId } from './migrations.js';
export { minorVersionOf } from './records.js';
export type { Database } from './schema.js';

/** `sqlite:<path>`, `sqlite://<path>`, `file:<path>` or a bare path → SQLite; `postgres://…` / `postgresql://…` → PostgreSQL. */
export function openMetadataStore(url: string, secretKey: Buffer): MetadataStore {
  const u = url.trim();
  if (/^postgres(ql)?:\/\//i.test(u)) return createPostgresStore({ url: u, secretKey });
  const m = /^(?:sqlite|file):(?:\/\/)?(.*)$/i.exec(u);
  const filename = m ? m[1] : u;
  if (!filename) throw new Error(`metadata DB URL has no file path: ${url}`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(filename)) throw new Error(`unsupported metadata DB URL: ${url}`);
  return createSqliteStore({ filename, secretKey });
}
