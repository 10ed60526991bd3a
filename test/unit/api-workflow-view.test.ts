// Temporal's view of a flow → TiEM's DetailWorkFlow and our list rows; the visibility query.
import { buildListQuery, buildTiemListQuery, detailStatusOf, flowNameOf, toWorkflowDetail, toWorkflowSummary, visibilityLiteral } from '../../api/workflow-view.js';
import type { CloneProgress } from '../../domain/types.js';

const progress = (over: Partial<CloneProgress> = {}): CloneProgress => ({
  workflowId: 'clone-T1',
  sourceClusterId: 'S1',
  targetClusterId: 'T1',
  strategy: 'Snapshot',
  status: 'Running',
  compensationErrors: [],
  nodes: [
    { name: 'startMaintenance', status: 'done', startTime: '2026-01-01T00:00:00.000Z', endTime: '2026-01-01T00:00:01.000Z', result: ['a', 'b'] },
    { name: 'backupSourceCluster', status: 'running', startTime: '2026-01-01T00:00:02.000Z', result: [], br: { step: 'Full Backup', percent: 48, bytes: 480, totalBytes: 1000, speedBytesPerSec: 10 } },
    { name: 'deployCluster', status: 'pending', result: [] },
    { name: 'syncIncrData', status: 'skipped', result: ['skipped by strategy Snapshot'] },
    { name: 'prepareResource', status: 'compensated', result: [] },
    { name: 'restoreCluster', status: 'failed', result: ['x'] },
  ],
  ...over,
});

const start = new Date('2026-01-01T00:00:00.000Z');

test('nodes: TiEM statuses, joined result lines, times, BR progress', () => {
  const d = toWorkflowDetail({ workflowId: 'clone-T1', workflowType: 'cloneCluster', status: 'RUNNING', startTime: start, progress: progress() });
  // TiEM's WorkFlowInfo (common/structs): id, name, bizId, bizType, status, create/update/deleteTime
  expect(d.info).toEqual({
    id: 'clone-T1',
    name: 'CloneCluster',
    bizId: 'T1',
    bizType: 'cluster',
    status: 'Processing',
    createTime: '2026-01-01T00:00:00.000Z',
    updateTime: '2026-01-01T00:00:02.000Z', // the latest node time while running
    deleteTime: '0001-01-01T00:00:00Z',
  });
  expect(d.nodes.map((n) => n.status)).toEqual(['Finished', 'Processing', 'Initializing', 'Skipped', 'Compensated', 'Error']);
  expect(d.nodes[0]).toEqual({ id: 'clone-T1/startMaintenance', name: 'startMaintenance', parameters: '', status: 'Finished', result: 'a\nb', startTime: '2026-01-01T00:00:00.000Z', endTime: '2026-01-01T00:00:01.000Z' });
  expect(d.nodes[1]!.progress).toEqual({ step: 'Full Backup', percent: 48, bytes: 480, totalBytes: 1000 });
  // Go's zero time for a node that has not started
  expect(d.nodes[2]).toMatchObject({ startTime: '0001-01-01T00:00:00Z', endTime: '0001-01-01T00:00:00Z' });
  expect(d.nodeNames).toEqual(['startMaintenance', 'backupSourceCluster', 'deployCluster', 'syncIncrData', 'prepareResource', 'restoreCluster']);
  expect(d.progress).toEqual(progress());
});

test('closed flows: status, close time, error only when it did not finish', () => {
  const closeTime = new Date('2026-01-01T01:00:00.000Z');
  const failed = toWorkflowDetail({ workflowId: 'clone-T1', workflowType: 'cloneCluster', status: 'FAILED', startTime: start, closeTime, progress: progress({ status: 'Failed', error: { code: 21399, message: 'boom' } }) });
  expect(failed.info).toMatchObject({ status: 'Error', updateTime: '2026-01-01T01:00:00.000Z', errorCode: 21399, errorMessage: 'boom' });
  const cancelled = toWorkflowDetail({ workflowId: 'clone-T1', workflowType: 'cloneCluster', status: 'CANCELLED', startTime: start, closeTime, progress: progress({ error: { code: 10000, message: 'cancelled' } }) });
  expect(cancelled.info).toMatchObject({ status: 'Canceled', errorCode: 10000 });
  // a flow without the progress query (takeover): the failure from the result, bizId from the search attribute
  const takeover = toWorkflowDetail({ workflowId: 'takeover-x', workflowType: 'takeoverCluster', status: 'TERMINATED', startTime: start, clusterId: 'x', failure: { code: 10007, message: 'no login' } });
  expect(takeover).toEqual({
    info: { id: 'takeover-x', name: 'TakeoverCluster', bizId: 'x', bizType: 'cluster', status: 'Error', createTime: start.toISOString(), updateTime: start.toISOString(), deleteTime: '0001-01-01T00:00:00Z', errorCode: 10007, errorMessage: 'no login' },
    nodes: [],
    nodeNames: [],
  });
  const done = toWorkflowDetail({ workflowId: 'delete-x', workflowType: 'deleteCluster', status: 'COMPLETED', startTime: start, closeTime, progress: progress({ status: 'Finished' }) });
  expect(done.info).toMatchObject({ name: 'DeleteCluster', status: 'Finished' });
  expect(done.info).not.toHaveProperty('errorCode');
});

