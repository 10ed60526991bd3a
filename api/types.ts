// The HTTP API's wire types (TiEM-compatible where TiEM had the endpoint). Shared by the API
// server (api/) and its client (client/api-client.ts). Every response is TiEM's envelope.
import type { CloneClusterRequest, CloneProgress, CpuArchitecture } from '../domain/types.js';

/** `{"code":0,"message":"OK","data":…}`; errors `{"code":<TiEM code>,"message":"…","data":{}}` with the HTTP status of spec §3. */
export interface Envelope<T> {
  code: number;
  message: string;
  data: T;
}

// POST /api/v1/clusters/clone  (body: CloneClusterRequest + our optional `destroyOnFailure`)
export type CloneRequestBody = CloneClusterRequest & { destroyOnFailure?: boolean };
export interface CloneResponseData {
  workFlowId: string;
  clusterId: string;
}

// GET /api/v1/workflow/{workFlowId} — TiEM's DetailWorkFlow shape plus our progress details
export interface WorkflowNodeInfo {
  id: string; // `${workFlowId}/${name}`
  name: string;
  status: 'Initializing' | 'Processing' | 'Finished' | 'Error' | 'Skipped' | 'Compensated';
  result: string; // result lines joined with "\n"
  startTime?: string;
  endTime?: string;
  /** backup/restore: BR step, percent, bytes */
  progress?: { step: string; percent: number; bytes?: number; totalBytes?: number };
}
export interface WorkflowDetail {
  info: {
    workFlowId: string;
    flowName: 'CloneCluster' | 'DeleteCluster' | 'TakeoverCluster';
    bizId: string; // target cluster id
    bizType: 'cluster';
    status: 'Processing' | 'Finished' | 'Error' | 'Canceled';
    createTime: string;
    updateTime: string;
    errorCode?: number;
    errorMessage?: string;
  };
  nodeInfo: WorkflowNodeInfo[];
  nodeNames: string[];
  /** The raw progress query result, for clients that want our node states. */
  progress?: CloneProgress;
}

// GET /api/v1/workflows?sourceClusterId=&clusterId=&strategy=&status=&pageSize=  (ours: search attributes)
export interface WorkflowSummary {
  workFlowId: string;
  flowName: string;
  clusterId?: string;
  sourceClusterId?: string;
  strategy?: string;
  step?: string;
  status: 'Processing' | 'Finished' | 'Error' | 'Canceled' | 'Terminated' | 'TimedOut';
  startTime: string;
  closeTime?: string;
}

// POST /api/v1/workflow/{workFlowId}/cancel  (ours) → Envelope<{ workFlowId }>

// GET /api/v1/clusters, GET /api/v1/clusters/{id}
export interface ClusterInfo {
  clusterId: string;
  clusterName: string;
  clusterType: 'TiDB';
  clusterVersion: string;
  cpuArchitecture: CpuArchitecture;
  status: string; // Initializing | Running | Failure | ...
  maintainStatus: string; // '' | Cloning | BeingCloned | Deleting | ...
  region: string;
  copies: number;
  tags: string[];
  tls: boolean;
  exclusive: boolean;
  vendor: string;
  parameterGroupId: string;
  createTime: string;
  updateTime: string;
  relations: { masters: string[]; slaves: string[] };
}
export interface ClusterInstanceInfo {
  id: string;
  type: string; // PD, TiDB, TiKV, TiFlash, CDC, Grafana, Prometheus, AlertManager
  hostIp: string;
  ports: number[];
  zone: string;
  rack: string;
  spec: { cpu: number; memory: number };
  disk: { id: string; path: string };
  status: string;
}
export interface ClusterDetail extends ClusterInfo {
  instances: ClusterInstanceInfo[];
}

// DELETE /api/v1/clusters/{id}?force=true|false → Envelope<{ workFlowId, clusterId }>; 409 (20114) while under maintenance unless force

// POST /api/v1/clusters/takeover → Envelope<{ clusterId, workFlowId }>
export interface TakeoverRequestBody {
  /** The TiUP cluster name on the control host. */
  clusterName: string;
  /** Root credentials of the cluster (checked over SQL, stored encrypted). */
  dbUser?: 'root';
  dbPassword: string;
  region: string;
  cpuArchitecture?: CpuArchitecture;
  copies?: number;
  tags?: string[];
  vendor?: string;
}

// POST /api/v1/resources/hosts → Envelope<{ hostIds: string[] }>; GET /api/v1/resources/hosts → Envelope<{ hosts: HostBody[] }>
export interface HostBody {
  ip: string;
  hostName?: string;
  region: string;
  zone: string;
  rack: string;
  arch: CpuArchitecture;
  cpuCores: number;
  memory: number; // GB
  disks: { name: string; path: string; capacity: number /* GB */; type: 'SSD' | 'NVMeSSD' | 'SATA' }[];
  reserved?: boolean;
}
export interface HostsImportBody {
  hosts: HostBody[];
}

// GET /healthz (no auth) → { status: 'ok' }
// GET /api/v1/openapi.json → the OpenAPI 3 document (also written to docs/openapi.json)
