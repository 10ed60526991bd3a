// TiUP cluster client: `tiup cluster <subcommand> …` with the command lines of tidb-tooling.md §A.1.
// Every call passes --yes where the command can prompt; stdin is closed so a prompt fails fast.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool, type ToolResult } from './process.js';
import type { LeaseTimings } from './tool-lease.js';
import { parseTiupJson } from './tiup-output.js';
import { ToolError, type RunOptions, type TiupClient, type TiupClusterListEntry, type TiupDisplay } from './types.js';

export { parseTiupJson, parseTiupErrorLine, type TiupErrorLine } from './tiup-output.js';

export interface TiupClientOptions {
  tiupBin: string;
  tiupHome: string;
  sshUser: string;
  sshKeyPath: string;
  env?: Record<string, string>;
  /** Where deploy/edit-config write their temporary topology files. */
  tmpDir?: string;
  /** Process timeout when the caller gives none. Default: none. */
  defaultTimeoutMs?: number;
  /** Seconds passed as --wait-timeout to deploy (default 600, TiEM's LongTiupTimeOut) and start (360). */
  deployWaitTimeoutSec?: number;
  startWaitTimeoutSec?: number;
  /** Timings of the per-operation leases under $TIUP_HOME/tiem-leases (tool-lease.ts). */
  lease?: LeaseTimings;
}

/** Subcommands that change nothing: they take no lease and may run beside anything. */
const READ_ONLY = new Set(['list', 'display', 'show-config', 'check']);

// tiup-cluster names end up in paths under TIUP_HOME and on argv: no separators, no leading dash.
const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const NODE_OR_ROLE = /^[A-Za-z0-9][A-Za-z0-9._:\[\]-]*$/;

function checkName(name: string): string {
  if (!CLUSTER_NAME.test(name)) throw new Error(`invalid tiup cluster name: ${JSON.stringify(name)}`);
  return name;
}

function checkList(kind: string, items: string[]): string {
  for (const item of items) {
    if (!NODE_OR_ROLE.test(item)) throw new Error(`invalid ${kind}: ${JSON.stringify(item)}`);
  }
  return items.join(',');
}

/**
 * One lease per cluster for what changes its life cycle (a destroy must not run beside an
 * orphaned deploy), one per cluster and node for a push (pushes to different hosts are
 * independent). args[0] is the cluster name of every mutating subcommand.
 */
function leaseKey(sub: string, args: string[]): string {
  const name = checkName(args[0] ?? '');
  if (sub !== 'push') return `cluster-${name}`;
  const n = args.indexOf('-N');
  return `cluster-${name}-push-${n >= 0 ? args[n + 1] : 'all'}`.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** Drops the `tiup` wrapper's own leading lines, should it print them on stdout. */
function stripWrapperNoise(stdout: string): string {
  const lines = stdout.split('\n');
  let i = 0;
  while (i < lines.length && /^(Starting component|tiup is checking updates|A new version of)/.test(lines[i])) i++;
  return lines.slice(i).join('\n');
}

export function createTiupClient(opts: TiupClientOptions): TiupClient {
  const env = { ...opts.env, TIUP_HOME: opts.tiupHome };

  const leaseDir = join(opts.tiupHome, 'tiem-leases');

  /** Every mutating subcommand (deploy, start, stop, destroy, reload, edit-config, push, scale-*…) runs under a lease. */
  const cluster = (sub: string, args: string[], run: RunOptions = {}): Promise<ToolResult> =>
    runTool(opts.tiupBin, ['cluster', sub, ...args], {
      env,
      signal: run.signal,
      onLine: run.onLine,
      timeoutMs: run.timeoutMs ?? opts.defaultTimeoutMs,
      displayName: `tiup cluster ${sub}`,
      lease: READ_ONLY.has(sub) ? undefined : { ...opts.lease, dir: leaseDir, key: leaseKey(sub, args) },
    });

  /** Writes a topology to a private temp file for the duration of `fn`. */
  async function withTopologyFile<T>(yaml: string, fn: (file: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(opts.tmpDir ?? tmpdir(), 'tiup-topology-'));
    try {
      const file = join(dir, 'topology.yaml');
      await writeFile(file, yaml, { mode: 0o600 });
      return await fn(file);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  return {
    clusterDir(name) {
      return join(opts.tiupHome, 'storage', 'cluster', 'clusters', checkName(name));
    },

    async list(run) {
      const { stdout } = await cluster('list', ['--format', 'json'], run);
      const parsed = parseTiupJson<{ clusters?: TiupClusterListEntry[] | null }>(stdout);
      return parsed.clusters ?? [];
    },

    async deploy(name, version, topologyYaml, run) {
      checkName(name);
      await withTopologyFile(topologyYaml, (file) =>
        cluster(
          'deploy',
          [name, version, file, '--user', opts.sshUser, '-i', opts.sshKeyPath,
            '--wait-timeout', String(opts.deployWaitTimeoutSec ?? 600), '--yes'],
          run,
        ),
      );
    },

    async start(name, run) {
      await cluster('start', [checkName(name), '--wait-timeout', String(opts.startWaitTimeoutSec ?? 360), '--yes'], run);
    },

    async stop(name, run) {
      await cluster('stop', [checkName(name), '--yes'], run);
    },

    async display(name, run) {
      const { stdout } = await cluster('display', [checkName(name), '--format', 'json'], run);
      const parsed = parseTiupJson<TiupDisplay>(stdout);
      if (!parsed.cluster_meta || !Array.isArray(parsed.instances)) {
        throw new Error(`tiup cluster display ${name}: unexpected JSON shape`);
      }
      return parsed;
    },

    async destroy(name, o = {}) {
      await cluster('destroy', [checkName(name), ...(o.force ? ['--force'] : []), '--yes'], o);
    },

    async showConfig(name, run) {
      const { stdout } = await cluster('show-config', [checkName(name)], run);
      return stripWrapperNoise(stdout);
    },

    async editConfig(name, topologyYaml, run) {
      checkName(name);
      const r = await withTopologyFile(topologyYaml, (file) => cluster('edit-config', [name, '--topology-file', file, '--yes'], run));
      // A refused edit exits 0 too, saying why and "Nothing changed." (pkg/cluster/manager/edit_config.go).
      if (/New topology could not be saved|^Nothing changed\.?$/m.test(r.stdout)) {
        const why = r.stderrTail.split('\n').filter((l: string) => l.trim() && !/Starting component/.test(l)).pop() ?? 'no reason given';
        throw new ToolError(`tiup cluster edit-config ${name} did not save the topology: ${why}`, r.exitCode, r.stdoutTail, r.stderrTail, `edit-config refused: ${why}`);
      }
    },

    async reload(name, o = {}) {
      const args = [checkName(name)];
      if (o.roles?.length) args.push('-R', checkList('role', o.roles));
      if (o.nodes?.length) args.push('-N', checkList('node', o.nodes));
      if (o.skipRestart) args.push('--skip-restart');
      await cluster('reload', [...args, '--yes'], o);
    },

    async push(name, localPath, remotePath, o = {}) {
      const args = [checkName(name), localPath, remotePath];
      if (o.nodes?.length) args.push('-N', checkList('node', o.nodes));
      await cluster('push', args, o);
    },
  };
}
