// buildLogConfig: a filebeat input (module tidb) per host of a cluster, pushed with TiUP (TiEM §8.5).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { CloneActivities } from './types.js';
import type { ActivityDeps } from './deps.js';
import { requireCluster, tiupNameOf } from './cluster-access.js';
import { cancellationSignal, runWithHeartbeat } from './heartbeat.js';

type LogActivities = Pick<CloneActivities, 'collectLogConfig'>;

/** Roles whose logs filebeat collects, and the file each writes in its log directory. */
const LOG_FILES: Record<string, string> = { tidb: 'tidb.log', pd: 'pd.log', tikv: 'tikv.log', tiflash: 'tiflash.log', cdc: 'cdc.log' };
export const FILEBEAT_INPUT_PATH = 'conf/input_tidb.yml';
/** Pushes running at once (each is an SSH session of TiUP's). */
const PUSH_CONCURRENCY = 8;

/** Filebeat module config for one host: one fileset per component with its log paths. */
export function renderFilebeatInput(logs: { role: string; path: string }[]): string {
  const filesets: Record<string, { enabled: boolean; 'var.paths': string[] }> = {};
  for (const { role, path } of logs) {
    filesets[role] ??= { enabled: true, 'var.paths': [] };
    if (!filesets[role]['var.paths'].includes(path)) filesets[role]['var.paths'].push(path);
  }
  return stringify([{ module: 'tidb', ...filesets }]);
}

type Obj = Record<string, unknown>;
const SERVERS: Record<string, string> = { tidb: 'tidb_servers', pd: 'pd_servers', tikv: 'tikv_servers', tiflash: 'tiflash_servers', cdc: 'cdc_servers' };

/**
 * An instance's log directory as TiUP sets it (pingcap/tiup pkg/cluster/spec/spec.go setCustomDefaults,
 * parse_topology.go expandRelativePath): its own `log_dir` (relative to its deploy dir), else an
 * absolute `global.log_dir` + `/<role>-<port>`, else `global.log_dir` (default "log") under the deploy dir.
 */
export function instanceLogDir(topology: Obj, role: string, host: string, port: number, deployDir: string): string {
  const under = (dir: string) => (dir.startsWith('/') ? dir : `${deployDir.replace(/\/+$/, '')}/${dir}`);
  const servers = (topology[SERVERS[role] ?? ''] ?? []) as Obj[];
  const own = servers.find((s) => s.host === host && [s.port, s.client_port].includes(port))?.log_dir;
  if (typeof own === 'string' && own) return under(own);
  const global = ((topology.global ?? {}) as Obj).log_dir;
  if (typeof global === 'string' && global.startsWith('/')) return `${global.replace(/\/+$/, '')}/${role}-${port}`;
  return under(typeof global === 'string' && global ? global : 'log');
}

export function createLogActivities(deps: ActivityDeps): LogActivities {
  return {
    // Idempotent: renders and pushes the same file again, overwriting it.
    async collectLogConfig({ clusterId }) {
      const cluster = await requireCluster(deps, clusterId);
      const name = tiupNameOf(clusterId);
      const display = await deps.tiup.display(name, { signal: cancellationSignal() });
      const topology = (parse(await deps.tiup.showConfig(name, { signal: cancellationSignal() })) ?? {}) as Obj;
      const byHost = new Map<string, { role: string; path: string }[]>();
      for (const inst of display.instances) {
        const file = LOG_FILES[inst.role];
        if (!file) continue;
        // Fall back to TiEM's layout when TiUP does not report the deploy dir.
        const ours = cluster.instances.find((i) => i.hostIp === inst.host && i.ports[0] === inst.Port);
        const deployDir = inst.deploy_dir || (ours ? `${ours.diskPath.replace(/\/+$/, '')}/${clusterId}/${inst.role}-deploy` : '');
        if (!deployDir) continue;
        const logs = byHost.get(inst.host) ?? [];
        logs.push({ role: inst.role, path: `${instanceLogDir(topology, inst.role, inst.host, inst.Port, deployDir)}/${file}` });
        byHost.set(inst.host, logs);
      }
      const dir = await mkdtemp(join(tmpdir(), 'tiem-filebeat-'));
      try {
        // Hosts at once (a few at a time): a large cluster must not take hosts × one SSH round trip.
        const hosts = [...byHost];
        const pushOne = async ([host, logs]: [string, { role: string; path: string }[]]) => {
          const file = join(dir, `input_tidb-${host}.yml`);
          await writeFile(file, renderFilebeatInput(logs), 'utf8');
          await runWithHeartbeat('push', (opts) => deps.tiup.push(name, file, FILEBEAT_INPUT_PATH, { ...opts, nodes: [host] }));
        };
        const workers = Array.from({ length: Math.min(PUSH_CONCURRENCY, hosts.length) }, async () => {
          for (let next = hosts.shift(); next; next = hosts.shift()) await pushOne(next);
        });
        await Promise.all(workers);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
