// `npm run setup:temporal`: registers the namespace (when missing, with TEMPORAL_NAMESPACE_RETENTION,
// default 30d) and the clone's search attributes (spec §5.5) in it through the OperatorService —
// what `--namespace` and `--search-attribute` do for the embedded dev server. Idempotent: an
// attribute already there with the same type is fine; one with another type is an error, reported
// before anything is changed. It returns once the server answers with both (a real server's
// namespace cache takes a few seconds).
//
//   TEMPORAL_ADDRESS=temporal.internal:7233 TEMPORAL_NAMESPACE=tiem npm run setup:temporal
//
// TLS / Temporal Cloud: TEMPORAL_TLS_CERT + TEMPORAL_TLS_KEY (mTLS), TEMPORAL_TLS_CA,
// TEMPORAL_TLS_SERVER_NAME, or TEMPORAL_API_KEY (implies TLS) — the temporal CLI's names.
import { pathToFileURL } from 'node:url';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import proto from '@temporalio/proto';
import { msToTs } from '@temporalio/common/lib/time.js';
import { SEARCH_ATTRIBUTES } from '../workflows/definitions.js';
import { connectionOptions, loadTemporalConnection } from '../security/temporal-connection.js';

const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;
type IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;

export interface RequiredSearchAttribute {
  name: string;
  type: SearchAttributeType;
}

export interface SearchAttributeSetup {
  namespace: string;
  added: string[];
  alreadyPresent: string[];
}

/** An attribute exists with another type: Temporal cannot change it; an operator has to decide. */
export class SearchAttributeConflictError extends Error {
  constructor(readonly namespace: string, readonly conflicts: { name: string; want: string; have: string }[]) {
    super(
      `namespace ${namespace}: ` +
        conflicts.map((c) => `search attribute ${c.name} exists as ${c.have}, the clone workflow needs ${c.want}`).join('; ') +
        ' — nothing was changed',
    );
    this.name = 'SearchAttributeConflictError';
  }
}

const indexedType = (t: SearchAttributeType): IndexedValueType => {
  const v = IndexedValueType[`INDEXED_VALUE_TYPE_${t}` as keyof typeof IndexedValueType];
  if (typeof v !== 'number') throw new Error(`no indexed value type for search attribute type ${t}`);
  return v;
};
const typeName = (v: IndexedValueType | string | null | undefined): string =>
  String(typeof v === 'number' ? IndexedValueType[v] : v).replace(/^INDEXED_VALUE_TYPE_/, '');

const isNotFound = (err: unknown) => (err as { code?: number } | null)?.code === 5; // gRPC NOT_FOUND
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it stops throwing NOT_FOUND (a new namespace reaches every frontend's cache). */
async function untilFound<T>(probe: () => Promise<T>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await probe();
    } catch (err) {
      if (!isNotFound(err) || Date.now() > deadline) throw Object.assign(new Error(`${what}: ${(err as Error).message}`), { cause: err });
      await sleep(1000);
    }
  }
}

/** Registers the namespace when the server does not have it; true when it was registered now. */
export async function ensureNamespace(connection: Connection, namespace: string, retentionDays = 30): Promise<boolean> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return false;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  try {
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(`${retentionDays} days`) });
  } catch (err) {
    // ALREADY_EXISTS: another setup registered it meanwhile.
    if ((err as { code?: number }).code !== 6) throw err;
  }
  await untilFound(() => connection.workflowService.describeNamespace({ namespace }), `namespace ${namespace} registered but not visible`);
  return true;
}

/** Registers the missing attributes; returns what it added and what was already there. */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  attributes: RequiredSearchAttribute[] = SEARCH_ATTRIBUTES,
): Promise<SearchAttributeSetup> {
  const listed = await untilFound(() => connection.operatorService.listSearchAttributes({ namespace }), `namespace ${namespace}`);
  const existing = new Map<string, string>();
  for (const [name, t] of Object.entries(listed.customAttributes ?? {})) existing.set(name, typeName(t));
  for (const [name, t] of Object.entries(listed.systemAttributes ?? {})) existing.set(name, typeName(t));

  const conflicts = attributes
    .filter((a) => existing.has(a.name) && existing.get(a.name) !== typeName(indexedType(a.type)))
    .map((a) => ({ name: a.name, want: typeName(indexedType(a.type)), have: existing.get(a.name)! }));
  if (conflicts.length > 0) throw new SearchAttributeConflictError(namespace, conflicts);

  const missing = attributes.filter((a) => !existing.has(a.name));
  if (missing.length > 0) {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((a) => [a.name, indexedType(a.type)])),
    });
    // Answered only once the server lists them: a clone started right after must find them.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const now = await connection.operatorService.listSearchAttributes({ namespace });
      if (missing.every((a) => a.name in (now.customAttributes ?? {}))) break;
      if (Date.now() > deadline) throw new Error(`namespace ${namespace}: search attributes added but not listed after 60 s`);
      await sleep(1000);
    }
  }
  return {
    namespace,
    added: missing.map((a) => a.name),
    alreadyPresent: attributes.filter((a) => existing.has(a.name)).map((a) => a.name),
  };
}

/** Connection options from the temporal CLI's environment variables (the worker's and the API's too). */
export function connectionOptionsFromEnv(env: NodeJS.ProcessEnv): ConnectionOptions {
  const problems: string[] = [];
  const config = loadTemporalConnection(env, problems);
  if (problems.length) throw new Error(problems.join('; '));
  return { ...connectionOptions(config), connectTimeout: 10_000 };
}

async function main(): Promise<number> {
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const options = connectionOptionsFromEnv(process.env);
  console.log(`Temporal ${options.address}, namespace ${namespace}: search attributes ${SEARCH_ATTRIBUTES.map((a) => `${a.name} (${a.type})`).join(', ')}`);
  const retention = process.env.TEMPORAL_NAMESPACE_RETENTION ?? '30d';
  const retentionDays = /^(\d+)d$/.exec(retention)?.[1];
  if (!retentionDays) throw new Error(`TEMPORAL_NAMESPACE_RETENTION must look like 30d; got ${JSON.stringify(retention)}`);
  const connection = await Connection.connect(options);
  try {
    if (await ensureNamespace(connection, namespace, Number(retentionDays))) console.log(`  + namespace ${namespace} registered (retention ${retention})`);
    const r = await ensureSearchAttributes(connection, namespace);
    for (const name of r.alreadyPresent) console.log(`  = ${name} already registered`);
    for (const name of r.added) console.log(`  + ${name} added`);
    console.log(r.added.length ? `registered ${r.added.length} search attribute(s)` : 'nothing to do');
    return 0;
  } catch (err) {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await connection.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
