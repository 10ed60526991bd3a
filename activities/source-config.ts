// copySourceConfig: the target gets the source's live configuration (domain/source-config.ts says
// what is copied): component settings through TiUP's server_configs and a reload of the changed
// roles, global variables with SET GLOBAL. BR never restores mysql.global_variables, and a
// taken-over source has no parameter rows, so neither the restore nor syncParameters carries them.
import { parse } from 'yaml';
import { TidbSqlError } from '../adapters/tidb-sql.js';
import { planConfigCopy, type ConfigComponent } from '../domain/source-config.js';
import { mergeServerConfigs } from '../domain/topology.js';
import type { ClusterWithInstances } from '../domain/types.js';
import type { CloneActivities } from './types.js';
import type { ActivityDeps } from './deps.js';
import { requireCluster, tiupNameOf, withClusterUser } from './cluster-access.js';
import { cancellationSignal, logWarning, runWithHeartbeat } from './heartbeat.js';

type SourceConfigActivities = Pick<CloneActivities, 'copySourceConfig'>;

const COMPONENT_KINDS: Record<string, ConfigComponent> = { TiDB: 'tidb', TiKV: 'tikv', PD: 'pd', TiFlash: 'tiflash', CDC: 'cdc' };

/** `{ raftstore: { apply-pool-size: 4 } }` and `{ "raftstore.apply-pool-size": 4 }` alike → dotted names. */
export function flattenConfig(value: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flattenConfig(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out[prefix] = value;
  return out;
}

function componentsOf(cluster: ClusterWithInstances): ConfigComponent[] {
  return [...new Set(cluster.instances.map((i) => COMPONENT_KINDS[i.component]).filter((c): c is ConfigComponent => Boolean(c)))];
}

export function createSourceConfigActivities(deps: ActivityDeps): SourceConfigActivities {
  const { tiup, store } = deps;

  const readLive = (cluster: ClusterWithInstances) =>
    withClusterUser(deps, cluster, 'root', async (s) => ({ showConfig: await s.showConfig(), globals: await s.globalVariables() }));

  return {
    // Idempotent: the plan compares with what the target runs now, and every write is an absolute value.
    async copySourceConfig({ sourceClusterId, targetClusterId, holder }) {
      const source = await requireCluster(deps, sourceClusterId);
      const target = await requireCluster(deps, targetClusterId);
      const signal = cancellationSignal();
      const sourceTopology = parse(await tiup.showConfig(tiupNameOf(source.id), { signal })) as { server_configs?: Record<string, unknown> } | null;
      const serverConfigs = Object.fromEntries(Object.entries(sourceTopology?.server_configs ?? {}).map(([k, v]) => [k, flattenConfig(v)]));
      const [sourceLive, targetLive] = [await readLive(source), await readLive(target)];
      const hold = (await store.listGcHolds({ sourceClusterId, active: true })).find((h) => h.holder === holder);
      const plan = planConfigCopy({
        sameVersion: source.version === target.version,
        sourceServerConfigs: serverConfigs,
        targetComponents: componentsOf(target),
        sourceShowConfig: sourceLive.showConfig,
        targetShowConfig: targetLive.showConfig,
        sourceGlobals: sourceLive.globals,
        targetGlobals: targetLive.globals,
        sourceGcLifeTime: hold?.original,
      });
      const lines: string[] = [];
      if (plan.config.length) {
        const name = tiupNameOf(target.id);
        let topology = await tiup.showConfig(name, { signal });
        for (const c of plan.config) topology = mergeServerConfigs(topology, c.component, c.name, c.value);
        await runWithHeartbeat('edit-config', (opts) => tiup.editConfig(name, topology, opts));
        const roles = [...new Set(plan.config.map((c) => c.component))].sort();
        await runWithHeartbeat('reload', (opts) => tiup.reload(name, { ...opts, roles }));
        lines.push(...plan.config.map((c) => `copy ${c.component} ${c.name} = ${JSON.stringify(c.value)}`), `reload ${roles.join(', ')}`);
      }
      if (plan.globals.length) {
        await withClusterUser(deps, target, 'root', async (s) => {
          for (const g of plan.globals) {
            try {
              await s.setGlobalVariable(g.name, g.value);
              lines.push(`copy variable ${g.name} = ${g.value}`);
            } catch (err) {
              // The target's TiDB answered no (a value its version does not take): listed, not retried.
              if (!(err instanceof TidbSqlError) || err.errno === undefined) throw err;
              plan.leftOut.push({ what: `variable ${g.name}`, reason: `the target refused ${g.value}: ${err.message}` });
            }
          }
        });
      }
      for (const l of plan.leftOut) lines.push(`left out ${l.what}: ${l.reason}`);
      if (!plan.config.length && !plan.globals.length) lines.unshift('the source runs nothing the target does not: nothing to copy');
      if (plan.leftOut.length) logWarning('source configuration partly copied', { sourceClusterId, targetClusterId, leftOut: plan.leftOut.length });
      return lines;
    },
  };
}
