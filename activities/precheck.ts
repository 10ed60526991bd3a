// The pre-flight of a clone request (`dryRun`): every check the clone would make before it changes
// anything — source rules, name, locks, parameter group, TiCDC eligibility, TLS material, room in the host pool —
// collected, not stopped at the first. Nothing is written: the allocation is planned and rolled back.
import { TiemError } from '../domain/errors.js';
import { CLONE_NODE_NAMES, skippedByStrategy } from '../domain/progress.js';
import type { ClonePreflight } from '../domain/types.js';
import { cloneRuleProblems } from '../domain/validation.js';
import { brCompatibility } from '../domain/version.js';
import type { CloneActivities } from './types.js';
import type { ActivityDeps } from './deps.js';
import { requireCluster, requireTlsMaterial } from './cluster-access.js';
import { chooseParameterGroup, componentCountsOf, refuseIneligibleTables } from './maintenance.js';
import { allocationRequestOf } from './resource.js';
import { toTiemError } from './errors.js';

type PrecheckActivities = Pick<CloneActivities, 'precheckClone'>;

/** The problem as the clone would report it: the activities' one mapping of errors to TiEM codes. */
function problemOf(err: unknown): ClonePreflight['problems'][number] {
  const t = toTiemError(err);
  return { code: t.code, errorName: t.errorName, message: t.causeCode ? `[${t.causeCode}] ${t.detail}` : t.detail };
}

export function createPrecheckActivities(deps: ActivityDeps): PrecheckActivities {
  const { store, config } = deps;
  return {
    // Idempotent: reads only (the allocation plan rolls back its transaction).
    async precheckClone({ request, targetClusterId }) {
      const problems: ClonePreflight['problems'] = [];
      const plan: ClonePreflight['plan'] = {
        strategy: request.cloneStrategy,
        sourceClusterId: request.sourceClusterId,
        targetVersion: request.clusterVersion,
        steps: CLONE_NODE_NAMES.filter((n) => !skippedByStrategy(request.cloneStrategy).includes(n)),
        hosts: [],
      };
      const check = async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
        try {
          return await fn();
        } catch (err) {
          problems.push(problemOf(err));
          return undefined;
        }
      };

      const source = await check(() => requireCluster(deps, request.sourceClusterId));
      if (source) {
        plan.sourceVersion = source.version;
        const facts = { cluster: source, componentCounts: componentCountsOf(source), isSlave: await store.isSlave(source.id) };
        const rules = cloneRuleProblems({ ...request, dbPassword: '' }, facts);
        problems.push(...rules.problems.map(problemOf));
        plan.copies = rules.copies;
        if (source.maintenanceStatus) {
          problems.push(problemOf(new TiemError('CLUSTER_MAINTENANCE_CONFLICT', `cluster ${source.id} is under maintenance (${source.maintenanceStatus})`)));
        }
        const br = request.cloneStrategy === 'TopologyClone' ? undefined : brCompatibility(source.version, request.clusterVersion);
        if (br?.ok) plan.restoreSystemTables = br.withSysTable ?? undefined;
        plan.parameterGroupId = await check(() =>
          chooseParameterGroup(store, { requested: request.parameterGroupID, sourceGroupId: source.parameterGroupId, targetVersion: request.clusterVersion, targetId: targetClusterId }),
        );
        if (request.parameterGroupID && !(await store.getParameterGroup(request.parameterGroupID))) {
          problems.push(problemOf(new TiemError('PARAMETER_INVALID', `parameterGroupID ${request.parameterGroupID} does not exist`)));
        }
        if (request.cloneStrategy === 'CDCSync' && !request.ignoreIneligibleTables) await check(() => refuseIneligibleTables(deps, source));
        await check(() => requireTlsMaterial(deps, source));
      }
      if (await store.findClusterByName(request.clusterName)) {
        problems.push(problemOf(new TiemError('DUPLICATED_NAME', `cluster name ${request.clusterName} is already taken`)));
      }
      const target = { region: request.region, cpuArchitecture: request.cpuArchitecture, exclusive: request.exclusive ?? false };
      const allocation = await check(() => store.planAllocation(allocationRequestOf(config, { holder: `precheck-${targetClusterId}`, targetClusterId, request, target })));
      if (allocation) {
        plan.hosts = allocation.instances.map((i) => ({ component: i.component, hostIp: i.hostIp, zone: i.zone, diskPath: i.diskPath, ports: [...i.ports] }));
      }
      return { ok: problems.length === 0, problems, plan };
    },
  };
}
