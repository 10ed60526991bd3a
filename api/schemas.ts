// TypeBox schemas of every request and response of the HTTP API. Each schema is used twice, by
// fastify to validate (requests) or serialize (responses), and by @fastify/swagger for the OpenAPI
// document: there is no second, hand-written copy. api/types.ts holds the same shapes as TypeScript
// interfaces for clients; the assertions at the end keep the two in step at compile time.
// Every request string, array and number has an upper bound, from domain/limits.ts (the clone's
// are checked again by domain/validation.ts, in the API and in the workflow).
import { Type, type Static, type TSchema } from 'typebox';
import * as L from '../domain/limits.js';
import { CLONE_STRATEGIES, COMPONENT_TYPES, CPU_ARCHITECTURES } from '../domain/types.js';
import type * as Wire from '../client/api-types.js';

/** Optional, and `null` accepted: TiEM's Go clients marshal nil slices and pointers as null. */
const nullable = <T extends TSchema>(s: T) => Type.Optional(Type.Union([s, Type.Null()]));

// --- envelope ---------------------------------------------------------------------------------

export const ErrorEnvelope = Type.Object(
  {
    code: Type.Integer({ description: 'TiEM error code (401 for authentication failures)' }),
    message: Type.String(),
    data: Type.Object({}),
  },
  { $id: 'ErrorEnvelope', description: 'TiEM error envelope: {"code":<n>,"message":"…","data":{}}' },
);

/** TiEM's success envelope `{"code":0,"message":"OK","data":…}` around `data`. */
export function envelope<T extends TSchema>(data: T, id: string) {
  return Type.Object({ code: Type.Literal(0), message: Type.String(), data }, { $id: id, description: 'TiEM envelope, code 0' });
}

/** The error answers every route can give (validation, auth, TiEM codes, internal). */
export const errorResponses = {
  '4xx': Type.Ref('ErrorEnvelope'),
  '5xx': Type.Ref('ErrorEnvelope'),
} as const;

// --- POST /api/v1/clusters/clone --------------------------------------------------------------

const Tags = Type.Array(Type.String({ maxLength: L.MAX_TAG_LENGTH }), { maxItems: L.MAX_TAGS });

const ResourcePlacement = Type.Object({
  zoneCode: Type.String({ minLength: 1, maxLength: L.MAX_ZONE_CODE_LENGTH, description: '"<region>,<zone>"; only the text after the last comma is used (TiEM)' }),
  specCode: Type.String({
    pattern: '^[0-9]+C[0-9]+G$',
    maxLength: L.MAX_SPEC_CODE_LENGTH,
    description: `"<cpu>C<memory>G", e.g. 4C8G; at most ${L.MAX_CPU_CORES} cores and ${L.MAX_MEMORY_GB} GB`,
  }),
  count: Type.Integer({ minimum: 1, maximum: L.MAX_COUNT_PER_PLACEMENT }),
  diskType: nullable(Type.String({ maxLength: L.MAX_LABEL_LENGTH })),
  diskCapacity: nullable(Type.Integer({ minimum: 0, maximum: L.MAX_DISK_CAPACITY_GB, description: 'GB' })),
  hostIp: nullable(Type.String({ maxLength: L.MAX_IP_LENGTH, description: 'pin the instances to this host' })),
  diskId: nullable(Type.String({ maxLength: L.MAX_ID_LENGTH, description: 'pin the disk (requires hostIp)' })),
});

const InstanceResource = Type.Object({
  componentType: Type.Enum([...COMPONENT_TYPES]),
  totalNodeCount: nullable(Type.Number({ maximum: L.MAX_TOTAL_INSTANCES, description: 'accepted and ignored, as in TiEM' })),
  resource: nullable(Type.Array(ResourcePlacement, { maxItems: L.MAX_PLACEMENTS })),
});

