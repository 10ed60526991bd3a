// Entry point of the metadata store: pick the backend from a URL.
//
// Decision: only SQLite is built today. The store is written against Kysely's portable query
// builder (no SQLite-only SQL), so PostgreSQL needs only `npm install pg` and a
// `new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })` passed to
// KyselyMetadataStore. We do not ship pg untested, so postgres:// URLs fail loudly.
import { createSqliteStore } from './sqlite-store.js';
import type { MetadataStore } from './types.js';

export type * from './types.js';
export { createSqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export { KyselyMetadataStore } from './kysely-store.js';
export { SecretBox, SecretKeyError, parseSecretKey } from './secrets.js';
export { migrateToLatest, MIGRATIONS, defaultParameterGroupId } from './migrations.js';
export { minorVersionOf } from './records.js';
export type { Database } from './schema.js';

/** `sqlite:<path>`, `sqlite://<path>`, `file:<path>` or a bare path → SQLite; `postgres://…` → not built yet. */
export function openMetadataStore(url: string, secretKey: Buffer): MetadataStore {
  const u = url.trim();
  if (/^postgres(ql)?:\/\//i.test(u)) {
    throw new Error('PostgreSQL support is not built yet: install pg and add the dialect (metadata/index.ts)');
  }
  const m = /^(?:sqlite|file):(?:\/\/)?(.*)$/i.exec(u);
  const filename = m ? m[1] : u;
  if (!filename) throw new Error(`metadata DB URL has no file path: ${url}`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(filename)) throw new Error(`unsupported metadata DB URL: ${url}`);
  return createSqliteStore({ filename, secretKey });
}
