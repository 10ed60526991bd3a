// The chaos matrices (issue "Survives anything"): fault, cancellation, crash, correlated failures,
// concurrency, hostile input. Each case says how the clone must end by spec §5.3; the runner checks
// the invariants after it. `ci` picks a short, representative subset.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { CLONE_NODE_NAMES, skippedByStrategy, type CloneNodeName } from '../../domain/progress.js';
import type { CloneProgress, CloneStrategy } from '../../domain/types.js';
import { workflowIds } from '../../domain/ids.js';
import { demoCloneRequest } from '../../embedded/demo-fleet.js';
import { createTidbSqlClient } from '../../adapters/tidb-sql.js';
import type { Expected } from './invariants.js';
import type { ActivityFault } from './faults.js';
import { runHostileInput } from './hostile-input.js';
import type { CaseContext, ChaosCase } from './runner.js';
import { sleep } from './stack.js';

/** demoCloneRequest's default root password (the API cases use it). */
const DEMO_PASSWORD = demoCloneRequest({ clusterName: 'x', cloneStrategy: 'Snapshot' }).dbPassword;

const ALL: CloneStrategy[] = ['Snapshot', 'CDCSync', 'TopologyClone'];
const DATA: CloneStrategy[] = ['Snapshot', 'CDCSync'];

type Permanent = Expected | 'persistent';

/** Every activity a clone runs, the strategies that run it, and spec §5.3's answer to its permanent failure. */
const STEPS: { activity: string; strategies: CloneStrategy[]; permanent: Permanent; fromCall?: number; label?: string }[] = [
  { activity: 'startMaintenance', strategies: ALL, permanent: { end: 'Rejected' } },
  { activity: 'prepareResource', strategies: ALL, permanent: { end: 'Failed', target: 'released' } },
  { activity: 'readSourceClusterGCTime', strategies: DATA, permanent: { end: 'Failed', target: 'released' } },
  { activity: 'modifySourceClusterGCTime', strategies: DATA, permanent: { end: 'Failed', target: 'released' } },
  { activity: 'backupSourceCluster', strategies: DATA, permanent: { end: 'Failed', target: 'released' } },
  { activity: 'backup', strategies: DATA, permanent: { end: 'Failed', target: 'released' } },
  { activity: 'updateBackupRecord', strategies: DATA, permanent: { end: 'Failed', target: 'released' } },
  { activity: 'buildConfig', strategies: ALL, permanent: { end: 'Failed', target: 'released' } },
  { activity: 'deployCluster', strategies: ALL, permanent: { end: 'Failed', target: 'kept' } },
  { activity: 'syncConnectionKey', strategies: ALL, permanent: { end: 'Failed', target: 'kept' } },
  { activity: 'syncTopology', strategies: ALL, permanent: { end: 'Failed', target: 'kept' } },
  { activity: 'startCluster', strategies: ALL, permanent: { end: 'Failed', target: 'kept' } },
  { activity: 'setClusterOnline', strategies: ALL, permanent: { end: 'Failed', target: 'kept' } },
  { activity: 'initRootAccount', strategies: ALL, permanent: { end: 'Failed', target: 'kept' } },
  { activity: 'initAccount', strategies: ALL, permanent: { end: 'Failed', target: 'kept' } },
  { activity: 'persistCluster', strategies: ALL, permanent: { end: 'Failed', target: 'kept' } },
  { activity: 'applyParameterGroup', strategies: ALL, permanent: { end: 'Failed', target: 'kept' } },
  { activity: 'validationParameter', strategies: ALL, permanent: { end: 'Failed', target: 'kept' } },
  { activity: 'modifyParameter', strategies: ALL, permanent: { end: 'Failed', target: 'kept' } },
  { activity: 'refreshParameter', strategies: ALL, permanent: { end: 'Failed', target: 'kept' } },
  { activity: 'persistParameter', strategies: ALL, permanent: { end: 'Failed', target: 'kept' } },
  { activity: 'syncBackupStrategy', strategies: ALL, permanent: { end: 'Failed', target: 'kept' } },
  { activity: 'syncParameters', strategies: ALL, permanent: { end: 'Failed', target: 'kept' } },
  { activity: 'adjustParameters', strategies: ALL, permanent: { end: 'Failed', target: 'kept' } },
  { activity: 'restoreFromSrcCluster', strategies: DATA, permanent: { end: 'Failed', target: 'kept' } },
  { activity: 'reconcileAccounts', strategies: DATA, permanent: { end: 'Failed', target: 'kept' } },
  { activity: 'syncIncrData', strategies: ['CDCSync'], permanent: { end: 'Failed', target: 'kept' } },
  { activity: 'waitChangefeedCatchUp', strategies: ['CDCSync'], permanent: { end: 'Failed', target: 'kept' } },
  // Cleanup of the source never gives up: "permanent" is an outage longer than the old budget.
  { activity: 'recoverSourceClusterGCTime', strategies: DATA, permanent: 'persistent' },
  { activity: 'persistCluster', strategies: ALL, permanent: { end: 'EndFailed' }, fromCall: 2, label: 'persistCluster (end)' },
  { activity: 'endMaintenance', strategies: ALL, permanent: 'persistent' },
  // The abandoned log child: its failure never touches the clone.
  { activity: 'collectLogConfig', strategies: ALL, permanent: { end: 'Finished' } },
];