export const CloneRequestBody = Type.Object(
  {
    sourceClusterId: Type.String({ minLength: L.MIN_ID_LENGTH, maxLength: L.MAX_ID_LENGTH }),
    cloneStrategy: Type.Enum([...CLONE_STRATEGIES], { description: 'other values are rejected (TiEM treated them as Snapshot)' }),
    clusterName: Type.String({ minLength: L.MIN_ID_LENGTH, maxLength: L.MAX_ID_LENGTH, description: 'unique among non-deleted clusters (20101)' }),
    dbPassword: Type.String({ minLength: L.MIN_PASSWORD_LENGTH, maxLength: L.MAX_PASSWORD_LENGTH, writeOnly: true, description: "the target's root password" }),
    clusterVersion: Type.String({
      pattern: '^v[0-9]+\\.[0-9]+\\.[0-9]+$',
      maxLength: L.MAX_LABEL_LENGTH,
      description: '≥ the source version and restorable by BR (21301)',
    }),
    region: Type.String({ minLength: 1, maxLength: L.MAX_LABEL_LENGTH }),
    cpuArchitecture: Type.Enum([...CPU_ARCHITECTURES]),
    copies: nullable(Type.Enum([0, 1, 3, 5, 7], { description: "0 or absent: the source's" })),
    parameterGroupID: nullable(Type.String({ maxLength: L.MAX_ID_LENGTH })),
    tags: nullable(Tags),
    tls: nullable(Type.Boolean()),
    exclusive: nullable(Type.Boolean()),
    vendor: nullable(Type.String({ maxLength: L.MAX_LABEL_LENGTH })),
    resourceParameters: Type.Object({
      requestResourceMode: nullable(Type.String({ maxLength: L.MAX_LABEL_LENGTH, description: 'accepted and ignored, as in TiEM' })),
      instanceResource: Type.Array(InstanceResource, {
        minItems: 1,
        maxItems: L.MAX_INSTANCE_RESOURCES,
        description: `at least one PD, one TiDB and one TiKV; at most ${L.MAX_TOTAL_INSTANCES} instances over all placements`,
      }),
    }),
    dbUser: nullable(Type.String({ maxLength: L.MAX_LABEL_LENGTH, description: 'accepted and ignored (root is always used)' })),
    clusterType: nullable(Type.String({ maxLength: L.MAX_LABEL_LENGTH, description: 'accepted and ignored (the target has the source type)' })),
    requestId: nullable(
      Type.String({
        pattern: `^[A-Za-z0-9._:-]{1,${L.MAX_REQUEST_ID_LENGTH}}$`,
        maxLength: L.MAX_REQUEST_ID_LENGTH,
        description: 'ours: idempotency key; the same requestId returns the same clone',
      }),
    ),
    destroyOnFailure: nullable(Type.Boolean({ description: 'ours: on a failure after deploy, destroy the target instead of keeping it' })),
    dryRun: nullable(Type.Boolean({ description: 'ours: run every check without a side effect and answer the plan and all problems found; nothing is created' })),
    ignoreIneligibleTables: nullable(
      Type.Boolean({ description: 'ours, CDCSync: replicate only the tables with a primary or NOT NULL unique key instead of refusing (21305); the others are copied once by the restore' }),
    ),
  },
  { description: "TiEM's CloneClusterReq (unknown fields are ignored)" },
);

export const CloneResponseData = Type.Object({ workFlowId: Type.String(), clusterId: Type.String() }, { $id: 'CloneResponseData' });
export const CloneResponse = envelope(Type.Ref('CloneResponseData'), 'CloneResponse');

export const ClonePreflightData = Type.Object(
  {
    dryRun: Type.Literal(true),
    ok: Type.Boolean({ description: 'no problem found' }),
    problems: Type.Array(Type.Object({ code: Type.Integer(), errorName: Type.String(), message: Type.String() })),
    plan: Type.Object({
      strategy: Type.Enum([...CLONE_STRATEGIES]),
      sourceClusterId: Type.String(),
      sourceVersion: Type.Optional(Type.String()),
      targetVersion: Type.String(),
      copies: Type.Optional(Type.Integer()),
      parameterGroupId: Type.Optional(Type.String()),
      restoreSystemTables: Type.Optional(Type.Boolean()),
      steps: Type.Array(Type.String()),
      hosts: Type.Array(Type.Object({ component: Type.String(), hostIp: Type.String(), zone: Type.String(), diskPath: Type.String(), ports: Type.Array(Type.Integer()) })),
    }),
  },
  { $id: 'ClonePreflightData', description: 'the answer to dryRun: every problem at once and what the clone would do' },
);
/** The clone's answer: the started clone, or with dryRun the pre-flight. */
export const CloneOrPreflightResponse = envelope(Type.Union([Type.Ref('CloneResponseData'), Type.Ref('ClonePreflightData')]), 'CloneOrPreflightResponse');

// --- workflows --------------------------------------------------------------------------------

