// The HTTP API's wire types (TiEM-compatible where TiEM had the endpoint): the contract of its
// client (client/api-client.ts), which the API server (api/) implements. Every response is TiEM's envelope.
import type { CloneClusterRequest, ClonePreflight, CloneProgress, CpuArchitecture, TakeoverClusterRequest } from '../domain/types.js';

/**
 * `{"code":0,"message":"OK","data":…}`; errors `{"code":<TiEM code>,"message":"…","data":{}}` with the HTTP status of spec §3.
 * Authentication failures (missing, malformed or unknown bearer token) are HTTP 401 with `code: 401`
 * (TiEM answered a bare JSON string for a malformed header; we keep the envelope).
 */
export interface Envelope<T> {
  code: number;
  message: string;
  data: T;
}

// POST /api/v1/clusters/clone  (body: CloneClusterRequest + our optional `destroyOnFailure`)
export type CloneRequestBody = CloneClusterRequest & { destroyOnFailure?: boolean; dryRun?: boolean };
/** The answer to `dryRun: true`: every problem found and the plan; nothing was created. */
export type ClonePreflightData = ClonePreflight & { dryRun: true };
export interface CloneResponseData {
  workFlowId: string;
  clusterId: string;
}

// GET /api/v1/workflow/{workFlowId} — TiEM's QueryWorkFlowDetailResp (pingcap/tiunimanager
// message/workflow.go, common/structs WorkFlowInfo / WorkFlowNodeInfo) plus our progress details.
/** TiEM's zero time, the value of a time that never happened (Go's time.Time{} in RFC 3339). */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface WorkflowNodeInfo {
  id: string; // `${workFlowId}/${name}`
  name: string;
  /** TiEM's node parameters; our nodes keep their input in Temporal history, so always "". */
  parameters: string;
  /** Skipped and Compensated are ours (TiEM has no such node states). */
  status: 'Initializing' | 'Processing' | 'Finished' | 'Error' | 'Skipped' | 'Compensated';
  result: string; // result lines joined with "\n"
  startTime: string; // ZERO_TIME when not started
  endTime: string; // ZERO_TIME when not ended
  /** ours — backup/restore: BR step, percent, bytes */
  progress?: { step: string; percent: number; bytes?: number; totalBytes?: number };
}

/** TiEM's workflow statuses (common/constants/workflow.go). */
export type WorkflowStatus = 'Initializing' | 'Processing' | 'Canceling' | 'Finished' | 'Error' | 'Canceled' | 'Stopped';

export interface WorkflowInfo {
  id: string; // the workflow id
  name: 'CloneCluster' | 'DeleteCluster' | 'TakeoverCluster';
  bizId: string; // the cluster the flow works on
  bizType: 'cluster';
  status: WorkflowStatus;
  createTime: string;
  updateTime: string;
  deleteTime: string; // ZERO_TIME: flows are never deleted
  /** ours — a failed or cancelled flow's TiEM code and message */
  errorCode?: number;
  errorMessage?: string;
}

export interface WorkflowDetail {
  info: WorkflowInfo;
  nodes: WorkflowNodeInfo[];
  nodeNames: string[];
  /** ours — the raw progress query result, for clients that want our node states. */
  progress?: CloneProgress;
}

// GET /api/v1/workflow/?bizId=&bizType=&flowName=&status=&page=&pageSize= (TiEM QueryWorkFlowsReq)
// → {code, message, data: {workFlows}, page: {page, pageSize, total}}, newest first
export interface WorkflowPage {
  workFlows: WorkflowInfo[];
}
export interface PageInfo {
  page: number;
  pageSize: number;
  total: number;
}
export interface PagedEnvelope<T> extends Envelope<T> {
  page: PageInfo;
}

