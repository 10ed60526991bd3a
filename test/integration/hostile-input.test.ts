// The chaos suite's hostile-input matrix (test/chaos/hostile-input.ts) against the real stack with
// its HTTP API (net 17). A clone hung on its BR backup holds the source's maintenance lock, so a
// request that passes every check meets 20114 and nothing the matrix sends can be admitted.
// HOSTILE_CASES and HOSTILE_SEED override the number of generated requests and the seed.
import type { CloneProgress } from '../../domain/types.js';
import { DEMO_SOURCE, demoCloneRequest } from '../../embedded/demo-fleet.js';
import type { EmbeddedStack } from '../../embedded/stack.js';
import { runHostileInput } from '../chaos/hostile-input.js';
import { eventually, startTestStack } from './helpers.js';

const NET = 17;
const TOKEN = 'hostile-input-token-0123456789abcdef';
const CASES = Number(process.env.HOSTILE_CASES ?? 300);
const SEED = process.env.HOSTILE_SEED ? Number(process.env.HOSTILE_SEED) : undefined;

let stack: EmbeddedStack | undefined;
let hungWorkflowId: string | undefined;

beforeAll(async () => {
  stack = await startTestStack(NET, {
    api: { tokens: [TOKEN] },
    // every refused clone fails its admission activity: the SDK's WARN line for each is noise here
    logLevel: 'ERROR',
  });
  await stack.sim.addFault({ op: 'br.backup', cluster: DEMO_SOURCE.id, mode: 'hang', times: 'always' });
  const res = await fetch(`${stack.apiUrl}/api/v1/clusters/clone`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(demoCloneRequest({ clusterName: 'hostile-hung-clone', cloneStrategy: 'Snapshot' })),
  });
  const answer = (await res.json()) as { data: { workFlowId: string } };
  expect(res.status).toBe(200);
  hungWorkflowId = answer.data.workFlowId;
  // The matrix compares rows before and after: wait until the hung clone has done all it can
  // (BR hangs, the target branch waits at the join), so any change is the matrix's doing.
  const handle = stack.client.workflow.getHandle(hungWorkflowId);
  await eventually(
    async () => {
      const p = await handle.query<CloneProgress>('progress');
      const status = (n: string) => p.nodes.find((x) => x.name === n)?.status;
      if (p.status !== 'Running') throw new Error(`the hung clone ended: ${JSON.stringify(p.error)}`);
      return status('backupSourceCluster') === 'running' && status('adjustParameters') === 'done' ? true : undefined;
    },
    120_000,
    'the hung clone to settle',
  );
}, 240_000);

afterAll(async () => {
  if (!stack) return;
  await stack.sim.clearFaults().catch(() => undefined);
  if (hungWorkflowId) {
    // cancel, and let the compensation finish before the stack goes away
    const handle = stack.client.workflow.getHandle(hungWorkflowId);
    await handle.cancel().catch(() => undefined);
    await Promise.race([handle.result().catch(() => undefined), new Promise((r) => setTimeout(r, 60_000))]);
  }
  await stack.stop();
}, 120_000);

test('hostile input: envelopes only, no undocumented 5xx, no hang, nothing admitted or left behind', async () => {
  const started = Date.now();
  const result = await runHostileInput({ apiUrl: stack!.apiUrl!, token: TOKEN, lockedSourceId: DEMO_SOURCE.id, store: stack!.store, cases: CASES, seed: SEED });
  const report = result.failures.map((f) => `✗ ${f.name}${f.workflowId ? ` [${f.workflowId}]` : ''}\n    ${f.detail.replace(/\n/g, '\n    ')}`);
  console.log(`${result.matrix}: ${result.survived}/${result.cases} cases survived in ${((Date.now() - started) / 1000).toFixed(1)} s${report.length ? `\n${report.join('\n')}` : ''}`);
  expect(result.violations).toEqual([]);
  expect(result.survived).toBe(result.cases);
}, 240_000);