const BrProgress = Type.Object({
  step: Type.String(),
  percent: Type.Number(),
  bytes: Type.Optional(Type.Number()),
  totalBytes: Type.Optional(Type.Number()),
  speedBytesPerSec: Type.Optional(Type.Number()),
});

const NodeStatus = Type.Enum(['pending', 'running', 'done', 'skipped', 'failed', 'compensating', 'compensated']);

export const CloneProgress = Type.Object(
  {
    workflowId: Type.String(),
    sourceClusterId: Type.String(),
    targetClusterId: Type.String(),
    strategy: Type.Enum([...CLONE_STRATEGIES]),
    status: Type.Enum(['Running', 'Finished', 'Failed', 'Canceled']),
    stopped: Type.Optional(Type.Object({ since: Type.String(), by: Type.Optional(Type.String()) }, { description: 'TiEM stop: waiting at the next step boundary' })),
    nodes: Type.Array(
      Type.Object({
        name: Type.String(),
        status: NodeStatus,
        startTime: Type.Optional(Type.String()),
        endTime: Type.Optional(Type.String()),
        result: Type.Array(Type.String()),
        br: Type.Optional(BrProgress),
        lastError: Type.Optional(Type.String({ description: 'while compensating: the last error; the undo is retried until it succeeds' })),
      }),
    ),
    compensationErrors: Type.Array(Type.String()),
    error: Type.Optional(Type.Object({ code: Type.Integer(), message: Type.String() })),
  },
  { $id: 'CloneProgress', description: 'the raw `progress` query result of the workflow' },
);

const WorkflowNodeInfo = Type.Object({
  id: Type.String({ description: '<workFlowId>/<node name>' }),
  name: Type.String(),
  parameters: Type.String({ description: "TiEM's node parameters: always \"\" (the input is in Temporal history)" }),
  status: Type.Enum(['Initializing', 'Processing', 'Finished', 'Error', 'Skipped', 'Compensated']),
  result: Type.String({ description: 'result lines joined with "\\n"' }),
  startTime: Type.String({ description: '0001-01-01T00:00:00Z when not started' }),
  endTime: Type.String({ description: '0001-01-01T00:00:00Z when not ended' }),
  progress: Type.Optional(
    Type.Object({ step: Type.String(), percent: Type.Number(), bytes: Type.Optional(Type.Number()), totalBytes: Type.Optional(Type.Number()) }),
  ),
});

const TIEM_FLOW_STATUSES = ['Initializing', 'Processing', 'Canceling', 'Finished', 'Error', 'Canceled', 'Stopped'] as const;

export const WorkflowInfo = Type.Object(
  {
    id: Type.String({ description: 'the workflow id' }),
    name: Type.Enum(['CloneCluster', 'DeleteCluster', 'TakeoverCluster']),
    bizId: Type.String({ description: 'the cluster the flow works on' }),
    bizType: Type.Literal('cluster'),
    status: Type.Enum([...TIEM_FLOW_STATUSES]),
    createTime: Type.String(),
    updateTime: Type.String(),
    deleteTime: Type.String({ description: '0001-01-01T00:00:00Z: flows are never deleted' }),
    errorCode: Type.Optional(Type.Integer({ description: 'ours: a failed or cancelled flow’s TiEM code' })),
    errorMessage: Type.Optional(Type.String()),
  },
  { $id: 'WorkflowInfo', description: "TiEM's WorkFlowInfo (common/structs) plus the error of an ended flow" },
);

export const WorkflowDetail = Type.Object(
  {
    info: Type.Ref('WorkflowInfo'),
    nodes: Type.Array(WorkflowNodeInfo),
    nodeNames: Type.Array(Type.String()),
    progress: Type.Optional(Type.Ref('CloneProgress')),
  },
  { $id: 'WorkflowDetail', description: "TiEM's QueryWorkFlowDetailResp plus BR progress and the raw progress" },
);
export const WorkflowDetailResponse = envelope(Type.Ref('WorkflowDetail'), 'WorkflowDetailResponse');

export const WorkflowIdParams = Type.Object({ workFlowId: Type.String({ minLength: 1, maxLength: 255 }) });

