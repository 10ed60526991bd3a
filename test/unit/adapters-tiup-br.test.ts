import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBrClient } from '../../adapters/br.js';
import { createTiupClient } from '../../adapters/tiup.js';
import { ToolError, type BrProgressLine } from '../../adapters/types.js';

const fakeTiup = fileURLToPath(new URL('../fixtures/fake-tools/fake-tiup.mjs', import.meta.url));

interface Invocation {
  argv: string[];
  tiupHome: string;
  topologyFile?: string;
  topology?: string;
}

let dir: string;
let recordFile: string;
const invocations = (): Invocation[] =>
  existsSync(recordFile)
    ? readFileSync(recordFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Invocation)
    : [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'adapters-test-'));
  recordFile = join(dir, 'calls.jsonl');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const tiupClient = () =>
  createTiupClient({
    tiupBin: fakeTiup,
    tiupHome: join(dir, 'tiup-home'),
    sshUser: 'tidb',
    sshKeyPath: '/home/tidb/.ssh/tiup_rsa',
    env: { FAKE_TIUP_RECORD: recordFile },
    tmpDir: dir,
  });

describe('tiup client', () => {
  it('lists clusters from JSON surrounded by wrapper noise, with TIUP_HOME set', async () => {
    const clusters = await tiupClient().list();
    expect(clusters).toEqual([expect.objectContaining({ name: 'c1', version: 'v7.5.1' })]);
    expect(invocations()).toEqual([{ argv: ['cluster', 'list', '--format', 'json'], tiupHome: join(dir, 'tiup-home') }]);
  });

  it('deploys from a temp topology file that is removed afterwards', async () => {
    const yaml = 'global:\n  user: tidb\npd_servers:\n  - host: 127.0.2.11\n';
    await tiupClient().deploy('clone-1', 'v7.5.1', yaml);
    const [call] = invocations();
    expect(call.argv).toEqual([
      'cluster', 'deploy', 'clone-1', 'v7.5.1', call.topologyFile,
      '--user', 'tidb', '-i', '/home/tidb/.ssh/tiup_rsa', '--wait-timeout', '600', '--yes',
    ]);
    expect(call.topology).toBe(yaml);
    expect(call.topologyFile!.startsWith(dir)).toBe(true);
    expect(existsSync(call.topologyFile!)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('tiup-topology-'))).toEqual([]);
  });

  it('maps a duplicate deploy to ToolError with tiup-cluster’s error, and still removes the topology file', async () => {
    const err = (await tiupClient().deploy('dup', 'v7.5.1', 'global: {}\n').catch((e: unknown) => e)) as ToolError;
    expect(err).toBeInstanceOf(ToolError);
    expect(err.toolError).toBe("Cluster name 'dup' is duplicated");
    expect(existsSync(invocations()[0].topologyFile!)).toBe(false);
  });

  it('parses display JSON', async () => {
    const d = await tiupClient().display('c1');
    expect(d.cluster_meta.cluster_version).toBe('v7.5.1');
    expect(d.instances.map((i) => [i.role, i.status, i.Port])).toEqual([
      ['pd', 'Up|L|UI', 2379],
      ['tidb', 'Up', 4000],
    ]);
    await expect(tiupClient().display('missing')).rejects.toThrow('Cluster missing not found');
  });

  it('builds the start, stop, destroy, reload, edit-config, push and show-config command lines', async () => {
    const c = tiupClient();
    await c.start('c1');
    await c.stop('c1');
    await c.destroy('c1', { force: true });
    await c.destroy('c2');
    await c.reload('c1', { roles: ['tikv', 'pd'], nodes: ['127.0.2.11:20160'], skipRestart: true });
    await c.editConfig('c1', 'global: {}\n');
    await c.push('c1', '/tmp/a.conf', '/etc/a.conf', { nodes: ['127.0.2.11:4000'] });
    const config = await c.showConfig('c1');
    const calls = invocations();
    expect(calls.map((x) => x.argv)).toEqual([
      ['cluster', 'start', 'c1', '--wait-timeout', '360', '--yes'],
      ['cluster', 'stop', 'c1', '--yes'],
      ['cluster', 'destroy', 'c1', '--force', '--yes'],
      ['cluster', 'destroy', 'c2', '--yes'],
      ['cluster', 'reload', 'c1', '-R', 'tikv,pd', '-N', '127.0.2.11:20160', '--skip-restart', '--yes'],
      ['cluster', 'edit-config', 'c1', '--topology-file', calls[5].topologyFile, '--yes'],
      ['cluster', 'push', 'c1', '/tmp/a.conf', '/etc/a.conf', '-N', '127.0.2.11:4000'],
      ['cluster', 'show-config', 'c1'],
    ]);
    expect(calls[5].topology).toBe('global: {}\n');
    expect(config).toContain('storage.block-cache.capacity: 1GB');
  });

  it('refuses names that could be flags or paths', async () => {
    const c = tiupClient();
    expect(() => c.clusterDir('../etc')).toThrow(/invalid tiup cluster name/);
    await expect(c.start('--help')).rejects.toThrow(/invalid tiup cluster name/);
    await expect(c.reload('c1', { nodes: ['-x'] })).rejects.toThrow(/invalid node/);
    expect(c.clusterDir('c1')).toBe(join(dir, 'tiup-home', 'storage', 'cluster', 'clusters', 'c1'));
    expect(invocations()).toEqual([]);
  });
});