test('flow names and statuses', () => {
  expect([flowNameOf('cloneCluster'), flowNameOf('deleteCluster'), flowNameOf('takeoverCluster'), flowNameOf('backupCluster')]).toEqual(['CloneCluster', 'DeleteCluster', 'TakeoverCluster', undefined]);
  expect(() => toWorkflowDetail({ workflowId: 'backup-1', workflowType: 'backupCluster', status: 'RUNNING', startTime: start })).toThrow(/not a cluster flow/);
  expect(['RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT', 'CONTINUED_AS_NEW'].map((s) => detailStatusOf(s as never))).toEqual([
    'Processing', 'Finished', 'Error', 'Canceled', 'Error', 'Error', 'Processing',
  ]);
});

test('a stopped running flow is Stopped, since it stopped', () => {
  const d = toWorkflowDetail({ workflowId: 'clone-T1', workflowType: 'cloneCluster', status: 'RUNNING', startTime: start, progress: progress({ stopped: { since: '2026-01-01T00:00:05.000Z' } }) });
  expect(d.info).toMatchObject({ status: 'Stopped', updateTime: '2026-01-01T00:00:05.000Z' });
});

test("TiEM's list filters as a visibility query", () => {
  expect(buildTiemListQuery({})).toBe("WorkflowType IN ('cloneCluster', 'deleteCluster', 'takeoverCluster')");
  expect(buildTiemListQuery({ bizId: 'T1', flowName: 'clone', status: 'Error' })).toBe("WorkflowType IN ('cloneCluster') AND TiemClusterId = 'T1' AND ExecutionStatus IN ('Failed', 'Terminated', 'TimedOut')");
  expect(buildTiemListQuery({ status: 'Stopped' })).toContain("ExecutionStatus IN ('Running')");
  expect(buildTiemListQuery({ flowName: 'nope' })).toBe("WorkflowType = 'none'");
});

test('list rows', () => {
  const row = toWorkflowSummary({
    workflowId: 'clone-T1',
    type: 'cloneCluster',
    status: 'TIMED_OUT',
    startTime: start,
    closeTime: start,
    attributes: { clusterId: 'T1', sourceClusterId: 'S1', strategy: 'CDCSync', step: 'end' },
  });
  expect(row).toEqual({ workFlowId: 'clone-T1', flowName: 'CloneCluster', status: 'TimedOut', startTime: start.toISOString(), closeTime: start.toISOString(), clusterId: 'T1', sourceClusterId: 'S1', strategy: 'CDCSync', step: 'end' });
  expect(toWorkflowSummary({ workflowId: 'w', type: 'deleteCluster', status: 'RUNNING', startTime: start, attributes: {} })).toEqual({ workFlowId: 'w', flowName: 'DeleteCluster', status: 'Processing', startTime: start.toISOString() });
});

test('the visibility query: our flows, Keyword search attributes, escaped literals', () => {
  const flows = "WorkflowType IN ('cloneCluster', 'deleteCluster', 'takeoverCluster')";
  expect(buildListQuery({})).toBe(flows);
  expect(buildListQuery({ sourceClusterId: 'S1', clusterId: 'T1', strategy: 'CDCSync', status: 'Canceled' })).toBe(
    `${flows} AND TiemSourceClusterId = 'S1' AND TiemClusterId = 'T1' AND TiemCloneStrategy = 'CDCSync' AND ExecutionStatus = 'Canceled'`,
  );
  expect(buildListQuery({ status: 'Error' })).toBe(`${flows} AND ExecutionStatus = 'Failed'`);
  expect(visibilityLiteral("a'b\\c")).toBe("'a\\'b\\\\c'");
});