export const WorkflowSummary = Type.Object(
  {
    workFlowId: Type.String(),
    flowName: Type.String(),
    clusterId: Type.Optional(Type.String()),
    sourceClusterId: Type.Optional(Type.String()),
    strategy: Type.Optional(Type.String()),
    step: Type.Optional(Type.String()),
    status: Type.Enum(['Processing', 'Finished', 'Error', 'Canceled', 'Terminated', 'TimedOut']),
    startTime: Type.String(),
    closeTime: Type.Optional(Type.String()),
  },
  { $id: 'WorkflowSummary' },
);
export const WorkflowListResponse = envelope(Type.Array(Type.Ref('WorkflowSummary')), 'WorkflowListResponse');

/** Values that go into a visibility query: plain identifiers only. */
const SEARCH_VALUE = '^[A-Za-z0-9._:-]+$';

export const WorkflowListQuery = Type.Object({
  sourceClusterId: Type.Optional(Type.String({ pattern: SEARCH_VALUE, maxLength: L.MAX_ID_LENGTH })),
  clusterId: Type.Optional(Type.String({ pattern: SEARCH_VALUE, maxLength: L.MAX_ID_LENGTH })),
  strategy: Type.Optional(Type.Enum([...CLONE_STRATEGIES])),
  status: Type.Optional(Type.Enum(['Processing', 'Finished', 'Error', 'Canceled', 'Terminated', 'TimedOut'])),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});

export const TiemWorkflowListQuery = Type.Object({
  bizId: Type.Optional(Type.String({ pattern: SEARCH_VALUE, maxLength: L.MAX_ID_LENGTH })),
  bizType: Type.Optional(Type.String({ maxLength: 32 })),
  flowName: Type.Optional(Type.String({ pattern: SEARCH_VALUE, maxLength: 64, description: 'substring of the flow name' })),
  status: Type.Optional(Type.Enum([...TIEM_FLOW_STATUSES])),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 1 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 20 })),
});

export const TiemWorkflowListResponse = Type.Object(
  {
    code: Type.Literal(0),
    message: Type.String(),
    data: Type.Object({ workFlows: Type.Array(Type.Ref('WorkflowInfo')) }),
    page: Type.Object({ page: Type.Integer(), pageSize: Type.Integer(), total: Type.Integer() }),
  },
  { $id: 'TiemWorkflowListResponse', description: "TiEM's QueryWorkFlowsResp with its page object, newest first" },
);

export const WorkflowStopStartBody = Type.Object({ workFlowId: Type.String({ minLength: 1, maxLength: 255 }) }, { additionalProperties: false });
export const EmptyResponse = envelope(Type.Object({}), 'EmptyResponse');

// --- parameter groups (TiEM /api/v1/param-groups) -------------------------------------------------

const ParameterGroupParameterInfo = Type.Object({
  paramId: Type.String({ description: 'ours: <component>.<name>' }),
  category: Type.String(),
  name: Type.String(),
  instanceType: Type.String(),
  systemVariable: Type.String(),
  type: Type.Integer(),
  unit: Type.String(),
  unitOptions: Type.Array(Type.String()),
  range: Type.Array(Type.String()),
  rangeType: Type.Integer(),
  hasReboot: Type.Integer(),
  hasApply: Type.Integer(),
  defaultValue: Type.String(),
  updateSource: Type.Integer(),
  readOnly: Type.Integer(),
  description: Type.String(),
  note: Type.String(),
  createTime: Type.Integer(),
  updateTime: Type.Integer(),
});

export const ParameterGroupInfo = Type.Object(
  {
    paramGroupId: Type.String(),
    name: Type.String(),
    dbType: Type.Integer({ description: '1 TiDB' }),
    hasDefault: Type.Integer({ description: '1 default, 2 custom' }),
    clusterVersion: Type.String(),
    clusterSpec: Type.String(),
    groupType: Type.Integer({ description: '1 cluster' }),
    note: Type.String(),
    createTime: Type.Integer({ description: 'Unix seconds' }),
    updateTime: Type.Integer({ description: 'Unix seconds' }),
    params: Type.Union([Type.Array(ParameterGroupParameterInfo), Type.Null()], { description: 'null in the list unless hasDetail' }),
  },
  { $id: 'ParameterGroupInfo', description: "TiEM's ParameterGroupInfo" },
);

export const ParameterGroupListQuery = Type.Object({
  name: Type.Optional(Type.String({ maxLength: L.MAX_ID_LENGTH })),
  dbType: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 })),
  hasDefault: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 })),
  clusterVersion: Type.Optional(Type.String({ maxLength: L.MAX_LABEL_LENGTH })),
  clusterSpec: Type.Optional(Type.String({ maxLength: L.MAX_LABEL_LENGTH })),
  hasDetail: Type.Optional(Type.Boolean()),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 1 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 20 })),
});