describe('br client', () => {
  const storage = 's3://backups/clone/b1?access-key=AKIA123&secret-access-key=TOPSECRET&endpoint=http://127.0.0.1:9000';

  const brClient = (extraEnv: Record<string, string> = {}, logDir?: string) =>
    createBrClient({ tiupBin: fakeTiup, tiupHome: join(dir, 'tiup-home'), env: { FAKE_TIUP_RECORD: recordFile, ...extraEnv }, logDir, logPollMs: 50 });

  it('runs backup full with the version-pinned component, reports progress and parses the summary', async () => {
    const progress: BrProgressLine[] = [];
    const lines: string[] = [];
    const r = await brClient({}, dir).backupFull({
      version: 'v7.5.1',
      pd: '127.0.2.11:2379',
      storage,
      rateLimitMiBps: 120,
      onProgress: (p) => progress.push(p),
      onLine: (_s, l) => lines.push(l),
    });
    expect(r.backupTs).toBe('449506925178880001');
    expect(r.sizeBytes).toBe(314572800);
    expect(r.summary).toContain('Full Backup success summary');
    expect(progress).toEqual(expect.arrayContaining([{ step: 'Full Backup', percent: 50 }, { step: 'Full Backup', percent: 75.5 }]));
    const [call] = invocations();
    const logFile = call.argv[call.argv.indexOf('--log-file') + 1];
    expect(call.argv).toEqual(['br:v7.5.1', 'backup', 'full', '--pd', '127.0.2.11:2379', '--storage', storage, '--ratelimit', '120', '--log-file', logFile]);
    expect(logFile.startsWith(dir)).toBe(true); // kept in logDir
    expect(lines.join('\n')).not.toContain('TOPSECRET');
    expect(lines.join('\n')).toContain('s3://backups/clone/b1?***');
  });

  it('restores, reading the summary from the log file and BackupTS from backupmeta', async () => {
    const r = await brClient({ FAKE_BR_SUMMARY_IN_LOG: '1' }).restoreFull({ version: '7.5.1', pd: '127.0.2.31:2379', storage, withSysTable: false });
    expect(r.sizeBytes).toBe(1_500_000_000); // total-kv-size wins over the compressed size
    expect(r.summary).toContain('Full Restore success summary');
    expect(r.backupTs).toBe('449506925178880001'); // from validate decode
    const calls = invocations();
    expect(calls[0].argv.slice(0, 8)).toEqual(['br:v7.5.1', 'restore', 'full', '--pd', '127.0.2.31:2379', '--storage', storage, '--with-sys-table=false']);
    const logFile = calls[0].argv[calls[0].argv.indexOf('--log-file') + 1];
    expect(existsSync(logFile)).toBe(false); // temp log removed without logDir
    expect(calls[1].argv).toEqual(['br:v7.5.1', 'validate', 'decode', '--field=end-version', '--storage', storage]);
  });

  it('fails with a ToolError that does not reveal the storage keys', async () => {
    const failing = 's3://backups/fail?secret-access-key=TOPSECRET';
    const err = (await brClient().backupFull({ version: 'v7.5.1', pd: 'pd:2379', storage: failing }).catch((e: unknown) => e)) as ToolError;
    expect(err).toBeInstanceOf(ToolError);
    expect(err.exitCode).toBe(1);
    expect(err.message).toContain('br failed');
    expect(`${err.message}\n${err.stderrTail}\n${err.stdoutTail}`).not.toContain('TOPSECRET');
  });

  it('decodes end-version as the last stdout line, undefined when there is no backup', async () => {
    const br = brClient();
    await expect(br.decodeEndVersion({ version: 'v7.5.1', storage })).resolves.toBe('449506925178880001');
    await expect(br.decodeEndVersion({ version: 'v7.5.1', storage: 's3://backups/empty' })).resolves.toBeUndefined();
  });

  it('rejects a malformed version or rate limit before running anything', async () => {
    await expect(brClient().backupFull({ version: 'latest; rm', pd: 'pd:2379', storage })).rejects.toThrow(/invalid BR version/);
    await expect(brClient().backupFull({ version: 'v7.5.1', pd: 'pd:2379', storage, rateLimitMiBps: 0 })).rejects.toThrow(/rate limit/);
    expect(invocations()).toEqual([]);
  });
});
