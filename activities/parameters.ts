// Parameter group, parameter sync, max-replicas and backup strategy steps, and the four
// activities of the modifyParameters child (validate → modify → refresh → persist, TiEM §5.3).
import { TiemError } from '../domain/errors.js';
import { findParameter, parameterValueProblem, type ParamComponent, type ParameterDefinition } from '../domain/parameters.js';
import { mergeServerConfigs, typedConfigValue } from '../domain/topology.js';
import type { ClusterWithInstances, ComponentType } from '../domain/types.js';
import type { ClusterParameter } from '../metadata/types.js';
import type { CloneActivities, ModifyParametersInput } from './types.js';
import type { ActivityDeps } from './deps.js';
import { managementUser, requireCluster, tiupNameOf, withClusterUser } from './cluster-access.js';
import { cancellationSignal, runWithHeartbeat, logWarning } from './heartbeat.js';

type ParameterActivities = Pick<
  CloneActivities,
  | 'applyParameterGroup'
  | 'syncBackupStrategy'
  | 'syncParameters'
  | 'adjustParameters'
  | 'validationParameter'
  | 'failParameter'
  | 'modifyParameter'
  | 'refreshParameter'
  | 'persistParameter'
>;

const COMPONENT_OF: Record<ParamComponent, ComponentType> = { tidb: 'TiDB', tikv: 'TiKV', pd: 'PD', tiflash: 'TiFlash', cdc: 'CDC' };

export const MAX_REPLICAS = 'replication.max-replicas';

const keyOf = (p: { component: string; name: string }) => `${p.component}.${p.name}`;

function hasComponent(cluster: ClusterWithInstances, component: ParamComponent): boolean {
  return cluster.instances.some((i) => i.component === COMPONENT_OF[component]);
}


function validationError(p: ClusterParameter, reason: string): TiemError {
  return new TiemError('PARAMETER_INVALID', `Validation parameter \`${keyOf(p)}\` failed, update value: ${p.value}, ${reason}`);
}