export const ParameterGroupListResponse = Type.Object(
  {
    code: Type.Literal(0),
    message: Type.String(),
    data: Type.Array(Type.Ref('ParameterGroupInfo')),
    page: Type.Object({ page: Type.Integer(), pageSize: Type.Integer(), total: Type.Integer() }),
  },
  { $id: 'ParameterGroupListResponse', description: "TiEM's QueryParameterGroupResp list with its page object" },
);

export const ParameterGroupIdParams = Type.Object({ paramGroupId: Type.String({ minLength: 1, maxLength: L.MAX_ID_LENGTH }) });
export const ParameterGroupResponse = envelope(Type.Ref('ParameterGroupInfo'), 'ParameterGroupResponse');

export const CreateParameterGroupBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: L.MAX_ID_LENGTH }),
    dbType: Type.Integer({ minimum: 1, maximum: 2, description: '1 TiDB (2, DM, is not supported)' }),
    clusterVersion: Type.String({ pattern: '^v[0-9]+\\.[0-9]+(\\.[0-9]+)?$', maxLength: L.MAX_LABEL_LENGTH }),
    clusterSpec: Type.String({ minLength: 1, maxLength: L.MAX_LABEL_LENGTH }),
    groupType: Type.Integer({ minimum: 1, maximum: 2, description: '1 cluster (2, instance, is not supported)' }),
    note: Type.Optional(Type.String({ maxLength: 255 })),
    params: Type.Array(
      Type.Object({ paramId: Type.String({ minLength: 1, maxLength: 128 }), defaultValue: Type.String({ maxLength: 1024 }), note: Type.Optional(Type.String({ maxLength: 255 })) }),
      { maxItems: 256 },
    ),
    addParams: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 0, description: 'new parameter definitions are not supported' })),
  },
  { description: "TiEM's CreateParameterGroupReq" },
);
export const ParameterGroupIdResponse = envelope(Type.Object({ paramGroupId: Type.String() }), 'ParameterGroupIdResponse');

export const WorkflowCancelResponse = envelope(Type.Object({ workFlowId: Type.String() }), 'WorkflowCancelResponse');

// --- clusters ---------------------------------------------------------------------------------

const clusterInfoFields = {
  clusterId: Type.String(),
  clusterName: Type.String(),
  clusterType: Type.Literal('TiDB'),
  clusterVersion: Type.String(),
  cpuArchitecture: Type.Enum([...CPU_ARCHITECTURES]),
  status: Type.String({ description: 'Initializing | Running | Stopped | Failure' }),
  maintainStatus: Type.String({ description: "'' | Cloning | BeingCloned | Deleting | …" }),
  region: Type.String(),
  copies: Type.Integer(),
  tags: Type.Array(Type.String()),
  tls: Type.Boolean(),
  exclusive: Type.Boolean(),
  vendor: Type.String(),
  parameterGroupId: Type.String(),
  createTime: Type.String(),
  updateTime: Type.String(),
  relations: Type.Object({
    masters: Type.Array(Type.String(), { description: 'clusters this one replicates from (StandBy)' }),
    slaves: Type.Array(Type.String(), { description: 'clusters replicating from this one (StandBy)' }),
  }),
};

export const ClusterInfo = Type.Object(clusterInfoFields, { $id: 'ClusterInfo' });

const ClusterInstanceInfo = Type.Object({
  id: Type.String(),
  type: Type.String({ description: 'PD, TiDB, TiKV, TiFlash, CDC, Grafana, Prometheus, AlertManager' }),
  hostIp: Type.String(),
  ports: Type.Array(Type.Integer()),
  zone: Type.String(),
  rack: Type.String(),
  spec: Type.Object({ cpu: Type.Integer(), memory: Type.Integer() }),
  disk: Type.Object({ id: Type.String(), path: Type.String() }),
  status: Type.String(),
});

export const ClusterDetail = Type.Object({ ...clusterInfoFields, instances: Type.Array(ClusterInstanceInfo) }, { $id: 'ClusterDetail' });

