// End to end failure paths: faults injected in the simulated tools; compensation (spec §5.3)
// checked in the simulator and the metadata store.
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { CloneRejectedError, startClone } from '../../client/clone.js';
import { demoCloneRequest } from '../../embedded/demo-fleet.js';
import type { EmbeddedStack } from '../../embedded/stack.js';
import { eventually, node, runClone, SOURCE, startTestStack, type CloneRun } from './helpers.js';

let stack: EmbeddedStack;

beforeAll(async () => {
  stack = await startTestStack(3);
});

afterAll(async () => {
  await stack?.stop();
});

afterEach(async () => {
  await stack.sim.clearFaults();
});

/** What every ending path guarantees for the source: GC back, lock released. */
async function expectSourceRestored() {
  expect((await stack.sim.cluster(SOURCE.id)).gcLifeTime).toBe('10m0s');
  expect((await stack.store.getCluster(SOURCE.id))!.maintenanceStatus).toBe('');
}

async function expectTargetFailed(run: CloneRun) {
  const target = (await stack.store.getCluster(run.clusterId))!;
  expect(target.status).toBe('Failure');
  expect(target.maintenanceStatus).toBe('');
}

test('a failure in the backup: resources released, target Failure, source put back', async () => {
  // A BR refusal no retry can fix (the retryable kind is retried by Temporal and resumes).
  await stack.sim.addFault({ op: 'br.backup', cluster: SOURCE.id, mode: 'fail', times: 'always', message: '[BR:Common:ErrVersionMismatch]version mismatch: injected by the test' });
  const run = await runClone(stack, 'Snapshot');
  const failure = run.error!.cause as ApplicationFailure;
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure.type).toBe('TOOL_REJECTED');
  expect(failure.message).toContain('version mismatch');
  expect(run.progress.error?.code).toBe(21399);
  expect(node(run.progress, 'backupSourceCluster').status).toBe('failed');

  await expectSourceRestored();
  await expectTargetFailed(run);
  // TiEM `fail`: the hosts go back to the pool
  expect(await stack.store.listAllocations(run.clusterId)).toHaveLength(0);
  const hosts = await stack.store.listHosts();
  expect(hosts.every((h) => h.freeCpuCores === h.cpuCores || h.loadStat !== 'LoadLess')).toBe(true);
  // a target deployed meanwhile (parallel branch) held no data: it was destroyed, not left running
  expect((await stack.sim.clusters()).map((c) => c.name)).not.toContain(run.clusterId);
  expect(node(run.progress, 'prepareResource').status).toBe('compensated');
  // the backup record says Failed
  const backupNode = node(run.progress, 'backupSourceCluster');
  expect(backupNode.result.join('\n')).toContain('version mismatch');
  expect(run.progress.compensationErrors).toEqual([]);
});

test('a failure after deploy: resources kept, target Failure, changefeed removed', async () => {
  // The changefeed never catches up (threshold 1 ms); once it exists, TiCDC reports it failed.
  let changefeedSeen = false;
  const run = await runClone(stack, 'CDCSync', {
    options: { cdcLagThresholdMs: 1 },
    whileRunning: async ({ clusterId }) => {
      const cfId = `clone-${clusterId}`;
      await eventually(async () => ((await stack.sim.cluster(SOURCE.id)).changefeeds.some((c) => c.id === cfId) ? true : undefined), 60_000, 'the changefeed');
      changefeedSeen = true;
      await stack.sim.setChangefeedState(cfId, 'failed', '[CDC:ErrProcessorUnknown]injected by the test', 'CDC:ErrProcessorUnknown');
    },
  });
  expect(changefeedSeen).toBe(true);
  const failure = run.error!.cause as ApplicationFailure;
  expect(failure.type).toBe('CHANGE_FEED_EXECUTE_ERROR');
  expect(node(run.progress, 'syncIncrData').status).toBe('compensated');

  await expectSourceRestored();
  await expectTargetFailed(run);
  // TiEM `failAfterDeploy`: the deployed target and its hosts stay for inspection
  expect((await stack.store.listAllocations(run.clusterId)).flatMap((a) => a.instances)).toHaveLength(6);
  expect((await stack.sim.cluster(run.clusterId)).status).toBe('Up');
  // the changefeed, its task and the StandBy relation are gone
  expect((await stack.sim.cluster(SOURCE.id)).changefeeds.map((c) => c.id)).not.toContain(`clone-${run.clusterId}`);
  expect((await stack.store.getRelations(run.clusterId)).masters).toEqual([]);
  expect((await stack.store.getChangefeedTask(`clone-${run.clusterId}`))?.status ?? 'Deleted').toBe('Deleted');
});