export function createParameterActivities(deps: ActivityDeps): ParameterActivities {
  const { store, tiup } = deps;
  const self = (): ParameterActivities => activities;

  /** Apply mode keeps host-dependent parameters as deployed: store their live value (TiEM reads them back). */
  async function liveValues(cluster: ClusterWithInstances, params: ClusterParameter[]): Promise<Map<string, string>> {
    const live = new Map<string, string>();
    const wanted = params.filter((p) => p.component !== 'cdc' && p.component !== 'tiflash');
    if (!wanted.length) return live;
    try {
      await withClusterUser(deps, cluster, managementUser(cluster.version, 'EM_Parameter_Management'), async (s) => {
        for (const p of wanted) {
          const rows = await s.showConfig({ type: p.component, name: p.name });
          if (rows.length) live.set(keyOf(p), rows[0].value);
        }
      });
    } catch (err) {
      logWarning('reading live parameter values failed; storing group defaults', { clusterId: cluster.id, error: String(err) });
    }
    return live;
  }

  const activities: ParameterActivities = {
    // Idempotent: a read of the group.
    async applyParameterGroup({ targetClusterId, parameterGroupId }) {
      const group = parameterGroupId ? await store.getParameterGroup(parameterGroupId) : undefined;
      if (!group) throw new TiemError('SYSTEM_MISSING_DATA', `no default group found for cluster ${targetClusterId}`);
      return {
        clusterId: targetClusterId,
        mode: 'apply',
        parameterGroupId: group.id,
        params: group.params.map((p) => ({ component: p.component, name: p.name, value: p.defaultValue })),
        reboot: false,
        purpose: 'applyParameterGroup',
      };
    },

    // Idempotent: the target's strategy is an upsert by cluster id.
    async syncBackupStrategy({ sourceClusterId, targetClusterId }) {
      const strategy = await store.getBackupStrategy(sourceClusterId);
      if (!strategy || !strategy.backupDate) return `cluster ${sourceClusterId} has no backup strategy, no need to update`;
      await store.saveBackupStrategy({ clusterId: targetClusterId, backupDate: strategy.backupDate, period: strategy.period });
      return `sync backup strategy of cluster ${sourceClusterId} to cluster ${targetClusterId}: ${strategy.backupDate} ${strategy.period}`;
    },

    // Idempotent: a read; the modifyParameters child it feeds pushes absolute values.
    async syncParameters({ sourceClusterId, targetClusterId }) {
      const source = await requireCluster(deps, sourceClusterId);
      const target = await requireCluster(deps, targetClusterId);
      const base = { clusterId: targetClusterId, mode: 'update' as const, purpose: 'syncParameters' as const };
      if (source.version !== target.version) return { ...base, params: [], reboot: false };
      const params = (await store.listClusterParameters(sourceClusterId)).filter((p) => {
        const def = findParameter(p.component, p.name);
        // hasApply=false values are host dependent; read-only ones cannot change after bootstrap.
        return def && def.hasApply && !def.readOnly && hasComponent(source, p.component) && hasComponent(target, p.component);
      });
      const reboot = params.some((p) => findParameter(p.component, p.name)?.hasReboot);
      return { ...base, params: params.map(({ component, name, value }) => ({ component, name, value })), reboot };
    },

    // Idempotent: a pure function of copies.
    async adjustParameters({ targetClusterId, copies }) {
      return {
        clusterId: targetClusterId,
        mode: 'update',
        params: [{ component: 'pd', name: MAX_REPLICAS, value: String(copies) }],
        reboot: true,
        purpose: 'adjustParameters',
      };
    },

    // Idempotent: pure checks against the catalogue.
    async validationParameter(input) {
      for (const p of input.params) {
        const def = findParameter(p.component, p.name);
        if (!def) throw validationError(p, 'unknown parameter');
        if (input.mode === 'update' && def.readOnly) throw validationError(p, 'parameter is read-only');
        if (p.value === '') continue; // TiEM: empty values are skipped, not pushed.
        const problem = parameterValueProblem(def, p.value);
        if (problem) throw validationError(p, problem);
      }
    },

    // Idempotent: SET CONFIG / SET GLOBAL / edit-config write absolute values.
    async modifyParameter(input: ModifyParametersInput) {
      const cluster = await requireCluster(deps, input.clusterId);
      const name = tiupNameOf(cluster.id);
      const resultLines: string[] = [];
      const roles = new Set<string>();
      const viaSql: { p: ClusterParameter; def: ParameterDefinition }[] = [];
      const viaTiup: { p: ClusterParameter; def: ParameterDefinition }[] = [];
      for (const p of input.params) {
        const def = findParameter(p.component, p.name);
        if (!def) throw validationError(p, 'unknown parameter');
        if (p.value === '') continue;
        if (!hasComponent(cluster, p.component)) {
          if (input.mode === 'update') {
            throw new TiemError('PARAMETER_INVALID', `cluster ${cluster.id} has no ${COMPONENT_OF[p.component]} for parameter ${keyOf(p)}`);
          }
          resultLines.push(`skip parameter ${keyOf(p)}: cluster has no ${COMPONENT_OF[p.component]}`);
          continue;
        }
        if (input.mode === 'apply' && !def.hasApply) {
          resultLines.push(`skip parameter ${keyOf(p)}: host dependent, the deployed value is kept`);
          continue;
        }
        if (def.updateSource !== 'TiUP') viaSql.push({ p, def });
        if (def.updateSource !== 'SQL') viaTiup.push({ p, def });
        if (def.hasReboot && input.reboot) roles.add(p.component);
      }

      if (viaSql.length) {
        const user = managementUser(cluster.version, 'EM_Parameter_Management');
        await withClusterUser(deps, cluster, user, async (s) => {
          for (const { p, def } of viaSql) {
            if (p.component === 'tidb' && def.systemVariable) await s.setGlobalVariable(def.systemVariable, p.value);
            else if (p.component === 'tikv' || p.component === 'pd') await s.setConfig(p.component, p.name, typedConfigValue(def.type, p.value) as string | number | boolean);
            else throw new TiemError('PARAMETER_INVALID', `parameter ${keyOf(p)} cannot be changed through SQL`);
            resultLines.push(`modify parameter ${keyOf(p)} = ${p.value} by SQL succeed`);
          }
        });
      }
      if (viaTiup.length) {
        let topology = await tiup.showConfig(name, { signal: cancellationSignal() });
        for (const { p, def } of viaTiup) topology = mergeServerConfigs(topology, p.component, p.name, typedConfigValue(def.type, p.value));
        await runWithHeartbeat('edit-config', (opts) => tiup.editConfig(name, topology, opts));
        resultLines.push(`modify parameters ${viaTiup.map(({ p }) => `${keyOf(p)} = ${p.value}`).join(', ')} by TiUP succeed`);
      }
      return { roles: [...roles].sort(), resultLines };
    },

    // Idempotent: a reload restarts the roles with the config already in place.
    async refreshParameter({ clusterId, roles }) {
      if (!roles.length) return;
      await runWithHeartbeat('reload', (opts) => tiup.reload(tiupNameOf(clusterId), { ...opts, roles }));
    },

    // Idempotent: cluster parameters are upserted by (cluster, component, name); the group id is a plain SET.
    async persistParameter(input) {
      const cluster = await requireCluster(deps, input.clusterId);
      let params = input.params.filter((p) => p.value !== '' && hasComponent(cluster, p.component));
      if (input.mode === 'apply') {
        const hostDependent = params.filter((p) => findParameter(p.component, p.name)?.hasApply === false);
        const live = await liveValues(cluster, hostDependent);
        params = params.map((p) => (live.has(keyOf(p)) ? { ...p, value: live.get(keyOf(p)) as string } : p));
      }
      await store.saveClusterParameters(input.clusterId, params.map(({ component, name, value }) => ({ component, name, value })));
      if (input.mode === 'apply' && input.parameterGroupId) {
        await store.updateCluster(input.clusterId, { parameterGroupId: input.parameterGroupId });
      }
    },

    // Idempotent: writes the saved (absolute) values again; nothing saved, nothing done.
    async failParameter(input) {
      const saved = await store.listClusterParameters(input.clusterId);
      const restore = input.params.flatMap((p) => saved.filter((s) => s.component === p.component && s.name === p.name));
      if (!restore.length) return [`no saved values of ${input.params.map(keyOf).join(', ')} on ${input.clusterId}: nothing to restore`];
      const back: ModifyParametersInput = { ...input, mode: 'update', params: restore, reboot: input.reboot };
      const { roles, resultLines } = await self().modifyParameter(back);
      await self().refreshParameter({ clusterId: input.clusterId, roles });
      return [`restored ${restore.map((p) => `${keyOf(p)} = ${p.value}`).join(', ')}`, ...resultLines];
    },
  };
  return activities;
}