export const ClusterListResponse = envelope(Type.Array(Type.Ref('ClusterInfo')), 'ClusterListResponse');
export const ClusterDetailResponse = envelope(Type.Ref('ClusterDetail'), 'ClusterDetailResponse');
export const ClusterIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: L.MAX_ID_LENGTH }) });
export const ClusterDeleteQuery = Type.Object({
  force: Type.Optional(Type.Boolean({ default: false, description: 'delete even while the cluster is under maintenance' })),
});
export const ClusterFlowResponse = envelope(
  Type.Object({ workFlowId: Type.String(), clusterId: Type.String() }),
  'ClusterFlowResponse',
);

export const TakeoverRequestBody = Type.Object(
  {
    clusterName: Type.String({ minLength: 1, maxLength: L.MAX_ID_LENGTH, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'the TiUP cluster name on the control host' }),
    dbUser: Type.Optional(Type.Literal('root')),
    dbPassword: Type.String({ minLength: 1, maxLength: L.MAX_TAKEOVER_PASSWORD_LENGTH, writeOnly: true, description: 'root password (checked over SQL, stored encrypted)' }),
    region: Type.String({ minLength: 1, maxLength: L.MAX_LABEL_LENGTH }),
    cpuArchitecture: Type.Optional(Type.Enum([...CPU_ARCHITECTURES])),
    copies: Type.Optional(Type.Enum([1, 3, 5, 7])),
    tags: Type.Optional(Tags),
    vendor: Type.Optional(Type.String({ maxLength: L.MAX_LABEL_LENGTH })),
    controlHost: Type.Optional(
      Type.String({ maxLength: 63, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$', description: "the control host whose TIUP_HOME manages it (the workers' TIEM_CONTROL_HOST); default: the deployment's default control host" }),
    ),
  },
  { description: 'register an existing TiUP-managed cluster' },
);

// --- resources --------------------------------------------------------------------------------

const diskFields = {
  name: Type.String({ minLength: 1, maxLength: L.MAX_ID_LENGTH }),
  path: Type.String({ minLength: 1, maxLength: L.MAX_PATH_LENGTH, pattern: '^/' }),
  capacity: Type.Integer({ minimum: 1, maximum: L.MAX_DISK_CAPACITY_GB, description: 'GB' }),
  type: Type.Enum(['SSD', 'NVMeSSD', 'SATA']),
};

const hostFields = {
  ip: Type.String({ format: 'ipv4', maxLength: L.MAX_IP_LENGTH }),
  hostName: Type.Optional(Type.String({ maxLength: L.MAX_HOST_NAME_LENGTH })),
  region: Type.String({ minLength: 1, maxLength: L.MAX_LABEL_LENGTH }),
  zone: Type.String({ minLength: 1, maxLength: L.MAX_LABEL_LENGTH }),
  rack: Type.String({ maxLength: L.MAX_LABEL_LENGTH }),
  arch: Type.Enum([...CPU_ARCHITECTURES]),
  cpuCores: Type.Integer({ minimum: 1, maximum: L.MAX_CPU_CORES }),
  memory: Type.Integer({ minimum: 1, maximum: L.MAX_MEMORY_GB, description: 'GB' }),
  reserved: Type.Optional(Type.Boolean({ description: 'never allocated to clone targets (e.g. hosts of imported clusters)' })),
};

export const HostBody = Type.Object({ ...hostFields, disks: Type.Array(Type.Object(diskFields), { minItems: 1, maxItems: L.MAX_DISKS_PER_HOST }) });

export const HostsImportBody = Type.Object({ hosts: Type.Array(HostBody, { minItems: 1, maxItems: L.MAX_HOSTS_PER_IMPORT }) });
export const HostsImportResponse = envelope(Type.Object({ hostIds: Type.Array(Type.String()) }), 'HostsImportResponse');

export const HostInfo = Type.Object(
  {
    id: Type.String(),
    ...hostFields,
    hostName: Type.String(),
    reserved: Type.Boolean(),
    freeCpuCores: Type.Integer(),
    freeMemory: Type.Integer({ description: 'GB' }),
    status: Type.Enum(['Online', 'Offline']),
    loadStat: Type.Enum(['LoadLess', 'InUsed', 'Exclusive']),
    disks: Type.Array(Type.Object({ id: Type.String(), ...diskFields, type: Type.String(), status: Type.Enum(['Available', 'Exhaust']) })),
  },
  { $id: 'HostInfo' },
);
export const HostListResponse = envelope(Type.Object({ hosts: Type.Array(Type.Ref('HostInfo')) }), 'HostListResponse');

// --- health -----------------------------------------------------------------------------------

export const HealthResponse = Type.Object(
  {
    status: Type.Enum(['ok', 'degraded']),
    checks: Type.Object({ metadata: Type.Enum(['ok', 'error']), temporal: Type.Enum(['ok', 'error']) }),
  },
  { $id: 'Health' },
);

// --- reconciler -------------------------------------------------------------------------------

const RepairKind = Type.Enum(['gcHold', 'maintenanceLock', 'allocation', 'changefeed']);

export const Orphan = Type.Object(
  {
    kind: RepairKind,
    subject: Type.String({ description: 'source cluster (gcHold), cluster (maintenanceLock), allocation request id, changefeed id' }),
    holder: Type.String({ description: 'the workflow that held it' }),
    holderStatus: Type.String({ description: 'that workflow now: COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT, NOT_FOUND' }),
    action: Type.String({ description: 'what the repair does' }),
  },
  { $id: 'Orphan' },
);

export const RepairRecord = Type.Object(
  {
    id: Type.String(),
    at: Type.String(),
    runId: Type.String({ description: 'the reconciler run (workflow id)' }),
    kind: RepairKind,
    subject: Type.String(),
    holder: Type.String(),
    holderStatus: Type.String(),
    action: Type.String(),
    outcome: Type.Enum(['repaired', 'failed']),
    error: Type.Optional(Type.String()),
  },
  { $id: 'RepairRecord' },
);

export const ReconcileRunBody = Type.Object(
  { dryRun: Type.Optional(Type.Boolean({ description: 'list what would be repaired, change nothing' })) },
  { additionalProperties: false },
);

export const ReconcileReport = Type.Object(
  {
    runId: Type.String(),
    dryRun: Type.Boolean(),
    orphans: Type.Array(Type.Ref('Orphan')),
    repairs: Type.Array(Type.Ref('RepairRecord')),
  },
  { $id: 'ReconcileReport' },
);
export const ReconcileReportResponse = envelope(Type.Ref('ReconcileReport'), 'ReconcileReportResponse');

export const RepairListQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) }, { additionalProperties: false });
export const RepairListResponse = envelope(Type.Object({ repairs: Type.Array(Type.Ref('RepairRecord')) }), 'RepairListResponse');

