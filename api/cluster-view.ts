// Metadata rows → the API's cluster and host shapes (TiEM field names).
import type { Cluster, ClusterWithInstances } from '../domain/types.js';
import type { Host, HostInput, Relation } from '../metadata/types.js';
import type { ClusterDetail, ClusterInfo, HostBody, HostInfo } from '../client/api-types.js';

export function toClusterInfo(c: Cluster, relations: { masters: Relation[]; slaves: Relation[] }): ClusterInfo {
  return {
    clusterId: c.id,
    clusterName: c.name,
    clusterType: c.type,
    clusterVersion: c.version,
    cpuArchitecture: c.cpuArchitecture,
    status: c.status,
    maintainStatus: c.maintenanceStatus,
    region: c.region,
    copies: c.copies,
    tags: c.tags,
    tls: c.tls,
    exclusive: c.exclusive,
    vendor: c.vendor,
    parameterGroupId: c.parameterGroupId,
    createTime: c.createdAt,
    updateTime: c.updatedAt,
    relations: {
      masters: relations.masters.map((r) => r.subjectClusterId),
      slaves: relations.slaves.map((r) => r.objectClusterId),
    },
  };
}

export function toClusterDetail(c: ClusterWithInstances, relations: { masters: Relation[]; slaves: Relation[] }): ClusterDetail {
  return {
    ...toClusterInfo(c, relations),
    instances: c.instances.map((i) => ({
      id: i.id,
      type: i.component,
      hostIp: i.hostIp,
      ports: i.ports,
      zone: i.zone,
      rack: i.rack,
      spec: { cpu: i.cpuCores, memory: i.memoryGb },
      disk: { id: i.diskId, path: i.diskPath },
      status: i.status,
    })),
  };
}

export function toHostInput(h: HostBody): HostInput {
  const input: HostInput = {
    ip: h.ip,
    region: h.region,
    zone: h.zone,
    rack: h.rack,
    arch: h.arch,
    cpuCores: h.cpuCores,
    memoryGb: h.memory,
    disks: h.disks.map((d) => ({ name: d.name, path: d.path, capacityGb: d.capacity, type: d.type })),
  };
  if (h.hostName) input.hostName = h.hostName;
  if (h.reserved !== undefined) input.reserved = h.reserved;
  return input;
}

export function toHostInfo(h: Host): HostInfo {
  return {
    id: h.id,
    ip: h.ip,
    hostName: h.hostName,
    region: h.region,
    zone: h.zone,
    rack: h.rack,
    arch: h.arch,
    cpuCores: h.cpuCores,
    memory: h.memoryGb,
    reserved: h.reserved,
    freeCpuCores: h.freeCpuCores,
    freeMemory: h.freeMemoryGb,
    status: h.status,
    loadStat: h.loadStat,
    disks: h.disks.map((d) => ({ id: d.id, name: d.name, path: d.path, capacity: d.capacityGb, type: d.type, status: d.status })),
  };
}