// POST /api/v1/workflow/stop | /api/v1/workflow/start, body {workFlowId} (TiEM) → Envelope<{}>.
// stop pauses the flow at its next step boundary; start resumes it.
export interface WorkflowStopStartBody {
  workFlowId: string;
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

/** GET /api/v1/workflows → Envelope<WorkflowListData> (newest first). */
export type WorkflowListData = WorkflowSummary[];

// POST /api/v1/workflow/{workFlowId}/cancel  (ours) → Envelope<{ workFlowId }>; 404 (40101) for an unknown id

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
/** GET /api/v1/clusters → Envelope<ClusterListData> (non-deleted clusters); GET /api/v1/clusters/{id} → Envelope<ClusterDetail>, 404 (10003) when missing. */
export type ClusterListData = ClusterInfo[];
/** DELETE and takeover answer the workflow that does the work. */
export interface ClusterFlowData {
  workFlowId: string;
  clusterId: string;
}

// DELETE /api/v1/clusters/{id}?force=true|false → Envelope<{ workFlowId, clusterId }>; 409 (20114) while under maintenance unless force

// POST /api/v1/clusters/takeover → Envelope<{ clusterId, workFlowId }>
export type TakeoverRequestBody = TakeoverClusterRequest;

// POST /api/v1/resources/hosts → Envelope<HostsImportData> (hosts already known by IP keep their id); GET /api/v1/resources/hosts → Envelope<HostListData>
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
/** A host of the pool as listed (GET /api/v1/resources/hosts): the imported fields plus what is free. */
export interface HostInfo extends Omit<HostBody, 'hostName' | 'reserved' | 'disks'> {
  id: string;
  hostName: string;
  reserved: boolean;
  freeCpuCores: number;
  freeMemory: number; // GB
  status: 'Online' | 'Offline';
  loadStat: 'LoadLess' | 'InUsed' | 'Exclusive';
  disks: { id: string; name: string; path: string; capacity: number; type: string; status: 'Available' | 'Exhaust' }[];
}
export interface HostsImportData {
  hostIds: string[];
}
export interface HostListData {
  hosts: HostInfo[];
}

/** GET /healthz (no auth; not enveloped): 200 when both checks pass, else 503. */
export interface HealthStatus {
  status: 'ok' | 'degraded';
  checks: { metadata: 'ok' | 'error'; temporal: 'ok' | 'error' };
}
// GET /api/v1/openapi.json → the OpenAPI 3 document (also written to docs/openapi.json)

// POST /api/v1/reconciler/run {dryRun?} → what was found and repaired; GET /api/v1/reconciler/repairs
export type { ReconcileReport } from '../workflows/reconcileOrphans.js';
export type { RepairRecord } from '../metadata/types.js';

// Parameter groups, TiEM's /api/v1/param-groups (pingcap/tiunimanager message/parametergroup.go,
// common/structs/parametergroup.go). Our parameter ids (`paramId`) are `<component>.<name>`,
// e.g. `tikv.raftstore.apply-pool-size`.
export interface ParameterGroupParameterInfo {
  paramId: string;
  category: string; // the component
  name: string;
  instanceType: string; // TiDB | TiKV | PD | TiFlash | CDC
  systemVariable: string;
  type: number; // 0 int, 1 string, 2 bool, 3 float, 4 array (TiEM)
  unit: string;
  unitOptions: string[];
  range: string[];
  rangeType: number; // 0 none, 1 continuous, 2 discrete
  hasReboot: number;
  hasApply: number;
  defaultValue: string;
  updateSource: number; // 0 TiUP, 1 SQL, 2 TiUP+SQL
  readOnly: number;
  description: string;
  note: string;
  createTime: number;
  updateTime: number;
}

export interface ParameterGroupInfo {
  paramGroupId: string;
  name: string;
  dbType: number; // 1 TiDB
  hasDefault: number; // 1 default, 2 custom
  clusterVersion: string;
  clusterSpec: string;
  groupType: number; // 1 cluster
  note: string;
  createTime: number; // Unix seconds, as TiEM
  updateTime: number;
  params: ParameterGroupParameterInfo[] | null; // null unless hasDetail (list) — always set in detail
}

// POST /api/v1/param-groups/ → Envelope<{ paramGroupId }>
export interface CreateParameterGroupBody {
  name: string;
  dbType: number;
  clusterVersion: string;
  clusterSpec: string;
  groupType: number;
  note?: string;
  params: { paramId: string; defaultValue: string; note?: string }[];
}
