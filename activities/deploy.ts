// The target's TiUP life cycle: topology, deploy, keys and meta snapshot, start, health, destroy.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TiemError } from '../domain/errors.js';
import { renderTopology } from '../domain/topology.js';
import type { CloneActivities } from './types.js';
import type { ActivityDeps } from './deps.js';
import { connectWithAnyPassword, requireCluster, tidbEndpoint, tiupNameOf, withSession } from './cluster-access.js';
import { isAccessDenied } from './errors.js';
import { cancellationSignal, heartbeat, pollSleep, runWithHeartbeat } from './heartbeat.js';

type DeployActivities = Pick<
  CloneActivities,
  'buildConfig' | 'deployCluster' | 'syncConnectionKey' | 'syncTopology' | 'startCluster' | 'setClusterOnline' | 'destroyCluster'
>;

const NEW_COLLATIONS = 'new_collations_enabled_on_first_bootstrap';

function isUp(status: string): boolean {
  return /^(up|healthy)/i.test(status);
}

export function createDeployActivities(deps: ActivityDeps): DeployActivities {
  const { store, tiup, config } = deps;

  async function readClusterFile(clusterId: string, relative: string, what: string): Promise<string> {
    const path = join(tiup.clusterDir(tiupNameOf(clusterId)), relative);
    let content: string;
    try {
      content = await readFile(path, 'utf8');
    } catch {
      throw new TiemError('CONNECT_TIDB_ERROR', `${what} failed for cluster ${clusterId}`);
    }
    if (!content.trim()) throw new TiemError('CONNECT_TIDB_ERROR', `${what} failed for cluster ${clusterId}`);
    return content;
  }

  /** Does TiDB answer SQL? Root has no password on a fresh cluster, or the stored one after initRootAccount. */
  async function tidbAnswers(clusterId: string): Promise<string | undefined> {
    const cluster = await requireCluster(deps, clusterId);
    const root = await store.getClusterUser(clusterId, 'root');
    try {
      const session = await connectWithAnyPassword(deps, tidbEndpoint(deps, cluster), 'root', ['', root?.password]);
      try {
        await session.ping();
      } finally {
        await session.close().catch(() => undefined);
      }
      return undefined;
    } catch (err) {
      if (cancellationSignal()?.aborted) throw err;
      return isAccessDenied(err) ? 'TiDB refused root' : `TiDB does not answer SQL yet`;
    }
  }

  /**
   * Settings TiDB reads only at first bootstrap must match the source before the target starts,
   * or the restored indexes and collations disagree with the data (BR compatibility notes).
   */
  async function bootstrapSettingsOf(sourceClusterId: string): Promise<Record<string, Record<string, unknown>> | undefined> {
    const source = await requireCluster(deps, sourceClusterId);
    const root = await store.getClusterUser(sourceClusterId, 'root');
    if (!root) return undefined;
    const rows = await withSession(deps, { ...tidbEndpoint(deps, source), user: 'root', password: root.password }, (s) =>
      s.showConfig({ type: 'tidb', name: NEW_COLLATIONS }),
    );
    const value = rows[0]?.value;
    return value === undefined ? undefined : { tidb: { [NEW_COLLATIONS]: value === 'true' || value === '1' } };
  }

  return {
    // Idempotent: a pure rendering of the stored target instances, its allocation's global ports and
    // the source's bootstrap-only settings (read, never changed).
    async buildConfig({ targetClusterId, allocationRequestId, sourceClusterId }) {
      const cluster = await requireCluster(deps, targetClusterId);
      const instances = cluster.instances.filter((i) => i.status === 'Initializing');
      if (!instances.length) throw new TiemError('PARAMETER_INVALID', 'cluster topology is empty, please check it!');
      const allocation = allocationRequestId
        ? await store.getAllocation(allocationRequestId)
        : (await store.listAllocations(targetClusterId)).find((a) => a.globalPorts.length >= 2);
      if (!allocation || allocation.globalPorts.length < 2) {
        throw new TiemError('SYSTEM_MISSING_DATA', `no global ports allocated for cluster ${targetClusterId}`);
      }
      const topologyYaml = renderTopology({
        clusterId: targetClusterId,
        version: cluster.version,
        arch: cluster.cpuArchitecture,
        tls: cluster.tls,
        deployUser: config.deployUser,
        sshPort: config.sshPort,
        region: cluster.region,
        instances,
        globalPorts: allocation.globalPorts,
        serverConfigs: sourceClusterId ? await bootstrapSettingsOf(sourceClusterId) : undefined,
      });
      return { topologyYaml };
    },

    // Idempotent: `tiup cluster list` first; a cluster already deployed under this name (same version) is not deployed again.
    async deployCluster({ targetClusterId, version, topologyYaml }) {
      const name = tiupNameOf(targetClusterId);
      const existing = (await tiup.list({ signal: cancellationSignal() })).find((c) => c.name === name);
      if (existing) {
        if (existing.version !== version) {
          throw new TiemError('TOOL_REJECTED', `tiup cluster ${name} already exists with version ${existing.version}, not ${version}`);
        }
        return [`cluster ${name} is already deployed, skip deploy`];
      }
      await runWithHeartbeat('deploy', (opts) => tiup.deploy(name, version, topologyYaml, opts));
      return [`deploy cluster ${name} with version ${version} succeed`];
    },

    // Idempotent: reads TiUP's files and upserts the snapshot.
    async syncConnectionKey({ targetClusterId }) {
      const privateKey = await readClusterFile(targetClusterId, 'ssh/id_rsa', 'sync connection private key');
      const publicKey = await readClusterFile(targetClusterId, 'ssh/id_rsa.pub', 'sync connection public key');
      await store.saveTopologySnapshot({ clusterId: targetClusterId, privateKey, publicKey });
    },

    // Idempotent: reads meta.yaml and upserts the snapshot.
    async syncTopology({ targetClusterId }) {
      const metaYaml = await readClusterFile(targetClusterId, 'meta.yaml', 'read meta.yaml');
      await store.saveTopologySnapshot({ clusterId: targetClusterId, metaYaml });
    },

    // Idempotent: `tiup cluster start` of a started cluster succeeds and changes nothing.
    async startCluster({ targetClusterId }) {
      const name = tiupNameOf(targetClusterId);
      await runWithHeartbeat('start', (opts) => tiup.start(name, opts));
      return [`start cluster ${name} succeed`];
    },

    // Idempotent: waits for health, then absolute status SETs.
    async setClusterOnline({ targetClusterId }) {
      const name = tiupNameOf(targetClusterId);
      const deadline = Date.now() + config.healthTimeoutMs;
      let poll = 0;
      for (;;) {
        poll += 1;
        let problem: string | undefined;
        try {
          const display = await tiup.display(name, { signal: cancellationSignal() });
          const down = display.instances.filter((i) => !isUp(i.status));
          if (down.length) problem = `instances not up: ${down.map((i) => `${i.id} ${i.status}`).join(', ')}`;
        } catch (err) {
          if (cancellationSignal()?.aborted) throw err;
          problem = `tiup cluster display failed: ${err instanceof Error ? err.message : String(err)}`;
        }
        problem ??= await tidbAnswers(targetClusterId);
        const details = { poll, problem: problem ?? 'healthy' };
        heartbeat(details);
        if (!problem) break;
        if (Date.now() >= deadline) {
          // TASK_FAILED is retryable: the next attempt waits again.
          throw new TiemError('TASK_FAILED', `cluster ${name} is not healthy after ${config.healthTimeoutMs} ms: ${problem}`);
        }
        await pollSleep(config.pollIntervalMs, details);
      }
      await store.setInstancesStatus(targetClusterId, 'Running');
      await store.setClusterStatus(targetClusterId, 'Running');
      return [`cluster ${name} is healthy after ${poll} check(s)`, `set cluster ${targetClusterId} online`];
    },

    // Idempotent: destroys only when `tiup cluster list` still has the name; releasing by holder gives back what is left.
    async destroyCluster({ targetClusterId }) {
      const name = tiupNameOf(targetClusterId);
      const lines: string[] = [];
      const deployed = (await tiup.list({ signal: cancellationSignal() })).some((c) => c.name === name);
      if (deployed) {
        await runWithHeartbeat('destroy', (opts) => tiup.destroy(name, { ...opts, force: true }));
        lines.push(`destroy cluster ${name} succeed`);
      } else {
        lines.push(`cluster ${name} is not deployed, nothing to destroy`);
      }
      const released = await store.releaseByHolder(targetClusterId);
      lines.push(released ? `release ${released} resource allocation(s) of cluster ${targetClusterId}` : 'no allocated resource found');
      return lines;
    },
  };
}
