// Temporal's view of a flow (describe, the `progress` query, visibility) → TiEM's DetailWorkFlow
// and our list rows. Pure functions; the routes fetch, these map.
import type { CloneProgress, NodeStatus } from '../domain/types.js';
import { ZERO_TIME, type WorkflowDetail, type WorkflowInfo, type WorkflowNodeInfo, type WorkflowStatus, type WorkflowSummary } from '../client/api-types.js';

/** Temporal's WorkflowExecutionStatusName. */
export type ExecutionStatusName =
  | 'RUNNING'
  | 'COMPLETED'
  | 'FAILED'
  | 'CANCELLED'
  | 'TERMINATED'
  | 'CONTINUED_AS_NEW'
  | 'TIMED_OUT'
  | 'UNKNOWN'
  | 'UNSPECIFIED';

/** Workflow types that are TiEM flows; their children (backup, restore, …) are not listed on their own. */
export const FLOW_NAMES = {
  cloneCluster: 'CloneCluster',
  deleteCluster: 'DeleteCluster',
  takeoverCluster: 'TakeoverCluster',
} as const satisfies Record<string, WorkflowInfo['name']>;

export function flowNameOf(workflowType: string): WorkflowInfo['name'] | undefined {
  return (FLOW_NAMES as Record<string, WorkflowInfo['name']>)[workflowType];
}

const NODE_STATUS: Record<NodeStatus, WorkflowNodeInfo['status']> = {
  pending: 'Initializing',
  running: 'Processing',
  done: 'Finished',
  failed: 'Error',
  skipped: 'Skipped',
  // TiEM has no such state: the node is still being worked on.
  compensating: 'Processing',
  compensated: 'Compensated',
};

export function detailStatusOf(status: ExecutionStatusName, stopped = false): WorkflowStatus {
  switch (status) {
    case 'RUNNING':
    case 'CONTINUED_AS_NEW':
      return stopped ? 'Stopped' : 'Processing';
    case 'COMPLETED':
      return 'Finished';
    case 'CANCELLED':
      return 'Canceled';
    default:
      return 'Error'; // failed, terminated, timed out
  }
}

export const SUMMARY_STATUS: Record<WorkflowSummary['status'], { execution: ExecutionStatusName; visibility: string }> = {
  Processing: { execution: 'RUNNING', visibility: 'Running' },
  Finished: { execution: 'COMPLETED', visibility: 'Completed' },
  Error: { execution: 'FAILED', visibility: 'Failed' },
  Canceled: { execution: 'CANCELLED', visibility: 'Canceled' },
  Terminated: { execution: 'TERMINATED', visibility: 'Terminated' },
  TimedOut: { execution: 'TIMED_OUT', visibility: 'TimedOut' },
};

export function summaryStatusOf(status: ExecutionStatusName): WorkflowSummary['status'] {
  const found = (Object.keys(SUMMARY_STATUS) as WorkflowSummary['status'][]).find((k) => SUMMARY_STATUS[k].execution === status);
  return found ?? 'Processing';
}

export interface FlowFacts {
  workflowId: string;
  workflowType: string;
  status: ExecutionStatusName;
  startTime: Date;
  closeTime?: Date;
  /** TiemClusterId search attribute, when set. */
  clusterId?: string;
  progress?: CloneProgress;
  /** A closed, failed flow without a progress error: its failure. */
  failure?: { code: number; message: string };
}

export function toNodeInfo(workflowId: string, n: CloneProgress['nodes'][number]): WorkflowNodeInfo {
  const info: WorkflowNodeInfo = {
    id: `${workflowId}/${n.name}`,
    name: n.name,
    parameters: '',
    status: NODE_STATUS[n.status],
    result: n.result.join('\n'),
    startTime: n.startTime ?? ZERO_TIME,
    endTime: n.endTime ?? ZERO_TIME,
  };
  if (n.br) {
    info.progress = { step: n.br.step, percent: n.br.percent };
    if (n.br.bytes !== undefined) info.progress.bytes = n.br.bytes;
    if (n.br.totalBytes !== undefined) info.progress.totalBytes = n.br.totalBytes;
  }
  return info;
}