/** Undo activities, exercised inside a failing clone: [undo, the failure that makes it run, the end]. */
const UNDOS: { undo: string; strategy: CloneStrategy; failAt: string; permanent: Permanent; transientEnd: Expected }[] = [
  { undo: 'setClusterFailure', strategy: 'Snapshot', failAt: 'buildConfig', permanent: 'persistent', transientEnd: { end: 'Failed', target: 'released' } },
  { undo: 'revertResourceAfterFailure', strategy: 'Snapshot', failAt: 'buildConfig', permanent: 'persistent', transientEnd: { end: 'Failed', target: 'released' } },
  // Backup fails after the deploy finished: the collateral target is destroyed; a destroy that
  // fails for good keeps it (and its hosts) rather than releasing hosts under a live cluster.
  { undo: 'destroyCluster', strategy: 'Snapshot', failAt: 'backup', permanent: { end: 'Failed', target: 'kept' }, transientEnd: { end: 'Failed', target: 'released' } },
  { undo: 'removeChangefeed', strategy: 'CDCSync', failAt: 'waitChangefeedCatchUp', permanent: 'persistent', transientEnd: { end: 'Failed', target: 'kept' } },
  { undo: 'recoverSourceClusterGCTime', strategy: 'Snapshot', failAt: 'setClusterOnline', permanent: 'persistent', transientEnd: { end: 'Failed', target: 'kept' } },
  { undo: 'endMaintenance', strategy: 'TopologyClone', failAt: 'initAccount', permanent: 'persistent', transientEnd: { end: 'Failed', target: 'kept' } },
];

/** An outage longer than the old 10-attempt undo budget. */
const OUTAGE_ATTEMPTS = 12;

function fault(c: CaseContext, f: Omit<ActivityFault, 'target'>): void {
  c.stack.faults.add({ ...f, target: c.targetId });
}

function hitCheck(activity: string, min = 1) {
  return async (c: CaseContext) => (c.stack.faults.hits(c.targetId, activity) >= min ? [] : [`the fault on ${activity} never hit`]);
}

async function cloneAndWait(c: CaseContext, strategy: CloneStrategy, options?: { destroyOnFailure?: boolean }): Promise<void> {
  const { handle } = await c.clone(strategy, { options });
  await handle?.result().catch(() => undefined);
  // The abandoned log child runs on after the clone: let it end before the case is judged.
  const logs = c.stack.client.workflow.getHandle(workflowIds.buildLogConfig(c.targetId));
  for (let i = 0; i < 50 && (await logs.describe().then((d) => d.status.name === 'RUNNING', () => false)); i++) await sleep(200);
}

