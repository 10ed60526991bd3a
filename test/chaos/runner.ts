// Runs chaos cases: each on a source of its own (a clone locks its source), side by side up to
// the number of sources, exclusive cases (a worker kill, a server restart) alone. After every case
// the invariants are checked, then its target is deleted so the next case starts clean.
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, TerminatedFailure } from '@temporalio/common';
import { CloneRejectedError, newClusterId, startClone } from '../../client/clone.js';
import type { CloneOptions, CloneProgress, CloneStrategy } from '../../domain/types.js';
import { demoCloneRequest, type SourceClusterSpec } from '../../embedded/demo-fleet.js';
import { workflowIds } from '../../domain/ids.js';
import { progressQuery } from '../../workflows/definitions.js';
import { checkInvariants, type CaseFacts, type Expected } from './invariants.js';
import { sleep, type ChaosStack } from './stack.js';

export type MatrixName = 'fault' | 'cancellation' | 'crash' | 'correlated' | 'concurrency' | 'hostile input';

export interface CaseContext {
  stack: ChaosStack;
  source: SourceClusterSpec;
  /** The target cluster id this case's clone gets (faults are scoped to it). */
  targetId: string;
  workflowId: string;
  /** Starts this case's clone (waits for admission); a refusal resolves with `rejected`. */
  clone(strategy: CloneStrategy, o?: { options?: CloneOptions; dbPassword?: string; clusterName?: string }): Promise<{ handle?: WorkflowHandle; rejected?: CloneRejectedError }>;
  progress(): Promise<CloneProgress | undefined>;
  /** Polls the progress until `pred` holds (the worker must be up to answer). */
  until(pred: (p: CloneProgress) => boolean, what: string, ms?: number): Promise<CloneProgress>;
  /** Remembers a password the raw history must not show. */
  secret(s: string): void;
}

export interface ChaosCase {
  matrix: MatrixName;
  name: string;
  strategy: CloneStrategy;
  /** Runs alone: kills or restarts something every running case shares. */
  exclusive?: boolean;
  timeoutMs?: number;
  /** Runs the scenario and says how the clone must end. */
  run(c: CaseContext): Promise<Expected>;
  /** Extra checks of its own (e.g. the fault really hit). */
  check?(c: CaseContext): Promise<string[]>;
}

export interface CaseResult {
  matrix: MatrixName;
  name: string;
  workflowId: string;
  survived: boolean;
  violations: string[];
  ms: number;
}

const DEFAULT_TIMEOUT_MS = 8 * 60_000;

/** How the workflow really ended, in the terms of `Expected`. */
async function actualEnd(stack: ChaosStack, workflowId: string, rejected: boolean): Promise<Expected['end'] | 'Running' | 'Unknown'> {
  if (rejected) return 'Rejected';
  const handle = stack.client.workflow.getHandle(workflowId);
  try {
    await handle.result();
    return 'Finished';
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) return 'Unknown';
    if (err.cause instanceof CancelledFailure) return 'Canceled';
    if (err.cause instanceof TerminatedFailure) return 'Terminated';
    const p = await handle.query(progressQuery).catch(() => undefined);
    if (p?.nodes.find((n) => n.name === 'end')?.status === 'failed') return 'EndFailed';
    if (err.cause instanceof ApplicationFailure && p?.nodes.find((n) => n.name === 'startMaintenance')?.status === 'failed') return 'Rejected';
    return 'Failed';
  }
}

