// Replays recorded histories of cloneCluster against the current workflow code: a change that
// alters the command sequence of running clones fails here (put it behind patched()).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';

const here = dirname(fileURLToPath(import.meta.url));
const workflowsPath = join(here, '..', '..', 'workflows', 'index.ts');
const dir = join(here, '..', 'fixtures', 'histories');
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.json'));

test('there are recorded histories to replay', () => {
  expect(fixtures.length).toBeGreaterThanOrEqual(3);
});

test.each(fixtures)('replays %s', async (file) => {
  const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
  const workflowId = file.split('.').at(-2)!; // <name>.<workflowId>.json
  await Worker.runReplayHistory({ workflowsPath, replayName: file }, history, workflowId);
});
