// The reconciler end to end: a clone terminated mid-flight (no compensation runs) leaves the
// source at 720h, both locks and its hosts; `tiem reconcile --dry-run` lists exactly that and
// changes nothing; `tiem reconcile` repairs it, the source first; `tiem reconcile history` lists
// the repairs. The real binary, the real API, the real worker, the simulator.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { createApiServer } from '../../api/server.js';
import type { ReconcileReport, RepairRecord } from '../../client/api-types.js';
import { followClone, startClone } from '../../client/clone.js';
import { demoCloneRequest } from '../../embedded/demo-fleet.js';
import type { EmbeddedStack } from '../../embedded/stack.js';
import { progressQuery } from '../../workflows/definitions.js';
import { eventually, SOURCE, startTestStack } from './helpers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TOKEN = 'reconciler-test-token-0123456789';

let stack: EmbeddedStack;
let app: Awaited<ReturnType<typeof createApiServer>>;
let apiUrl: string;

beforeAll(async () => {
  // No schedule: the test runs the reconciler itself.
  stack = await startTestStack(19, { workerEnv: { TIEM_RECONCILE_INTERVAL: '0s' } });
  app = createApiServer({ client: stack.client, store: stack.store, tokens: [TOKEN] });
  apiUrl = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app?.close();
  await stack?.stop();
});

function tiem(args: string[]) {
  return execa('node', [join(ROOT, 'bin', 'tiem.mjs'), ...args], {
    reject: false,
    env: { TIEM_API_URL: apiUrl, TIEM_API_TOKEN: TOKEN },
    extendEnv: true,
    timeout: 120_000,
  });
}

test('a terminated clone: dry run lists what it left, the run repairs it, history lists the repairs', async () => {
  await stack.sim.addFault({ op: 'br.backup', cluster: SOURCE.id, mode: 'hang' });
  const started = await startClone(stack.client, demoCloneRequest({ clusterName: 'reconciled-1', cloneStrategy: 'Snapshot' }));
  await eventually(async () => {
    const p = await started.handle.query(progressQuery);
    // Deployed, so its hosts stay with it (kept, as failAfterDeploy): the orphans are the GC hold and the locks.
    return p.nodes.find((n) => n.name === 'backupSourceCluster')?.status === 'running' && p.nodes.find((n) => n.name === 'deployCluster')?.status === 'done' ? true : undefined;
  }, 60_000, 'the backup to run and the target to be deployed');
  await started.handle.terminate('operator terminated it');
  await stack.sim.clearFaults();
  expect((await stack.sim.cluster(SOURCE.id)).gcLifeTime).toBe('720h0m0s');
  expect((await stack.store.getCluster(SOURCE.id))!.maintenanceStatus).toBe('BeingCloned');

  const dry = await tiem(['reconcile', '--dry-run']);
  expect(dry.exitCode).toBe(0);
  expect(dry.stdout).toContain('dry run, nothing changed');
  for (const text of ['gcHold', `restore tidb_gc_life_time of ${SOURCE.id} to 10m0s`, 'maintenanceLock', `clear BeingCloned of ${SOURCE.id}`, 'TERMINATED']) expect(dry.stdout).toContain(text);
  const dryJson = JSON.parse((await tiem(['reconcile', '--dry-run', '--json'])).stdout) as ReconcileReport;
  expect(dryJson.dryRun).toBe(true);
  expect(dryJson.repairs).toEqual([]);
  expect(dryJson.orphans.map((o) => o.kind)).toEqual(['gcHold', 'maintenanceLock', 'maintenanceLock']);
  // Nothing changed.
  expect((await stack.sim.cluster(SOURCE.id)).gcLifeTime).toBe('720h0m0s');

  const run = await tiem(['reconcile', '--json']);
  expect(run.exitCode).toBe(0);
  const report = JSON.parse(run.stdout) as ReconcileReport;
  expect(report.repairs.map((r) => [r.kind, r.outcome])).toEqual([
    ['gcHold', 'repaired'],
    ['maintenanceLock', 'repaired'],
    ['maintenanceLock', 'repaired'],
  ]);
  expect((await stack.sim.cluster(SOURCE.id)).gcLifeTime).toBe('10m0s');
  expect(await stack.store.listGcHolds({ active: true })).toEqual([]);
  const target = (await stack.store.getCluster(started.clusterId))!;
  expect([target.status, target.maintenanceStatus]).toEqual(['Failure', '']);
  expect((await stack.store.getCluster(SOURCE.id))!.maintenanceStatus).toBe('');

  const history = await tiem(['reconcile', 'history', '--json']);
  const repairs = JSON.parse(history.stdout) as RepairRecord[];
  expect(repairs.filter((r) => r.holder === started.workflowId && r.outcome === 'repaired')).toHaveLength(3);
  expect((await tiem(['reconcile', 'history'])).stdout).toContain(`restored to 10m0s`);
  // Nothing is left for a second run; a new clone of the source is admitted again.
  expect(JSON.parse((await tiem(['reconcile', '--dry-run', '--json'])).stdout).orphans).toEqual([]);
  const again = await startClone(stack.client, demoCloneRequest({ clusterName: 'reconciled-2', cloneStrategy: 'TopologyClone' }));
  await expect(followClone(again.handle, () => undefined, 250)).resolves.toMatchObject({ clusterId: again.clusterId });
}, 180_000);