/**
 * Response schemas referenced by `$ref` (fastify.addSchema): named components of the OpenAPI
 * document. Request schemas stay inline, since the TypeBox validator compiles each one alone.
 */
export const SHARED_SCHEMAS: TSchema[] = [ErrorEnvelope, CloneResponseData, ClonePreflightData, ParameterGroupInfo, CloneProgress, WorkflowInfo, WorkflowDetail, WorkflowSummary, ClusterInfo, ClusterDetail, HostInfo, Orphan, RepairRecord, ReconcileReport];

// --- the schemas and api/types.ts describe the same wire shapes ---------------------------------

/** Compiles only when A and B are assignable both ways. */
type Mutual<A extends B, B extends C, C = A> = [A, B, C];
/** Request bodies may be stricter than their wire type (e.g. copies ∈ {1,3,5,7}), never looser. */
type Narrows<A extends B, B> = [A, B];
export type _WireChecks = [
  Mutual<Static<typeof CloneResponseData>, Wire.CloneResponseData>,
  Mutual<Static<typeof WorkflowSummary>, Wire.WorkflowSummary>,
  Mutual<Static<typeof ClusterInfo>, Wire.ClusterInfo>,
  Mutual<Static<typeof ClusterDetail>, Wire.ClusterDetail>,
  Mutual<Static<typeof CloneProgress>, NonNullable<Wire.WorkflowDetail['progress']>>,
  Mutual<Static<typeof WorkflowInfo>, Wire.WorkflowInfo>,
  Mutual<Static<typeof ParameterGroupInfo>, Wire.ParameterGroupInfo>,
  Narrows<Static<typeof CreateParameterGroupBody>, Wire.CreateParameterGroupBody>,
  Mutual<Static<typeof WorkflowStopStartBody>, Wire.WorkflowStopStartBody>,
  Mutual<Static<typeof HostInfo>, Wire.HostInfo>,
  Mutual<Static<typeof HostBody>, Wire.HostBody>,
  Narrows<Static<typeof TakeoverRequestBody>, Wire.TakeoverRequestBody>,
  Mutual<Static<typeof HealthResponse>, Wire.HealthStatus>,
];