function faultCases(): ChaosCase[] {
  const cases: ChaosCase[] = [];
  for (const step of STEPS) {
    for (const strategy of step.strategies) {
      const label = step.label ?? step.activity;
      // Transient: the activity ran (its side effect landed), then its completion was lost.
      cases.push({
        matrix: 'fault',
        name: `${strategy} ${label}: transient`,
        strategy,
        async run(c) {
          fault(c, { activity: step.activity, mode: 'failAfter', fromCall: step.fromCall });
          await cloneAndWait(c, strategy);
          return { end: 'Finished' };
        },
        check: hitCheck(step.activity),
      });
      cases.push({
        matrix: 'fault',
        name: `${strategy} ${label}: ${step.permanent === 'persistent' ? `down for ${OUTAGE_ATTEMPTS} attempts` : 'permanent'}`,
        strategy,
        async run(c) {
          if (step.permanent === 'persistent') fault(c, { activity: step.activity, mode: 'failBefore', times: OUTAGE_ATTEMPTS, fromCall: step.fromCall });
          else fault(c, { activity: step.activity, mode: 'failPermanently', fromCall: step.fromCall });
          await cloneAndWait(c, strategy);
          return step.permanent === 'persistent' ? { end: 'Finished' } : step.permanent;
        },
        check: hitCheck(step.activity, step.permanent === 'persistent' ? OUTAGE_ATTEMPTS : 1),
      });
    }
  }
  for (const u of UNDOS) {
    cases.push({
      matrix: 'fault',
      name: `${u.strategy} undo ${u.undo} (after ${u.failAt} failed): transient`,
      strategy: u.strategy,
      async run(c) {
        // Late enough that the target exists (the destroy case needs a deployed collateral target).
        fault(c, { activity: u.failAt, mode: 'failPermanently', delayMs: u.undo === 'destroyCluster' ? 8000 : undefined });
        fault(c, { activity: u.undo, mode: 'failAfter' });
        await cloneAndWait(c, u.strategy);
        return u.transientEnd;
      },
      check: hitCheck(u.undo),
    });
    cases.push({
      matrix: 'fault',
      name: `${u.strategy} undo ${u.undo} (after ${u.failAt} failed): ${u.permanent === 'persistent' ? `down for ${OUTAGE_ATTEMPTS} attempts` : 'permanent'}`,
      strategy: u.strategy,
      timeoutMs: 12 * 60_000,
      async run(c) {
        fault(c, { activity: u.failAt, mode: 'failPermanently', delayMs: u.undo === 'destroyCluster' ? 8000 : undefined });
        if (u.permanent === 'persistent') fault(c, { activity: u.undo, mode: 'failBefore', times: OUTAGE_ATTEMPTS });
        else fault(c, { activity: u.undo, mode: 'failPermanently' });
        await cloneAndWait(c, u.strategy);
        return u.permanent === 'persistent' ? u.transientEnd : u.permanent;
      },
      check: hitCheck(u.undo),
    });
  }
  // Through the simulator: the real tools and protocols failing, the real adapters recovering.
  const sim: { name: string; strategy: CloneStrategy; op: string; on: 'source' | 'target'; mode: 'fail' | 'die'; atPercent?: number }[] = [
    { name: 'tiup deploy exits 1 once', strategy: 'Snapshot', op: 'tiup.cluster.deploy', on: 'target', mode: 'fail' },
    { name: 'tiup deploy killed at 50%', strategy: 'CDCSync', op: 'tiup.cluster.deploy', on: 'target', mode: 'die', atPercent: 50 },
    { name: 'tiup start exits 1 once', strategy: 'TopologyClone', op: 'tiup.cluster.start', on: 'target', mode: 'fail' },
    { name: 'tiup reload exits 1 once', strategy: 'TopologyClone', op: 'tiup.cluster.reload', on: 'target', mode: 'fail' },
    { name: 'BR backup killed at 50% (resumes from its checkpoint)', strategy: 'Snapshot', op: 'br.backup', on: 'source', mode: 'die', atPercent: 50 },
    { name: 'BR restore killed at 50% (resumes)', strategy: 'Snapshot', op: 'br.restore', on: 'target', mode: 'die', atPercent: 50 },
    { name: 'source SET GLOBAL fails once', strategy: 'CDCSync', op: 'sql.set global', on: 'source', mode: 'fail' },
    { name: 'TiCDC create answers 500 once', strategy: 'CDCSync', op: 'cdc.create', on: 'source', mode: 'fail' },
    { name: 'TiCDC drops the socket on a status call', strategy: 'CDCSync', op: 'cdc.get', on: 'source', mode: 'die' },
  ];
  for (const s of sim) {
    cases.push({
      matrix: 'fault',
      name: `${s.strategy} sim: ${s.name}`,
      strategy: s.strategy,
      async run(c) {
        await c.stack.sim.addFault({ op: s.op, cluster: s.on === 'source' ? c.source.id : c.targetId, mode: s.mode, atPercent: s.atPercent, times: 1 });
        await cloneAndWait(c, s.strategy);
        return { end: 'Finished' };
      },
      async check(c) {
        const left = (await c.stack.sim.listFaults()).filter((f) => f.op === s.op && f.cluster === (s.on === 'source' ? c.source.id : c.targetId) && f.remaining !== 0);
        await c.stack.sim.clearFaults();
        return left.length ? [`simulator fault ${s.op} never hit`] : [];
      },
    });
  }
  return cases;
}