/** TiEM's WorkFlowInfo of a flow. The flow type must be one of FLOW_NAMES. */
export function toWorkflowInfo(f: FlowFacts): WorkflowInfo {
  const name = flowNameOf(f.workflowType);
  if (!name) throw new Error(`${f.workflowType} is not a cluster flow`);
  const nodes = f.progress?.nodes ?? [];
  const times = nodes.flatMap((n) => [n.startTime, n.endTime]).filter((t): t is string => !!t).sort();
  const createTime = f.startTime.toISOString();
  const info: WorkflowInfo = {
    id: f.workflowId,
    name,
    bizId: f.progress?.targetClusterId ?? f.clusterId ?? '',
    bizType: 'cluster',
    status: detailStatusOf(f.status, f.progress?.stopped !== undefined),
    createTime,
    updateTime: f.closeTime?.toISOString() ?? f.progress?.stopped?.since ?? times.at(-1) ?? createTime,
    deleteTime: ZERO_TIME,
  };
  const error = f.progress?.error ?? f.failure;
  if (error && (info.status === 'Error' || info.status === 'Canceled')) {
    info.errorCode = error.code;
    info.errorMessage = error.message;
  }
  return info;
}

/** TiEM's QueryWorkFlowDetailResp for a flow. */
export function toWorkflowDetail(f: FlowFacts): WorkflowDetail {
  const nodes = f.progress?.nodes ?? [];
  const detail: WorkflowDetail = {
    info: toWorkflowInfo(f),
    nodes: nodes.map((n) => toNodeInfo(f.workflowId, n)),
    nodeNames: nodes.map((n) => n.name),
  };
  if (f.progress) detail.progress = f.progress;
  return detail;
}

/** TiEM's list filter (QueryWorkFlowsReq) as a visibility query over our flows; Processing and Stopped are both Running there. */
export function buildTiemListQuery(f: { bizId?: string; flowName?: string; status?: WorkflowStatus }): string {
  const types = Object.entries(FLOW_NAMES)
    .filter(([, name]) => !f.flowName || name.toLowerCase().includes(f.flowName.toLowerCase()))
    .map(([type]) => visibilityLiteral(type));
  if (!types.length) return `WorkflowType = ${visibilityLiteral('none')}`;
  const parts = [`WorkflowType IN (${types.join(', ')})`];
  if (f.bizId) parts.push(`TiemClusterId = ${visibilityLiteral(f.bizId)}`);
  const byStatus: Record<WorkflowStatus, string[]> = {
    Initializing: [],
    Processing: ['Running'],
    Stopped: ['Running'],
    Canceling: [],
    Finished: ['Completed'],
    Error: ['Failed', 'Terminated', 'TimedOut'],
    Canceled: ['Canceled'],
  };
  if (f.status) {
    const v = byStatus[f.status];
    parts.push(v.length ? `ExecutionStatus IN (${v.map(visibilityLiteral).join(', ')})` : `ExecutionStatus = ${visibilityLiteral('none')}`);
  }
  return parts.join(' AND ');
}

/** Visibility row → our list entry. */
export function toWorkflowSummary(row: {
  workflowId: string;
  type: string;
  status: ExecutionStatusName;
  startTime: Date;
  closeTime?: Date;
  attributes: { clusterId?: string; sourceClusterId?: string; strategy?: string; step?: string };
}): WorkflowSummary {
  const s: WorkflowSummary = {
    workFlowId: row.workflowId,
    flowName: flowNameOf(row.type) ?? row.type,
    status: summaryStatusOf(row.status),
    startTime: row.startTime.toISOString(),
  };
  if (row.attributes.clusterId) s.clusterId = row.attributes.clusterId;
  if (row.attributes.sourceClusterId) s.sourceClusterId = row.attributes.sourceClusterId;
  if (row.attributes.strategy) s.strategy = row.attributes.strategy;
  if (row.attributes.step) s.step = row.attributes.step;
  if (row.closeTime) s.closeTime = row.closeTime.toISOString();
  return s;
}

/** A visibility string literal. Values are also restricted by the query schema; this is the second fence. */
export function visibilityLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export interface WorkflowListFilter {
  sourceClusterId?: string;
  clusterId?: string;
  strategy?: string;
  status?: WorkflowSummary['status'];
}

/** The visibility query of GET /api/v1/workflows: our flows only, filtered by the Keyword search attributes. */
export function buildListQuery(f: WorkflowListFilter): string {
  const parts = [`WorkflowType IN (${Object.keys(FLOW_NAMES).map(visibilityLiteral).join(', ')})`];
  if (f.sourceClusterId) parts.push(`TiemSourceClusterId = ${visibilityLiteral(f.sourceClusterId)}`);
  if (f.clusterId) parts.push(`TiemClusterId = ${visibilityLiteral(f.clusterId)}`);
  if (f.strategy) parts.push(`TiemCloneStrategy = ${visibilityLiteral(f.strategy)}`);
  if (f.status) parts.push(`ExecutionStatus = ${visibilityLiteral(SUMMARY_STATUS[f.status].visibility)}`);
  return parts.join(' AND ');
}