async function runCase(stack: ChaosStack, source: SourceClusterSpec, kase: ChaosCase): Promise<CaseResult> {
  const started = Date.now();
  const targetId = newClusterId();
  const workflowId = workflowIds.clone(targetId);
  const secrets: string[] = [];
  let rejected = false;
  const ctx: CaseContext = {
    stack,
    source,
    targetId,
    workflowId,
    async clone(strategy, o = {}) {
      const dbPassword = o.dbPassword ?? `Chaos-${targetId.slice(0, 8)}-Pw1!`;
      ctx.secret(dbPassword);
      const request = demoCloneRequest({ clusterName: o.clusterName ?? `chaos-${targetId}`, cloneStrategy: strategy, sourceClusterId: source.id, dbPassword });
      try {
        const s = await startClone(stack.client, request, { clusterId: targetId, options: o.options });
        return { handle: s.handle };
      } catch (err) {
        if (!(err instanceof CloneRejectedError)) throw err;
        rejected = true;
        return { rejected: err };
      }
    },
    async progress() {
      return stack.client.workflow.getHandle(workflowId).query(progressQuery).catch(() => undefined);
    },
    async until(pred, what, ms = 120_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const p = await ctx.progress();
        if (p && pred(p)) return p;
        if (Date.now() > deadline) {
          const seen = p ? `${p.status}; ${p.nodes.filter((n) => n.status !== 'pending' && n.status !== 'skipped').map((n) => `${n.name} ${n.status}${n.status === 'running' ? '' : ` "${n.result.at(-1) ?? ''}"`}`).slice(-4).join(', ')}` : 'no progress';
          throw new Error(`timed out waiting for ${what} (${seen})`);
        }
        await sleep(200);
      }
    },
    secret(s) {
      secrets.push(s);
      stack.secrets.add(s);
    },
  };
  const gcBefore = (await stack.sim.cluster(source.id)).gcLifeTime;
  const violations: string[] = [];
  try {
    const expected = await withTimeout(kase.run(ctx), kase.timeoutMs ?? DEFAULT_TIMEOUT_MS, `${kase.name}: scenario`);
    // A case may adopt a clone admitted under another id (through the API): facts follow ctx.
    const facts: CaseFacts = { sourceId: source.id, targetId: ctx.targetId, workflowId: ctx.workflowId, strategy: kase.strategy, gcBefore, since: new Date(started).toISOString(), secrets };
    const end = await withTimeout(actualEnd(stack, ctx.workflowId, rejected), kase.timeoutMs ?? DEFAULT_TIMEOUT_MS, `${kase.name}: end`);
    if (end !== expected.end) violations.push(`ended ${end}, expected ${expected.end}`);
    violations.push(...(await checkInvariants(stack, facts, expected)));
    if (kase.check) violations.push(...(await kase.check(ctx)));
  } catch (err) {
    violations.push(`case error: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    stack.faults.clear(targetId);
    await cleanUp(stack, ctx.targetId).catch((err: unknown) => violations.push(`cleanup: ${err instanceof Error ? err.message : String(err)}`));
  }
  return { matrix: kase.matrix, name: kase.name, workflowId: ctx.workflowId, survived: violations.length === 0, violations, ms: Date.now() - started };
}

/** Deletes what the case made (a kept or finished target), and checks the delete freed its hosts. */
async function cleanUp(stack: ChaosStack, targetId: string): Promise<void> {
  const handle = stack.client.workflow.getHandle(workflowIds.clone(targetId));
  await handle.cancel().catch(() => undefined);
  await handle.result().catch(() => undefined);
  if (!(await stack.store.getCluster(targetId))) return;
  await stack.client.workflow.execute('deleteCluster', {
    taskQueue: stack.config.taskQueue,
    workflowId: `${workflowIds.deleteCluster(targetId)}-cleanup`,
    args: [{ clusterId: targetId, force: true }],
  });
  const left = await stack.store.listAllocations(targetId);
  if (left.length) throw new Error(`delete of ${targetId} left ${left.length} allocation(s)`);
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the cases, `sources` at a time, exclusive ones alone; `onResult` reports each as it ends. */
export async function runCases(stack: ChaosStack, cases: ChaosCase[], onResult: (r: CaseResult) => void): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const shared = cases.filter((c) => !c.exclusive);
  const exclusive = cases.filter((c) => c.exclusive);
  let next = 0;
  await Promise.all(
    stack.sources.map(async (source) => {
      while (next < shared.length) {
        const kase = shared[next++]!;
        const r = await runCase(stack, source, kase);
        results.push(r);
        onResult(r);
      }
    }),
  );
  for (const kase of exclusive) {
    const r = await runCase(stack, stack.bigSource, kase);
    results.push(r);
    onResult(r);
  }
  return results;
}
