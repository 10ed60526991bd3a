// Temporal's view of a flow (describe, the `progress` query, visibility) → TiEM's DetailWorkFlow
// and our list rows. Pure functions; the routes fetch, these map.
import type { CloneProgress, NodeStatus } from '../domain/types.js';
import type { WorkflowDetail, WorkflowNodeInfo, WorkflowSummary } from '../client/api-types.js';

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
} as const satisfies Record<string, WorkflowDetail['info']['flowName']>;

export function flowNameOf(workflowType: string): WorkflowDetail['info']['flowName'] | undefined {
  return (FLOW_NAMES as Record<string, WorkflowDetail['info']['flowName']>)[workflowType];
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

export function detailStatusOf(status: ExecutionStatusName): WorkflowDetail['info']['status'] {
  switch (status) {
    case 'RUNNING':
    case 'CONTINUED_AS_NEW':
      return 'Processing';
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
  const info: WorkflowNodeInfo = { id: `${workflowId}/${n.name}`, name: n.name, status: NODE_STATUS[n.status], result: n.result.join('\n') };
  if (n.startTime) info.startTime = n.startTime;
  if (n.endTime) info.endTime = n.endTime;
  if (n.br) {
    info.progress = { step: n.br.step, percent: n.br.percent };
    if (n.br.bytes !== undefined) info.progress.bytes = n.br.bytes;
    if (n.br.totalBytes !== undefined) info.progress.totalBytes = n.br.totalBytes;
  }
  return info;
}

/** TiEM's DetailWorkFlow for a flow. The flow type must be one of FLOW_NAMES. */
export function toWorkflowDetail(f: FlowFacts): WorkflowDetail {
  const flowName = flowNameOf(f.workflowType);
  if (!flowName) throw new Error(`${f.workflowType} is not a cluster flow`);
  const nodes = f.progress?.nodes ?? [];
  const times = nodes.flatMap((n) => [n.startTime, n.endTime]).filter((t): t is string => !!t).sort();
  const createTime = f.startTime.toISOString();
  const detail: WorkflowDetail = {
    info: {
      workFlowId: f.workflowId,
      flowName,
      bizId: f.progress?.targetClusterId ?? f.clusterId ?? '',
      bizType: 'cluster',
      status: detailStatusOf(f.status),
      createTime,
      updateTime: f.closeTime?.toISOString() ?? times.at(-1) ?? createTime,
    },
    nodeInfo: nodes.map((n) => toNodeInfo(f.workflowId, n)),
    nodeNames: nodes.map((n) => n.name),
  };
  const error = f.progress?.error ?? f.failure;
  if (error && detail.info.status !== 'Processing' && detail.info.status !== 'Finished') {
    detail.info.errorCode = error.code;
    detail.info.errorMessage = error.message;
  }
  if (f.progress) detail.progress = f.progress;
  return detail;
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
