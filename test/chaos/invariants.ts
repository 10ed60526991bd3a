// The contract checked after every chaos case (spec §4, §5.3, §5.4, §7), through the simulator's
// inspection API, the metadata store and Temporal's raw history — never through our own code's
// view of things.
import { readFileSync } from 'node:fs';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { ChaosStack } from './stack.js';

/** How a case must end. */
export type Expected =
  /** Done: target Running with its hosts; for CDCSync a normal changefeed into it. */
  | { end: 'Finished' }
  /** Complete, but the end bookkeeping failed: like Finished, the workflow failed. */
  | { end: 'EndFailed' }
  /** Refused at admission: no target row, nothing allocated. */
  | { end: 'Rejected' }
  /** Failed, cancelled or terminated (then repaired by the reconciler) after admission; `target` says what spec §5.3 does with it. */
  | { end: 'Failed' | 'Canceled' | 'Terminated'; target: 'released' | 'kept' | 'deleted' };

export interface CaseFacts {
  sourceId: string;
  targetId: string;
  workflowId: string;
  strategy: string;
  /** The source's GC life time before the case. */
  gcBefore: string;
  /** When the case began (operations before it belong to earlier cases). */
  since: string;
  /** Every password the case used: none may be readable in the raw history. */
  secrets: string[];
}

/** '10m' and '10m0s' are the same value. */
function normalisedDuration(v: string): string {
  return v.replace(/(\d+[hm])0s$/, '$1').replace(/^(\d+h)0m$/, '$1');
}

export async function checkInvariants(stack: ChaosStack, f: CaseFacts, expected: Expected): Promise<string[]> {
  const v: string[] = [];
  const { sim, store } = stack;
  const source = await sim.cluster(f.sourceId);
  if (normalisedDuration(source.gcLifeTime) !== normalisedDuration(f.gcBefore)) v.push(`source GC life time ${source.gcLifeTime}, was ${f.gcBefore}`);
  const holds = await store.listGcHolds({ sourceClusterId: f.sourceId, active: true });
  if (holds.length) v.push(`GC hold left by ${holds.map((h) => h.holder).join(', ')}`);
  const sourceRow = await store.getCluster(f.sourceId);
  if (sourceRow?.maintenanceStatus) v.push(`source lock ${sourceRow.maintenanceStatus} held by ${sourceRow.maintenanceHolder}`);

  const target = await store.getCluster(f.targetId);
  const allocations = await store.listAllocations(f.targetId);
  if (target?.maintenanceStatus) v.push(`target lock ${target.maintenanceStatus} held by ${target.maintenanceHolder}`);
  const complete = expected.end === 'Finished' || expected.end === 'EndFailed';
  if (expected.end === 'Rejected') {
    if (target) v.push(`a refused clone left target row ${f.targetId} (${target.status})`);
    if (allocations.length) v.push('a refused clone left an allocation');
  } else if (expected.end !== 'Finished' && expected.end !== 'EndFailed' && expected.target === 'deleted') {
    if (target) v.push(`target ${f.targetId} not deleted (${target.status})`);
    if (allocations.length) v.push('a deleted target still holds hosts');
  } else if (!target) {
    v.push(`target row ${f.targetId} missing`);
  } else if (complete) {
    if (target.status !== 'Running') v.push(`target status ${target.status}, expected Running`);
    if (!allocations.length) v.push('a finished target holds no hosts');
  } else {
    if (target.status !== 'Failure') v.push(`target status ${target.status}, expected Failure`);
    if (expected.target === 'released' && allocations.length) v.push('hosts of the target not released');
    if (expected.target === 'kept' && !allocations.length) v.push('hosts of a deployed target released (expected kept for inspection)');
  }

  // Changefeeds into the target: one normal one for a finished CDCSync, none otherwise.
  const feeds = source.changefeeds.filter((c) => c.downstream === f.targetId && c.state !== 'removed');
  const tasks = (await store.listChangefeedTasks({ downstreamClusterId: f.targetId })).filter((t) => t.status !== 'Deleted');
  if (complete && f.strategy === 'CDCSync') {
    if (feeds.length !== 1 || feeds[0]!.state !== 'normal') v.push(`expected one normal changefeed into the target, found ${feeds.map((c) => c.state).join(', ') || 'none'}`);
  } else if (feeds.length || tasks.length) {
    v.push(`changefeed into a target that did not finish: ${[...feeds.map((c) => `${c.id} ${c.state}`), ...tasks.map((t) => `task ${t.id} ${t.status}`)].join(', ')}`);
  }

  // No duplicated side effect, no two runs of one operation at once.
  const ops = (await sim.operations()).filter((o) => o.startedAt >= f.since && (o.cluster === f.targetId || o.cluster === f.sourceId));
  const deployed = ops.filter((o) => o.op === 'tiup.cluster.deploy' && o.cluster === f.targetId && o.exitCode === 0).length;
  if (deployed > 1) v.push(`target deployed ${deployed} times`);
  for (const op of ['br.backup', 'br.restore']) {
    const cluster = op === 'br.backup' ? f.sourceId : f.targetId;
    const ok = ops.filter((o) => o.op === op && o.cluster === cluster && o.exitCode === 0).length;
    if (ok > 1) v.push(`${op} succeeded ${ok} times`);
  }
  const byKey = new Map<string, typeof ops>();
  for (const o of ops) {
    if (/\.(display|list|show-config|check|validate)$/.test(o.op)) continue; // read-only
    // A push is one operation per host (pushes to different hosts run at once by design).
    const node = o.op === 'tiup.cluster.push' ? ` ${o.argv[o.argv.indexOf('-N') + 1] ?? ''}` : '';
    const key = `${o.op} ${o.cluster}${node}`;
    byKey.set(key, [...(byKey.get(key) ?? []), o]);
  }
  for (const [key, runs] of byKey) {
    const sorted = [...runs].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    for (let i = 1; i < sorted.length; i++) {
      const prevEnd = sorted[i - 1]!.endedAt;
      if (!prevEnd || sorted[i]!.startedAt < prevEnd) v.push(`two runs of ${key} at once (${sorted[i - 1]!.startedAt} and ${sorted[i]!.startedAt})`);
    }
  }

  v.push(...(await secretsInHistory(stack, [f.workflowId], f.secrets)));
  return v;
}

/** Decodes every base64 string of the raw history (payload data) and looks for the secrets. */
export async function secretsInHistory(stack: ChaosStack, workflowIds: string[], secrets: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const id of workflowIds) {
    let json: string;
    try {
      json = historyToJSON(await stack.rawClient.workflow.getHandle(id).fetchHistory());
    } catch {
      continue; // never started (refused before the start)
    }
    const texts = [json, ...[...json.matchAll(/"([A-Za-z0-9+/]{12,}={0,2})"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('utf8'))];
    for (const s of secrets) if (texts.some((t) => t.includes(s))) found.push(`plaintext secret in the raw history of ${id}`);
  }
  return found;
}

/** Files that must never hold a secret in plaintext: the worker's log and the metadata DB (with its WAL). */
export function secretsInFiles(files: string[], secrets: string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      continue;
    }
    for (const s of secrets) if (bytes.includes(Buffer.from(s, 'utf8'))) found.push(`plaintext secret in ${file}`);
  }
  return found;
}
