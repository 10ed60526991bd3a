// Shared by the integration tests: run a clone on the embedded stack and check the invariants
// of a finished clone through the simulator's inspection API, TiDB SQL and the metadata store.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { createTidbSqlClient } from '../../adapters/tidb-sql.js';
import { createTestDatabase, testPostgresUrl } from '../../metadata/testing.js';
import { followClone, startClone } from '../../client/clone.js';
import type { CloneOptions, CloneProgress, CloneResult } from '../../domain/types.js';
import { DEMO_SOURCE, demoCloneRequest } from '../../embedded/demo-fleet.js';
import { startEmbeddedStack, type EmbeddedStack, type EmbeddedStackOptions } from '../../embedded/stack.js';

export const SOURCE = DEMO_SOURCE;

/**
 * An embedded stack for one test file. `net` picks the loopback networks of the source (net) and
 * of the host pool (net + 1), so files that run at the same time do not collide: 1 strategies,
 * 3 failures, 5 API, 7 CLI, 9 temporal CLI, 13 browser, 15 cluster lifecycle, 17 hostile input, 19 reconciler
 * (the simulator's own tests use 11 and 12).
 */
/** A stack on its own metadata DB: SQLite, or a fresh PostgreSQL database when TIEM_TEST_POSTGRES_URL is set. */
export async function startTestStack(net = 1, opts: Partial<EmbeddedStackOptions> = {}): Promise<EmbeddedStack> {
  const server = testPostgresUrl();
  const database = server ? await createTestDatabase(server) : undefined;
  const stack = await startEmbeddedStack({
    dir: mkdtempSync(join(tmpdir(), 'tiem-it-')),
    metadataUrl: database?.url,
    speed: 20,
    source: { ...DEMO_SOURCE, writesPerSec: 10, net: `127.0.${net}` },
    hostNet: `127.0.${net + 1}`,
    ...opts,
  });
  if (!database) return stack;
  const stop = stack.stop.bind(stack);
  stack.stop = async () => {
    await stop();
    await database.drop();
  };
  return stack;
}

export interface CloneRun {
  clusterId: string;
  workflowId: string;
  request: ReturnType<typeof demoCloneRequest>;
  result?: CloneResult;
  error?: WorkflowFailedError;
  progress: CloneProgress;
}

let n = 0;

export async function runClone(
  stack: EmbeddedStack,
  strategy: 'Snapshot' | 'CDCSync' | 'TopologyClone',
  opts: {
    options?: CloneOptions;
    /** Another source, version or parameter group than the demo's. */
    request?: { sourceClusterId?: string; clusterVersion?: string; parameterGroupID?: string };
    whileRunning?: (run: { clusterId: string; workflowId: string }, progress: () => Promise<CloneProgress>) => Promise<void>;
  } = {},
): Promise<CloneRun> {
  const request = demoCloneRequest({ clusterName: `it-${strategy.toLowerCase()}-${++n}`, cloneStrategy: strategy, ...opts.request });
  const started = await startClone(stack.client, request, { options: opts.options });
  const during = opts.whileRunning?.({ clusterId: started.clusterId, workflowId: started.workflowId }, () => started.handle.query('progress'));
  let result: CloneResult | undefined;
  let error: WorkflowFailedError | undefined;
  try {
    result = await followClone(started.handle, () => undefined, 250);
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    error = err;
  }
  await during;
  const progress = await started.handle.query<CloneProgress>('progress');
  return { clusterId: started.clusterId, workflowId: started.workflowId, request, result, error, progress };
}

/** Polls until `check` returns a value (not undefined), or fails after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined>, ms = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Can this account log in and run a statement on the cluster's first TiDB? */
export async function canLogin(host: string, port: number, user: string, password: string): Promise<boolean> {
  try {
    const s = await createTidbSqlClient().connect({ host, port, user, password });
    await s.ping();
    await s.close();
    return true;
  } catch {
    return false;
  }
}

export function node(p: CloneProgress, name: string) {
  const found = p.nodes.find((x) => x.name === name);
  if (!found) throw new Error(`no progress node ${name}`);
  return found;
}