/** The activity whose slowness keeps a node running long enough for a cancel to land inside it. */
const NODE_ACTIVITY: Partial<Record<CloneNodeName, string>> = {
  backupSourceCluster: 'backup',
  restoreCluster: 'restoreFromSrcCluster',
  applyParameterGroup: 'applyParameterGroup',
  syncParameters: 'syncParameters',
  adjustParameters: 'adjustParameters',
};

/** Nodes racing the other branch: whether the deploy had begun when the cancel landed decides the target. */
const SOURCE_BRANCH: CloneNodeName[] = ['modifySourceClusterGCTime', 'backupSourceCluster'];
const BEFORE_DEPLOY: CloneNodeName[] = ['startMaintenance', 'prepareResource', 'buildConfig'];

function cancellationCases(): ChaosCase[] {
  const cases: ChaosCase[] = [];
  for (const strategy of ALL) {
    const skipped = new Set<string>(skippedByStrategy(strategy));
    for (const node of CLONE_NODE_NAMES) {
      if (skipped.has(node)) continue;
      const activity = NODE_ACTIVITY[node] ?? (node === 'end' ? 'persistCluster' : node);
      cases.push({
        matrix: 'cancellation',
        name: `${strategy} cancel inside ${node}`,
        strategy,
        async run(c) {
          // Slowed, so the cancel lands while the activity runs (short ones do not heartbeat: the
          // workflow must wait for them to settle before undoing).
          fault(c, { activity, mode: 'delay', delayMs: 3000, fromCall: node === 'end' ? 2 : undefined });
          const started = c.clone(strategy);
          await c.until((p) => p.nodes.find((n) => n.name === node)?.status === 'running' || p.status !== 'Running', `${node} running`);
          await c.stack.client.workflow.getHandle(c.workflowId).cancel();
          await started;
          await c.stack.client.workflow.getHandle(c.workflowId).result().catch(() => undefined);
          if (node === 'end') return { end: 'Finished' }; // the end is not cancellable: the clone is complete
          if (BEFORE_DEPLOY.includes(node)) return { end: 'Canceled', target: 'released' };
          if (SOURCE_BRANCH.includes(node) || (strategy === 'Snapshot' && node === 'recoverSourceClusterGCTime')) return { end: 'Canceled', target: (await deployBegan(c)) ? 'kept' : 'released' };
          return { end: 'Canceled', target: 'kept' };
        },
      });
    }
  }
  cases.push({
    matrix: 'cancellation',
    name: 'Snapshot cancel during compensation (ignored: compensation completes)',
    strategy: 'Snapshot',
    async run(c) {
      fault(c, { activity: 'buildConfig', mode: 'failPermanently' });
      fault(c, { activity: 'revertResourceAfterFailure', mode: 'delay', delayMs: 3000 });
      const { handle } = await c.clone('Snapshot');
      await c.until((p) => p.nodes.some((n) => n.name === 'buildConfig' && n.status === 'failed'), 'the failure');
      await sleep(500);
      await handle?.cancel();
      await handle?.result().catch(() => undefined);
      return { end: 'Failed', target: 'released' };
    },
    check: hitCheck('revertResourceAfterFailure'),
  });
  cases.push({
    matrix: 'cancellation',
    name: 'CDCSync cancel twice while the changefeed catches up',
    strategy: 'CDCSync',
    async run(c) {
      fault(c, { activity: 'waitChangefeedCatchUp', mode: 'delay', delayMs: 3000 });
      const { handle } = await c.clone('CDCSync');
      await c.until((p) => p.nodes.some((n) => n.name === 'syncIncrData' && n.status === 'running'), 'syncIncrData running');
      await handle?.cancel();
      await sleep(300);
      await handle?.cancel().catch(() => undefined);
      await handle?.result().catch(() => undefined);
      return { end: 'Canceled', target: 'kept' };
    },
  });
  return cases;
}

/** Did TiUP start deploying the target (so spec §5.3 keeps it)? The clone's progress says. */
async function deployBegan(c: CaseContext): Promise<boolean> {
  const p = await c.progress();
  const deploy = p?.nodes.find((n) => n.name === 'deployCluster');
  return !!deploy && deploy.status !== 'pending';
}

