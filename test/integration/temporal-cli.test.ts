// The `temporal` CLI as an operator uses it (the real binary): the namespace setup script on a dev
// server without our search attributes; then on the embedded stack a clone started with
// `temporal workflow start` and a plain JSON input, found with a search-attribute query, its
// progress queried through the codec server, and a Snapshot clone cancelled during its backup.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { newClusterId } from '../../client/clone.js';
import type { CloneProgress } from '../../domain/types.js';
import { demoCloneRequest } from '../../embedded/demo-fleet.js';
import type { EmbeddedStack } from '../../embedded/stack.js';
import { startDevServer, temporalCliPath, type DevServer } from '../../embedded/temporal-server.js';
import { createEncryptionCodec } from '../../security/codec.js';
import { startCodecServer } from '../../security/codec-server.js';
import { eventually, SOURCE, startTestStack } from './helpers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'tiem-temporal-cli-'));

/** Runs the real temporal CLI against `address`; never throws (the exit code is asserted). */
async function temporal(address: string, args: string[]) {
  return execa(temporalCliPath(), [...args, '--address', address], { reject: false, stdin: 'ignore', timeout: 60_000 });
}

function json<T>(r: { exitCode?: number; stdout: string; stderr: string }, what: string): T {
  if (r.exitCode !== 0) throw new Error(`${what} exited ${r.exitCode}: ${r.stderr || r.stdout}`);
  return JSON.parse(r.stdout) as T;
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}
const unb64 = (s = '') => Buffer.from(s, 'base64').toString('utf8');

describe('scripts/setup-temporal-namespace.ts', () => {
  let server: DevServer;
  const setup = (namespace: string) =>
    execa(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'scripts', 'setup-temporal-namespace.ts')], {
      reject: false,
      cwd: root,
      env: { TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: namespace },
    });
  const listSearchAttributes = async (namespace: string) =>
    (await temporal(server.address, ['operator', 'search-attribute', 'list', '-n', namespace])).stdout;
  const visibilityQuery = (namespace: string) =>
    temporal(server.address, ['workflow', 'list', '-n', namespace, '--query', `TiemSourceClusterId="${SOURCE.id}"`]);

  beforeAll(async () => {
    server = await startDevServer({ registerSearchAttributes: false, logFile: join(tmp, 'bare-temporal.log') });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('registers the four Keyword attributes, then finds nothing to do', async () => {
    expect((await visibilityQuery('default')).exitCode).not.toBe(0); // unknown attribute before setup

    const first = await setup('default');
    expect(first.exitCode).toBe(0);
    for (const name of ['TiemClusterId', 'TiemSourceClusterId', 'TiemCloneStrategy', 'TiemCloneStep']) {
      expect(first.stdout).toContain(`+ ${name} added`);
      expect(await listSearchAttributes('default')).toMatch(new RegExp(`${name}\\s+Keyword`));
    }
    expect((await visibilityQuery('default')).exitCode).toBe(0);

    const again = await setup('default');
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('= TiemCloneStep already registered');
    expect(again.stdout).toContain('nothing to do');
  });

  test('registers a missing namespace with the configured retention, then its attributes', async () => {
    const r = await execa(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'scripts', 'setup-temporal-namespace.ts')], {
      reject: false,
      cwd: root,
      env: { TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'tiem-prod', TEMPORAL_NAMESPACE_RETENTION: '7d' },
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('+ namespace tiem-prod registered (retention 7d)');
    const described = await temporal(server.address, ['operator', 'namespace', 'describe', '-n', 'tiem-prod']);
    expect(described.stdout).toMatch(/WorkflowExecutionRetentionTtl\s+168h0m0s/);
    expect(await listSearchAttributes('tiem-prod')).toMatch(/TiemCloneStep\s+Keyword/);
    expect((await setup('tiem-prod')).stdout).not.toContain('registered (retention');
  });

  test('refuses an attribute that exists with another type, changing nothing', async () => {
    const create = await temporal(server.address, ['operator', 'namespace', 'create', '-n', 'conflict']);
    expect(create.exitCode).toBe(0);
    await eventually(async () => ((await temporal(server.address, ['operator', 'search-attribute', 'create', '-n', 'conflict', '--name', 'TiemCloneStep', '--type', 'Text'])).exitCode === 0 ? true : undefined), 30_000, 'namespace conflict');

    const r = await setup('conflict');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('TiemCloneStep exists as TEXT, the clone workflow needs KEYWORD');
    expect(await listSearchAttributes('conflict')).not.toContain('TiemClusterId');
  });
});

