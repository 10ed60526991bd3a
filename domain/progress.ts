// The clone's node list (TiEM's DetailWorkFlow.NodeNames, plus our new steps) and the tracker
// behind the `progress` query. Pure: used inside the workflow sandbox, where `new Date()` is
// the deterministic workflow clock.
import type { BrProgress, CloneProgress, CloneStrategy, NodeStatus, ProgressNode } from './types.js';

/**
 * Display order. TiEM's wait nodes (waitBackup, waitSyncParam, waitRestore) are gone: the
 * parent awaits the child workflows inside backupSourceCluster, syncParameters and restoreCluster.
 */
export const CLONE_NODE_NAMES = [
  'startMaintenance',
  'prepareResource',
  // source branch
  'modifySourceClusterGCTime',
  'backupSourceCluster',
  // target branch
  'buildConfig',
  'deployCluster',
  'syncConnectionKey',
  'syncTopology',
  'startCluster',
  'setClusterOnline',
  'initRootAccount',
  'initAccount',
  'persistCluster',
  'applyParameterGroup',
  'syncBackupStrategy',
  'syncParameters',
  'adjustParameters',
  // after the join
  'restoreCluster',
  'reconcileAccounts',
  'syncIncrData',
  'recoverSourceClusterGCTime',
  'end',
] as const;

export type CloneNodeName = (typeof CLONE_NODE_NAMES)[number];

/** Steps a strategy never runs (spec §5.2); syncParameters is decided at run time. */
export function skippedByStrategy(strategy: CloneStrategy): CloneNodeName[] {
  if (strategy === 'TopologyClone') {
    return ['modifySourceClusterGCTime', 'backupSourceCluster', 'restoreCluster', 'reconcileAccounts', 'syncIncrData', 'recoverSourceClusterGCTime'];
  }
  if (strategy === 'Snapshot') return ['syncIncrData'];
  return [];
}

export class ProgressTracker {
  private readonly nodes = new Map<string, ProgressNode>();
  private status: CloneProgress['status'] = 'Running';
  private error?: CloneProgress['error'];
  private readonly compensationErrors: string[] = [];
  private stopped?: CloneProgress['stopped'];

  constructor(
    private readonly ids: { workflowId: string; sourceClusterId: string; targetClusterId: string; strategy: CloneStrategy },
    names: readonly string[] = CLONE_NODE_NAMES,
    private readonly now: () => string = () => new Date().toISOString(),
  ) {
    for (const name of names) this.nodes.set(name, { name, status: 'pending', result: [] });
    // Only nodes of this list: other flows (delete) reuse the tracker with their own names.
    for (const name of skippedByStrategy(ids.strategy)) if (this.nodes.has(name)) this.skip(name, `skipped by strategy ${ids.strategy}`);
  }

  private node(name: string): ProgressNode {
    let n = this.nodes.get(name);
    if (!n) {
      n = { name, status: 'pending', result: [] };
      this.nodes.set(name, n);
    }
    return n;
  }

  start(name: string): void {
    const n = this.node(name);
    n.status = 'running';
    n.startTime = this.now();
    n.endTime = undefined;
  }

  done(name: string, lines: string[] = []): void {
    const n = this.node(name);
    n.status = 'done';
    n.endTime = this.now();
    n.lastError = undefined;
    n.result.push(...lines);
  }

  fail(name: string, message: string): void {
    const n = this.node(name);
    n.status = 'failed';
    n.endTime = this.now();
    n.result.push(message);
  }

  skip(name: string, reason: string): void {
    const n = this.node(name);
    n.status = 'skipped';
    n.result.push(reason);
  }

  /** The forward step was undone by compensation. */
  compensated(name: string, lines: string[] = []): void {
    const n = this.node(name);
    n.status = 'compensated';
    n.lastError = undefined;
    n.result.push(...lines);
  }

  /** An undo that retries without limit failed and will try again. */
  compensating(name: string, lastError: string): void {
    const n = this.node(name);
    n.status = 'compensating';
    n.lastError = lastError;
  }

  /** A step that failed but is retried later (e.g. an early GC release retried at the end). */
  deferred(name: string, lastError: string, line: string): void {
    const n = this.node(name);
    n.status = 'pending';
    n.lastError = lastError;
    n.result.push(line);
  }

  addLines(name: string, lines: string[]): void {
    this.node(name).result.push(...lines);
  }

  setBr(name: string, br: BrProgress): void {
    this.node(name).br = br;
  }

  compensationError(message: string): void {
    this.compensationErrors.push(message);
  }

  stop(by?: string): void {
    this.stopped ??= { since: this.now(), ...(by ? { by } : {}) };
  }

  resume(): void {
    this.stopped = undefined;
  }

  get isStopped(): boolean {
    return this.stopped !== undefined;
  }

  finish(status: CloneProgress['status'], error?: CloneProgress['error']): void {
    this.status = status;
    this.error = error;
  }

  get(name: string): ProgressNode | undefined {
    return this.nodes.get(name);
  }

  snapshot(): CloneProgress {
    return {
      ...this.ids,
      status: this.status,
      ...(this.stopped && this.status === 'Running' ? { stopped: { ...this.stopped } } : {}),
      nodes: [...this.nodes.values()].map((n) => ({ ...n, result: [...n.result], br: n.br ? { ...n.br } : undefined })),
      compensationErrors: [...this.compensationErrors],
      error: this.error,
    };
  }
}

/** Nodes of the pending/running/... kind, for callers that render progress. */
export function statusOf(p: CloneProgress, name: string): NodeStatus | undefined {
  return p.nodes.find((n) => n.name === name)?.status;
}