const running = (node: CloneNodeName) => (p: CloneProgress) => p.nodes.find((n) => n.name === node)?.status === 'running';
const done = (node: CloneNodeName) => (p: CloneProgress) => p.nodes.find((n) => n.name === node)?.status === 'done';

/** Waits until Temporal reports the activity started on a worker (so a kill lands inside it). */
async function activityStarted(c: CaseContext, activityType: string, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const d = await c.stack.client.workflow.getHandle(c.workflowId).describe();
    const pending = d.raw.pendingActivities ?? [];
    // state 2 = PENDING_ACTIVITY_STATE_STARTED
    if (pending.some((a) => a.activityType?.name === activityType && Number(a.state) === 2)) return;
    if (Date.now() > deadline) throw new Error(`${activityType} never started`);
    await sleep(200);
  }
}

/** Processes of a tiup run on the target (the simulator's shim), by command line. */
function tiupPids(targetId: string, sub: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmd.some((a) => a.endsWith('tiup-shim.cjs')) && cmd.includes(sub) && cmd.includes(targetId)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function crashCases(): ChaosCase[] {
  const kill = (strategy: CloneStrategy, name: string, when: (p: CloneProgress) => boolean, setup?: (c: CaseContext) => void, expected: Expected = { end: 'Finished' }): ChaosCase => ({
    matrix: 'crash',
    name: `${strategy} worker SIGKILL ${name}`,
    strategy,
    exclusive: true,
    async run(c) {
      setup?.(c);
      const { handle } = await c.clone(strategy);
      await c.until(when, name);
      await c.stack.restartWorker();
      await handle?.result().catch(() => undefined);
      return expected;
    },
  });
  return [
    kill('Snapshot', 'between prepareResource and the branches', done('prepareResource')),
    kill('CDCSync', 'mid deploy', running('deployCluster')),
    kill('Snapshot', 'mid backup', (p) => running('backupSourceCluster')(p) && (p.nodes.find((n) => n.name === 'backupSourceCluster')?.br?.percent ?? 0) > 0),
    kill('Snapshot', 'mid restore', (p) => running('restoreCluster')(p) && (p.nodes.find((n) => n.name === 'restoreCluster')?.br?.percent ?? 0) > 0),
    {
      matrix: 'crash',
      name: 'CDCSync worker SIGKILL mid changefeed catch-up',
      strategy: 'CDCSync',
      exclusive: true,
      async run(c) {
        // Slowed down, the changefeed trails by ~2 s, far over the 0.5 s threshold: the wait is really waiting.
        // syncIncrData is held 4 s at its start, so the slow-down lands before the changefeed exists
        // (once the restore is seen done, the clone could already be past a fast catch-up).
        fault(c, { activity: 'syncIncrData', mode: 'delay', delayMs: 4000 });
        const { handle } = await c.clone('CDCSync', { options: { cdcLagThresholdMs: 500 } });
        await c.until(running('syncIncrData'), 'syncIncrData');
        await c.stack.sim.setSpeed(0.5);
        try {
          await activityStarted(c, 'waitChangefeedCatchUp');
          await sleep(2000);
          await c.stack.restartWorker();
        } finally {
          await c.stack.sim.setSpeed(c.stack.opts.speed);
        }
        await handle?.result().catch(() => undefined);
        return { end: 'Finished' };
      },
    },
    kill('TopologyClone', 'inside a slowed short activity (initAccount)', running('initAccount'), (c) => fault(c, { activity: 'initAccount', mode: 'delay', delayMs: 4000 })),
    kill('CDCSync', 'between restore and syncIncrData', done('reconcileAccounts')),
    kill(
      'Snapshot',
      'mid compensation',
      (p) => p.nodes.some((n) => n.name === 'restoreCluster' && n.status === 'failed'),
      (c) => {
        fault(c, { activity: 'restoreFromSrcCluster', mode: 'failPermanently' });
        fault(c, { activity: 'setClusterFailure', mode: 'delay', delayMs: 4000 });
      },
      { end: 'Failed', target: 'kept' },
    ),
    {
      matrix: 'crash',
      name: 'Snapshot tiup process SIGKILLed mid deploy',
      strategy: 'Snapshot',
      exclusive: true,
      async run(c) {
        const { handle } = await c.clone('Snapshot');
        await c.until(running('deployCluster'), 'deploy running');
        let pids: number[] = [];
        for (let i = 0; i < 100 && !pids.length; i++) {
          pids = tiupPids(c.targetId, 'deploy');
          if (!pids.length) await sleep(50);
        }
        for (const pid of pids) process.kill(pid, 'SIGKILL');
        await handle?.result().catch(() => undefined);
        return { end: 'Finished' };
      },
    },
    {
      matrix: 'crash',
      name: 'CDCSync Temporal dev server restarted mid clone',
      strategy: 'CDCSync',
      exclusive: true,
      async run(c) {
        const { handle } = await c.clone('CDCSync');
        await c.until(running('deployCluster'), 'deploy running');
        await c.stack.restartTemporal();
        await c.stack.client.workflow.getHandle(c.workflowId).result().catch(() => undefined);
        void handle;
        return { end: 'Finished' };
      },
    },
  ];
}

function correlatedCases(outageMs: number, reconcileMs: number): ChaosCase[] {
  return [
    {
      matrix: 'correlated',
      name: `Snapshot source TiDB unreachable for ${Math.round(outageMs / 60_000)} min during compensation`,
      strategy: 'Snapshot',
      timeoutMs: outageMs + 10 * 60_000,
      async run(c) {
        // The target fails once GC is held; the source's TiDB goes away before the compensation.
        fault(c, { activity: 'deployCluster', mode: 'failPermanently', delayMs: 6000 });
        const { handle } = await c.clone('Snapshot');
        await c.until(done('modifySourceClusterGCTime'), 'GC held');
        await tiup(c, ['cluster', 'stop', c.source.id, '-R', 'tidb', '--yes']);
        try {
          await c.until((p) => p.nodes.find((n) => n.name === 'modifySourceClusterGCTime')?.status === 'compensating', 'GC release retrying');
          await sleep(outageMs);
        } finally {
          await tiup(c, ['cluster', 'start', c.source.id, '-R', 'tidb', '--yes']);
        }
        await handle?.result().catch(() => undefined);
        return { end: 'Failed', target: 'kept' };
      },
    },
    {
      matrix: 'correlated',
      name: 'CDCSync clone terminated mid flight: the reconciler repairs it within one period',
      strategy: 'CDCSync',
      async run(c) {
        const { handle } = await c.clone('CDCSync');
        await c.until((p) => p.nodes.find((n) => n.name === 'modifySourceClusterGCTime')?.status === 'done' && running('deployCluster')(p), 'GC held, deploy running');
        await handle?.terminate('chaos: terminated mid flight');
        const deadline = Date.now() + reconcileMs + 60_000;
        while (Date.now() < deadline) {
          const src = await c.stack.store.getCluster(c.source.id);
          const holds = await c.stack.store.listGcHolds({ sourceClusterId: c.source.id, active: true });
          if (!src?.maintenanceStatus && !holds.length) break;
          await sleep(1000);
        }
        // A terminated clone ran nothing: its target, deployed or not, is repaired as "died without compensation".
        const deployed = (await c.stack.sim.clusters()).some((x) => x.name === c.targetId);
        return { end: 'Terminated', target: deployed ? 'kept' : 'released' };
      },
    },
  ];
}

/** `tiup` of the simulator, as an operator on the control host would run it. */
async function tiup(c: CaseContext, args: string[]): Promise<void> {
  execFileSync(c.stack.simulator.tiupBin, args, { env: { ...process.env, ...c.stack.simulator.env, TIUP_HOME: `${c.stack.dir}/tiup` }, stdio: 'ignore' });
}

async function api(c: CaseContext, method: string, path: string, body?: unknown): Promise<{ status: number; json: { code: number; message: string; data: Record<string, string> } }> {
  const res = await fetch(`${c.stack.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${c.stack.apiToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: (await res.json()) as never };
}

function concurrencyCases(): ChaosCase[] {
  return [
    {
      matrix: 'concurrency',
      name: '20 simultaneous clones of one source: one admitted, 19 × 20114, no orphan row',
      strategy: 'TopologyClone',
      async run(c) {
        c.secret(DEMO_PASSWORD);
        // Rows of this case's names only: the reconciler may remove another case's row meanwhile.
        const ours = async () => (await c.stack.store.listClusters()).filter((x) => x.name.startsWith(`race-${c.targetId}-`)).length;
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) => api(c, 'POST', '/api/v1/clusters/clone', { ...demoCloneRequest({ clusterName: `race-${c.targetId}-${i}`, cloneStrategy: 'TopologyClone', sourceClusterId: c.source.id }) })),
        );
        const accepted = answers.filter((a) => a.json.code === 0);
        const conflicts = answers.filter((a) => a.json.code === 20114 && a.status === 409);
        const extra: string[] = [];
        if (accepted.length !== 1 || conflicts.length !== 19) extra.push(`admitted ${accepted.length}, 20114 × ${conflicts.length}: ${answers.map((a) => a.json.code).join(',')}`);
        const rows = await ours();
        if (rows !== accepted.length) extra.push(`${rows} new cluster rows for ${accepted.length} admitted clone(s)`);
        // The one admitted clone is this case's clone from here on.
        const winner = accepted[0]?.json.data;
        if (winner) await c.stack.client.workflow.getHandle(winner.workFlowId).result().catch(() => undefined);
        if (extra.length) throw new Error(extra.join('; '));
        adopt(c, winner?.clusterId);
        return { end: 'Finished' };
      },
    },
    {
      matrix: 'concurrency',
      name: 'the same requestId 20 times at once: one clone',
      strategy: 'TopologyClone',
      async run(c) {
        c.secret(DEMO_PASSWORD);
        const requestId = `chaos-${c.targetId}`;
        const body = { ...demoCloneRequest({ clusterName: `idem-${c.targetId}`, cloneStrategy: 'TopologyClone', sourceClusterId: c.source.id }), requestId };
        const answers = await Promise.all(Array.from({ length: 20 }, () => api(c, 'POST', '/api/v1/clusters/clone', body)));
        const ids = new Set(answers.map((a) => `${a.json.code}:${a.json.data?.workFlowId}`));
        if (ids.size !== 1 || !answers.every((a) => a.json.code === 0)) throw new Error(`answers: ${[...ids].join(', ')}`);
        const { workFlowId, clusterId } = answers[0]!.json.data;
        const runs = await c.stack.client.workflow.list({ query: `WorkflowId = '${workFlowId}'` });
        let n = 0;
        for await (const _ of runs) n++;
        if (n !== 1) throw new Error(`${n} workflow executions for one requestId`);
        await c.stack.client.workflow.getHandle(workFlowId).result().catch(() => undefined);
        adopt(c, clusterId);
        return { end: 'Finished' };
      },
    },
    {
      matrix: 'concurrency',
      name: 'a clone and a force delete of its target at once',
      strategy: 'Snapshot',
      async run(c) {
        const started = c.clone('Snapshot');
        // Either the delete finds no cluster yet (404, the clone goes on) or it cancels the clone
        // and deletes the target after its compensation.
        const [del] = await Promise.all([
          (async () => {
            for (let i = 0; i < 100; i++) {
              const r = await api(c, 'DELETE', `/api/v1/clusters/${c.targetId}?force=true`);
              if (r.json.code !== 10003) return r;
              await sleep(20);
            }
            return undefined;
          })(),
          started,
        ]);
        const handle = c.stack.client.workflow.getHandle(c.workflowId);
        await handle.result().catch(() => undefined);
        if (!del) return { end: 'Finished' };
        await c.stack.client.workflow.getHandle(del.json.data.workFlowId).result().catch(() => undefined);
        if (await c.stack.store.getCluster(c.targetId)) throw new Error('the forced delete left the target row');
        const left = await c.stack.store.listAllocations(c.targetId);
        if (left.length) throw new Error('the forced delete left the hosts allocated');
        return { end: 'Canceled', target: 'deleted' };
      },
    },
  ];
}

/** A case whose clone was admitted through the API under another id: check and clean that one. */
function adopt(c: CaseContext, clusterId: string | undefined): void {
  if (!clusterId) return;
  (c as { targetId: string }).targetId = clusterId;
  (c as { workflowId: string }).workflowId = workflowIds.clone(clusterId);
}

/**
 * Requests generated from the OpenAPI document (hostile-input.ts) against the API, while a clone
 * hung on its backup holds the source: whatever passes every check meets 20114, so nothing is
 * admitted and nothing may be left behind; the worker must not restart.
 */
function generatedInputCase(cases: number): ChaosCase {
  let violations: string[] = [];
  return {
    matrix: 'hostile input',
    name: `${cases} requests generated from the OpenAPI document, the source locked by a hung clone`,
    strategy: 'Snapshot',
    // Alone: it checks that no row anywhere changed, which other cases' clones would.
    exclusive: true,
    timeoutMs: 20 * 60_000,
    async run(c) {
      await c.stack.sim.addFault({ op: 'br.backup', cluster: c.source.id, mode: 'hang', times: 'always' });
      const { handle } = await c.clone('Snapshot');
      // Everything else of the hung clone done: from here on no row may change.
      await c.until((p) => running('backupSourceCluster')(p) && done('adjustParameters')(p), 'the backup hanging, the target branch done');
      const restarts = c.stack.workerRestarts;
      const result = await runHostileInput({ apiUrl: c.stack.apiUrl, token: c.stack.apiToken, lockedSourceId: c.source.id, store: c.stack.store, cases });
      violations = [...result.violations];
      if (result.survived !== result.cases) violations.push(`${result.cases - result.survived} of ${result.cases} requests answered wrongly: ${result.failures.slice(0, 5).map((f) => f.name).join('; ')}`);
      if (!c.stack.workerAlive() || c.stack.workerRestarts !== restarts) violations.push('the worker restarted');
      await c.stack.sim.clearFaults();
      await handle?.cancel();
      await handle?.result().catch(() => undefined);
      return { end: 'Canceled', target: 'kept' };
    },
    async check() {
      return violations;
    },
  };
}

/** Names and passwords full of what shells and SQL treat specially: the clone works, nothing breaks. */
function metacharacterCases(): ChaosCase[] {
  const odd: [string, string][] = [
    [`x'; DROP TABLE clusters; --`, `P'a"s$(w)d;--1`],
    ['$(touch /tmp/pwned) `id` | & > <', 'пароль-密码-🔑x'],
    ['クラスター-ü-🚀 "quoted"', `\\'\\"%_*?!{}[]`],
  ];
  return odd.map(([name, password], i) => ({
    matrix: 'hostile input' as const,
    name: `TopologyClone named ${JSON.stringify(name)} with a metacharacter password (${i + 1})`,
    strategy: 'TopologyClone' as const,
    async run(c: CaseContext) {
      const { handle } = await c.clone('TopologyClone', { clusterName: name, dbPassword: password });
      await handle?.result();
      const target = await c.stack.store.getCluster(c.targetId);
      const tidb = target?.instances.find((x) => x.component === 'TiDB');
      const s = await createTidbSqlClient().connect({ host: tidb!.hostIp, port: tidb!.ports[0]!, user: 'root', password });
      await s.close();
      if (target?.name !== name) throw new Error(`name stored as ${JSON.stringify(target?.name)}`);
      return { end: 'Finished' } as Expected;
    },
  }));
}

export interface MatrixOptions {
  ci: boolean;
  /** Source TiDB outage during compensation. */
  outageMs: number;
  reconcileMs: number;
}

export function allCases(o: MatrixOptions): ChaosCase[] {
  const cases = [
    ...faultCases(),
    ...cancellationCases(),
    ...crashCases(),
    ...correlatedCases(o.outageMs, o.reconcileMs),
    ...concurrencyCases(),
    ...metacharacterCases(),
    generatedInputCase(o.ci ? 300 : 3000),
  ];
  if (!o.ci) return cases;
  // CI: a short, representative subset — every matrix, every strategy, both kinds of fault.
  const pick = new Set([
    'Snapshot backup: transient',
    'CDCSync syncIncrData: transient',
    'TopologyClone startMaintenance: transient',
    'Snapshot deployCluster: permanent',
    'CDCSync waitChangefeedCatchUp: permanent',
    'Snapshot prepareResource: permanent',
    `CDCSync recoverSourceClusterGCTime: down for ${OUTAGE_ATTEMPTS} attempts`,
    'Snapshot undo destroyCluster (after backup failed): transient',
    'Snapshot sim: BR restore killed at 50% (resumes)',
    'CDCSync sim: tiup deploy killed at 50%',
    'Snapshot cancel inside modifySourceClusterGCTime',
    'CDCSync cancel inside syncIncrData',
    'TopologyClone cancel inside end',
    'Snapshot cancel during compensation (ignored: compensation completes)',
    'CDCSync worker SIGKILL mid deploy',
    'Snapshot worker SIGKILL mid compensation',
    'Snapshot tiup process SIGKILLed mid deploy',
  ]);
  return cases.filter((c) => pick.has(c.name) || c.matrix === 'correlated' || c.matrix === 'concurrency' || (c.matrix === 'hostile input' && !c.name.endsWith('(2)') && !c.name.endsWith('(3)')));
}
