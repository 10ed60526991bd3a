// Host, disk and port allocation for the target (TiEM §6) and its release on the `fail` path.
import { allocationRequestIdOf } from '../domain/ids.js';
import type { ClusterInstance, ComponentType } from '../domain/types.js';
import { parseSpecCode, zoneOf } from '../domain/validation.js';
import type { AllocatedInstance, AllocationRequest, InstanceRequirement, NewCluster } from '../metadata/types.js';
import type { CloneActivities, PublicCloneRequest } from './types.js';
import { DEFAULT_GLOBAL_PORT_RANGE, DEFAULT_PORT_RANGES, type ActivityDeps } from './deps.js';

type ResourceActivities = Pick<CloneActivities, 'prepareResource' | 'revertResourceAfterFailure'>;

export { allocationRequestIdOf };

export function instanceIdOf(targetClusterId: string, component: ClusterInstance['component'], n: number): string {
  return `${targetClusterId}-${component.toLowerCase()}-${n}`;
}

function toInstance(id: string, a: AllocatedInstance, component: ClusterInstance['component'], ports: number[]): Omit<ClusterInstance, 'clusterId'> {
  return {
    id,
    component,
    hostId: a.hostId,
    hostIp: a.hostIp,
    ports,
    diskId: a.diskId,
    diskPath: a.diskPath,
    zone: a.zone,
    rack: a.rack,
    cpuCores: component === a.component ? a.cpuCores : 0,
    memoryGb: component === a.component ? a.memoryGb : 0,
    status: 'Initializing',
  };
}

/** One requirement per requested instance, with TiEM's port ranges (the clone's and the pre-flight's). */
export function allocationRequestOf(
  config: ActivityDeps['config'],
  a: { holder: string; targetClusterId: string; request: PublicCloneRequest; target: Pick<NewCluster, 'region' | 'cpuArchitecture' | 'exclusive'> },
): AllocationRequest {
  const portRangeOf = (c: ComponentType) => config.portRanges?.[c] ?? DEFAULT_PORT_RANGES[c];
  const requirements: InstanceRequirement[] = [];
  for (const group of a.request.resourceParameters.instanceResource) {
    const ports = portRangeOf(group.componentType);
    for (const placement of group.resource) {
      const { cpuCores, memoryGb } = parseSpecCode(placement.specCode);
      for (let i = 0; i < placement.count; i++) {
        requirements.push({
          component: group.componentType,
          zone: zoneOf(placement.zoneCode),
          cpuCores,
          memoryGb,
          diskCapacityGb: placement.diskCapacity,
          diskType: placement.diskType,
          hostIp: placement.hostIp,
          diskId: placement.diskId,
          portRange: [...ports.range],
          portCount: ports.count,
        });
      }
    }
  }
  return {
    requestId: allocationRequestIdOf(a.holder),
    holderId: a.targetClusterId,
    region: a.target.region,
    arch: a.target.cpuArchitecture,
    exclusive: a.target.exclusive,
    requirements,
    globalPortCount: 2,
    globalPortRange: config.globalPortRange ?? DEFAULT_GLOBAL_PORT_RANGE,
  };
}

export function createResourceActivities(deps: ActivityDeps): ResourceActivities {
  const { store, config } = deps;

  return {
    // Idempotent: the allocation is keyed by a request id derived from the holder; instance ids are deterministic upserts.
    async prepareResource({ holder, targetClusterId, request, target }) {
      const allocationRequest = allocationRequestOf(config, { holder, targetClusterId, request, target });
      const allocation = await store.allocate(allocationRequest);

      const counters = new Map<string, number>();
      const nextId = (component: ClusterInstance['component']) => {
        const n = (counters.get(component) ?? 0) + 1;
        counters.set(component, n);
        return instanceIdOf(targetClusterId, component, n);
      };
      const instances: Omit<ClusterInstance, 'clusterId'>[] = [];
      let firstPd: AllocatedInstance | undefined;
      allocation.instances.forEach((a) => {
        // PD keeps (client, peer); ports[2..5] go to the monitoring co-located on the first PD.
        const ports = a.component === 'PD' ? a.ports.slice(0, 2) : [...a.ports];
        if (a.component === 'PD' && !firstPd) firstPd = a;
        instances.push(toInstance(nextId(a.component), a, a.component, ports));
      });
      if (firstPd) {
        const pd = firstPd;
        instances.push(toInstance(nextId('Prometheus'), pd, 'Prometheus', [pd.ports[2]]));
        instances.push(toInstance(nextId('Grafana'), pd, 'Grafana', [pd.ports[3]]));
        instances.push(toInstance(nextId('AlertManager'), pd, 'AlertManager', [pd.ports[4], pd.ports[5]]));
      }
      await store.upsertInstances(targetClusterId, instances);

      const resultLines = instances.map((i) => `type: ${i.component}, zone: ${i.zone}, host IP: ${i.hostIp}; `);
      resultLines.push(`prepare resource for cluster ${targetClusterId}`);
      return {
        allocationRequestId: allocation.requestId,
        instances: instances.map((i) => ({ ...i, clusterId: targetClusterId })),
        globalPorts: allocation.globalPorts,
        resultLines,
      };
    },

    // Idempotent: release by request id gives back what is still held and reports when nothing was.
    async revertResourceAfterFailure({ allocationRequestId }) {
      const released = await store.release(allocationRequestId);
      return released ? `release resource of request ${allocationRequestId} succeed` : 'no allocated resource found';
    },
  };
}