test('cancelling a running clone runs the compensation', async () => {
  await stack.sim.addFault({ op: 'br.backup', cluster: SOURCE.id, mode: 'hang', times: 'always' });
  const run = await runClone(stack, 'Snapshot', {
    whileRunning: async ({ workflowId }) => {
      // cancel while `tiup br backup` is running (hung)
      const brRunning = async () => (await stack.sim.operations({ op: 'br.backup', cluster: SOURCE.id })).find((o) => o.exitCode === undefined);
      await eventually(async () => ((await brRunning()) ? true : undefined), 60_000, 'the BR backup process');
      await stack.client.workflow.getHandle(workflowId).cancel();
    },
  });
  expect(run.error!.cause).toBeInstanceOf(CancelledFailure);
  expect(run.progress.status).toBe('Canceled');
  await expectSourceRestored();
  await expectTargetFailed(run);
  // the hung BR process was killed (SIGTERM → 143), not left behind
  const backups = await stack.sim.operations({ op: 'br.backup', cluster: SOURCE.id });
  expect(backups.at(-1)!.exitCode).toBe(143);
  expect(node(run.progress, 'backupSourceCluster').status).toBe('failed');
});

test('admission: a second clone of a source under maintenance is refused with 20114 and leaves nothing behind', async () => {
  await stack.sim.addFault({ op: 'br.backup', cluster: SOURCE.id, mode: 'hang', times: 'always' });
  const before = (await stack.store.listClusters()).length;
  const first = await startClone(stack.client, demoCloneRequest({ clusterName: 'it-admission-first', cloneStrategy: 'Snapshot' }));
  const second = await startClone(stack.client, demoCloneRequest({ clusterName: 'it-admission-second', cloneStrategy: 'Snapshot' })).catch((e: unknown) => e);
  expect(second).toBeInstanceOf(CloneRejectedError);
  expect((second as CloneRejectedError).code).toBe(20114);
  expect((second as CloneRejectedError).httpStatus).toBe(409);
  expect((await stack.store.listClusters()).length).toBe(before + 1);
  expect(await stack.store.findClusterByName('it-admission-second')).toBeUndefined();
  await first.handle.cancel();
  await first.handle.result().catch(() => undefined);
  await expectSourceRestored();
});

test('admission: the same requestId returns the same clone, also after it ended', async () => {
  const request = { ...demoCloneRequest({ clusterName: 'it-idempotent', cloneStrategy: 'TopologyClone' }), requestId: 'req-it-idempotent-1' };
  const a = await startClone(stack.client, request);
  const b = await startClone(stack.client, request);
  expect(b.workflowId).toBe(a.workflowId);
  await a.handle.result();
  const c = await startClone(stack.client, request);
  expect(c.clusterId).toBe(a.clusterId);
  expect((await stack.store.listClusters()).filter((x) => x.name === 'it-idempotent')).toHaveLength(1);
  const dup = await startClone(stack.client, { ...request, requestId: 'req-it-idempotent-2' }).catch((e: unknown) => e);
  expect((dup as CloneRejectedError).code).toBe(20101); // same name, new request: DUPLICATED_NAME
});