describe('temporal CLI against the embedded stack', () => {
  let stack: EmbeddedStack;
  let codecServer: Server;
  let codecArgs: string[];
  const token = randomBytes(16).toString('hex');
  const cli = (args: string[]) => temporal(stack.temporal.address, args);
  const progress = async (workflowId: string) =>
    json<{ queryResult: CloneProgress[] }>(await cli(['workflow', 'query', '--workflow-id', workflowId, '--name', 'progress', ...codecArgs, '-o', 'json']), 'workflow query').queryResult[0];
  const startedInput = async (workflowId: string) => {
    const history = json<{ events: { workflowExecutionStartedEventAttributes?: { input: { payloads: JsonPayload[] } } }[] }>(
      await cli(['workflow', 'show', '--workflow-id', workflowId, '-o', 'json']),
      'workflow show',
    );
    return history.events[0].workflowExecutionStartedEventAttributes!.input.payloads[0];
  };

  beforeAll(async () => {
    stack = await startTestStack(9);
    // The production shape: a codec server behind a bearer token, used with --codec-endpoint/--codec-auth.
    codecServer = await startCodecServer({ codec: createEncryptionCodec(stack.config.codecKey!), token, port: 0 });
    codecArgs = ['--codec-endpoint', `http://127.0.0.1:${(codecServer.address() as AddressInfo).port}`, '--codec-auth', `Bearer ${token}`];
  });
  afterAll(async () => {
    codecServer?.closeAllConnections();
    await new Promise<void>((r) => (codecServer ? codecServer.close(() => r()) : r()));
    await stack?.stop();
  });

  test('temporal workflow start with a JSON input file clones; list --query finds it; query progress', async () => {
    const clusterId = newClusterId();
    const workflowId = `clone-${clusterId}`;
    const request = demoCloneRequest({ clusterName: 'cli-topology', cloneStrategy: 'TopologyClone' });
    const inputFile = join(tmp, 'topology.json');
    writeFileSync(inputFile, JSON.stringify({ request }, null, 2));

    const started = await cli(['workflow', 'start', '--type', 'cloneCluster', '--task-queue', 'tiem-clone', '--workflow-id', workflowId, '--input-file', inputFile, '-o', 'json']);
    expect(json<{ workflowId: string }>(started, 'workflow start').workflowId).toBe(workflowId);

    // the workflow upserts its search attributes: visibility finds it by source cluster
    const listed = await eventually(async () => {
      const rows = json<{ execution: { workflowId: string }; type: { name: string }; searchAttributes: { indexedFields: Record<string, JsonPayload> } }[]>(
        await cli(['workflow', 'list', '--query', `TiemSourceClusterId="${SOURCE.id}"`, '-o', 'json']),
        'workflow list',
      );
      return rows.find((r) => r.execution.workflowId === workflowId);
    }, 30_000, 'the clone in a TiemSourceClusterId query');
    expect(listed.type.name).toBe('cloneCluster');
    expect(JSON.parse(unb64(listed.searchAttributes.indexedFields.TiemClusterId.data))).toBe(clusterId);
    expect(JSON.parse(unb64(listed.searchAttributes.indexedFields.TiemCloneStrategy.data))).toBe('TopologyClone');

    // progress through the codec server: TiEM's node list
    const p = await progress(workflowId);
    expect(p.nodes.map((n) => n.name)).toEqual(expect.arrayContaining(['startMaintenance', 'deployCluster', 'end']));
    expect(p.nodes.find((n) => n.name === 'startMaintenance')!.status).toBe('done');
    // without the codec the query result is ciphertext
    const raw = json<{ queryResult: { payloads: JsonPayload[] } }>(await cli(['workflow', 'query', '--workflow-id', workflowId, '--name', 'progress', '-o', 'json']), 'raw query');
    expect(unb64(raw.queryResult.payloads[0].metadata!.encoding)).toBe('binary/encrypted');

    const result = json<{ status: string; closeEvent: { workflowExecutionCompletedEventAttributes: { result: { clusterId: string }[] } } }>(
      await cli(['workflow', 'result', '--workflow-id', workflowId, ...codecArgs, '-o', 'json']),
      'workflow result',
    );
    expect(result.status).toBe('COMPLETED');
    expect(result.closeEvent.workflowExecutionCompletedEventAttributes.result[0].clusterId).toBe(clusterId);
    expect((await progress(workflowId)).status).toBe('Finished');
    expect((await stack.store.getCluster(clusterId))!.status).toBe('Running');

    // started without the codec, the input (with dbPassword) is plain JSON in history (docs/temporal.md)
    const input = await startedInput(workflowId);
    expect(unb64(input.metadata!.encoding)).toBe('json/plain');
    expect(unb64(input.data)).toContain(request.dbPassword);
  });

  test('temporal workflow cancel during the backup compensates: GC restored, locks cleared, status Canceled', async () => {
    await stack.sim.addFault({ op: 'br.backup', mode: 'hang', times: 'always' });
    try {
      const clusterId = newClusterId();
      const workflowId = `clone-${clusterId}`;
      const request = demoCloneRequest({ clusterName: 'cli-snapshot-cancel', cloneStrategy: 'Snapshot' });
      // --codec-endpoint on start: the CLI encrypts the input, so the password is not in history
      const started = await cli(['workflow', 'start', '--type', 'cloneCluster', '--task-queue', 'tiem-clone', '--workflow-id', workflowId, '--input', JSON.stringify({ request }), ...codecArgs]);
      expect(started.exitCode).toBe(0);
      const input = await startedInput(workflowId);
      expect(unb64(input.metadata!.encoding)).toBe('binary/encrypted');
      expect(Buffer.from(input.data ?? '', 'base64').includes(request.dbPassword)).toBe(false);

      await eventually(async () => ((await progress(workflowId)).nodes.find((n) => n.name === 'backupSourceCluster')?.status === 'running' ? true : undefined), 60_000, 'the backup to run');
      await eventually(async () => ((await stack.sim.cluster(SOURCE.id)).gcLifeTime === '720h0m0s' ? true : undefined), 30_000, 'GC life time 720h0m0s');
      expect((await stack.store.getCluster(SOURCE.id))!.maintenanceStatus).toBe('BeingCloned');

      expect((await cli(['workflow', 'cancel', '--workflow-id', workflowId])).exitCode).toBe(0);
      const result = await cli(['workflow', 'result', '--workflow-id', workflowId, ...codecArgs, '-o', 'json']);
      expect(JSON.parse(result.stdout).status).toBe('CANCELED');
      const described = json<{ workflowExecutionInfo: { status: string } }>(await cli(['workflow', 'describe', '--workflow-id', workflowId, '-o', 'json']), 'workflow describe');
      expect(described.workflowExecutionInfo.status).toBe('WORKFLOW_EXECUTION_STATUS_CANCELED');

      expect((await stack.sim.cluster(SOURCE.id)).gcLifeTime).toBe('10m0s');
      expect((await stack.store.getCluster(SOURCE.id))!.maintenanceStatus).toBe('');
      const target = await stack.store.getCluster(clusterId);
      expect(target?.maintenanceStatus ?? '').toBe('');
      const p = await progress(workflowId);
      expect(p.status).toBe('Canceled');
      expect(p.nodes.find((n) => n.name === 'recoverSourceClusterGCTime')!.status).toBe('done');
    } finally {
      await stack.sim.clearFaults();
    }
  });
});
