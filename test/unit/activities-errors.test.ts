// The activity error boundary: TiemError → ApplicationFailure (type, nonRetryable, details), tool
// refusals, retryable tool failures, scrubbing of secrets, cancellation passthrough.
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { toActivityFailure } from '../../activities/errors.js';
import { TicdcApiError, ToolError } from '../../adapters/types.js';
import { TiemError } from '../../domain/errors.js';
import { mockEnv } from './activities-fakes.js';

function failure(err: unknown): ApplicationFailure {
  const f = toActivityFailure(err);
  expect(f).toBeInstanceOf(ApplicationFailure);
  return f as ApplicationFailure;
}

describe('toActivityFailure', () => {
  it('keeps the TiEM name, code, http status and cause code of a domain error', () => {
    const f = failure(new TiemError('RESOURCE_ALLOCATE_ERROR', 'no host in zone z9', { causeCode: 30102 }));
    expect(f.type).toBe('RESOURCE_ALLOCATE_ERROR');
    expect(f.nonRetryable).toBe(true);
    expect(f.details).toEqual([{ code: 30124, httpStatus: 500, causeCode: 30102 }]);
    expect(f.message).toBe('[30124]Failed to allocate resource\tno host in zone z9');
  });

  it('leaves retryable TiEM errors retryable', () => {
    const f = failure(new TiemError('CHANGE_FEED_EXECUTE_ERROR', 'changefeed x is not normal'));
    expect([f.type, f.nonRetryable]).toEqual(['CHANGE_FEED_EXECUTE_ERROR', false]);
  });

  it('classifies tool refusals as TOOL_REJECTED (non-retryable)', () => {
    const notFresh = failure(new ToolError('tiup br restore full exited with 1', 1, '', '[BR:Restore:ErrRestoreNotFreshCluster]restore in a non-fresh cluster'));
    expect([notFresh.type, notFresh.nonRetryable]).toEqual(['TOOL_REJECTED', true]);
    const nameDup = failure(new ToolError('tiup cluster deploy exited with 1', 1, '', '', "Cluster name 'x' is duplicated (deploy.name_dup)"));
    expect(nameDup.type).toBe('TOOL_REJECTED');
    const incompatible = failure(new ToolError('tiup br restore full exited with 1', 1, '', '[BR:Restore:ErrRestoreIncompatibleSys]incompatible backup: a backup from v7.1.0 cannot be restored'));
    expect([incompatible.type, incompatible.nonRetryable]).toEqual(['TOOL_REJECTED', true]);
    const gc = failure(new TicdcApiError(400, 'CDC:ErrStartTsBeforeGC', 'start-ts 1 is earlier than or equal to GC safepoint at 2'));
    expect([gc.type, gc.nonRetryable]).toEqual(['TOOL_REJECTED', true]);
  });

  it('maps driver errors: connection problems to CONNECT_TIDB_ERROR, SQL errors to SQL_ERROR, both retryable', () => {
    const conn = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4000'), { code: 'ECONNREFUSED' });
    expect([failure(conn).type, failure(conn).nonRetryable]).toEqual(['CONNECT_TIDB_ERROR', false]);
    const sql = Object.assign(new Error('Unknown system variable'), { code: 'ER_UNKNOWN_SYSTEM_VARIABLE', sqlMessage: 'Unknown system variable' });
    expect(failure(sql).type).toBe('SQL_ERROR');
    const adapterConnect = Object.assign(new Error('cannot connect to TiDB 127.0.2.11:4000 as root: timeout'), { name: 'TidbSqlError', connectFailure: true });
    expect(failure(adapterConnect).type).toBe('CONNECT_TIDB_ERROR');
    expect(failure(new Error('boom')).type).toBe('UNRECOGNIZED_ERROR');
  });

  it('never carries credentials in the message', () => {
    const f = failure(new TicdcApiError(500, 'CDC:ErrSinkURIInvalid', 'invalid sink mysql://CDC_Data_Sync:Sup3r$ecret@127.0.2.11:4000/'));
    expect(f.message).not.toContain('Sup3r$ecret');
    const t = failure(new ToolError('tiup br backup exited', 1, '', 'open s3://bucket/p?access-key=AKIA123&secret-access-key=SECRETKEY failed'));
    expect(t.message).not.toContain('SECRETKEY');
    const s = failure(new Error("You have an error near IDENTIFIED BY 'hunter2'"));
    expect(s.message).not.toContain('hunter2');
  });

  it('passes cancellation through as CancelledFailure, also when the killed tool reported its own error', async () => {
    expect(toActivityFailure(new CancelledFailure('CANCELLED'))).toBeInstanceOf(CancelledFailure);
    const env = mockEnv();
    const result = env.run(async () => {
      await new Promise((r) => setTimeout(r, 20));
      return toActivityFailure(new ToolError('tiup cluster deploy killed', 143, '', 'signal: terminated'));
    });
    env.cancel();
    expect(await result).toBeInstanceOf(CancelledFailure);
  });
});
