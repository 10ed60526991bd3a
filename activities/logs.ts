// buildLogConfig: a filebeat input (module tidb) per host of a cluster, pushed with TiUP (TiEM §8.5).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { CloneActivities } from './types.js';
import type { ActivityDeps } from './deps.js';
import { requireCluster } from './cluster-access.js';
import { cancellationSignal, runWithHeartbeat } from './heartbeat.js';
import { tiupNameOf } from './deploy.js';

type LogActivities = Pick<CloneActivities, 'collectLogConfig'>;

/** Roles whose logs filebeat collects, and the file each writes under `<deploy_dir>/log/`. */
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

export function createLogActivities(deps: ActivityDeps): LogActivities {
  return {
    // Idempotent: renders and pushes the same file again, overwriting it.
    async collectLogConfig({ clusterId }) {
      const cluster = await requireCluster(deps, clusterId);
      const name = tiupNameOf(clusterId);
      const display = await deps.tiup.display(name, { signal: cancellationSignal() });
      const byHost = new Map<string, { role: string; path: string }[]>();
      for (const inst of display.instances) {
        const file = LOG_FILES[inst.role];
        if (!file) continue;
        // Fall back to TiEM's layout when TiUP does not report the deploy dir.
        const ours = cluster.instances.find((i) => i.hostIp === inst.host && i.ports[0] === inst.Port);
        const deployDir = inst.deploy_dir || (ours ? `${ours.diskPath.replace(/\/+$/, '')}/${clusterId}/${inst.role}-deploy` : '');
        if (!deployDir) continue;
        const logs = byHost.get(inst.host) ?? [];
        logs.push({ role: inst.role, path: `${deployDir.replace(/\/+$/, '')}/log/${file}` });
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
