// CDCSync activities: changefeed creation (reuse, refusal), catch-up from the SOURCE TSO, removal.
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities/index.js';
import { TicdcApiError } from '../../adapters/types.js';
import { tsoFromPhysicalMs } from '../../domain/tso.js';
import { addSource, addTarget, makeDeps, mockEnv, type Fakes } from './activities-fakes.js';

const BACKUP_TS = tsoFromPhysicalMs(1_700_000_000_000);
const SERVER = '127.0.1.11:8300';

async function setup(): Promise<Fakes> {
  const fakes = makeDeps();
  await addSource(fakes);
  addTarget(fakes);
  await fakes.store.createBackupRecord({
    id: 'b1', clusterId: 'src-cluster', storageType: 'local', filePath: 'local:///b/src-cluster/b1', backupType: 'full', backupMethod: 'physical',
    backupMode: 'manual', status: 'Finished', size: 10, backupTso: BACKUP_TS, startTime: '', endTime: '',
  });
  await fakes.store.upsertClusterUser({ clusterId: 'tgt-cluster', name: 'CDC_Data_Sync', password: 'p@ss/w:rd', role: 'CDCDataSync' });
  return fakes;
}

const syncArgs = { sourceClusterId: 'src-cluster', targetClusterId: 'tgt-cluster', backupId: 'b1', changefeedId: 'clone-tgt-cluster' };

describe('syncIncrData', () => {
  it('creates the changefeed on the source CDC from the backup TS into the target, then task and relation', async () => {
    const fakes = await setup();
    const res = await mockEnv().run(createActivities(fakes).syncIncrData, syncArgs);
    expect(res).toMatchObject({ changefeedId: 'clone-tgt-cluster', cdcServer: SERVER, startTs: BACKUP_TS });
    expect(fakes.cdc.created).toEqual([
      {
        server: SERVER,
        changefeedId: 'clone-tgt-cluster',
        sinkUri: `mysql://CDC_Data_Sync:${encodeURIComponent('p@ss/w:rd')}@127.0.2.11:10000/`,
        startTs: BACKUP_TS,
        filterRules: ['*.*', '!__TiDB_BR_Temporary*.*'],
      },
    ]);
    expect(fakes.store.tasks.get('clone-tgt-cluster')).toMatchObject({ status: 'Normal', clusterId: 'src-cluster', downstreamClusterId: 'tgt-cluster', cdcServer: SERVER });
    expect(fakes.store.relations).toEqual([{ relationType: 'StandBy', subjectClusterId: 'src-cluster', objectClusterId: 'tgt-cluster', syncChangefeedTaskId: 'clone-tgt-cluster' }]);
    expect(res.resultLines.join('\n')).not.toContain('p@ss');
  });

  it("a TLS source: TiCDC is called with the source's CA and client pair", async () => {
    const fakes = await setup();
    fakes.store.clusters.get('src-cluster')!.tls = true;
    await mockEnv().run(createActivities(fakes).syncIncrData, syncArgs);
    const dir = `${fakes.tiup.clusterDir('src-cluster')}/tls`;
    expect(fakes.cdc.created[0]).toMatchObject({ server: SERVER, tls: { caPath: `${dir}/ca.crt`, certPath: `${dir}/client.crt`, keyPath: `${dir}/client.pem` } });
    expect(fakes.cdc.created[0].sinkUri).toMatch(/:10000\/$/); // the target has no TLS: plain sink
  });

  it("a target serving SQL over TLS: its CA goes to every CDC host of the source, the sink verifies with it", async () => {
    const fakes = await setup();
    fakes.store.clusters.get('tgt-cluster')!.tls = true;
    fakes.sql.server('127.0.2.11', 10000).offersTls = true;
    fakes.sql.server('127.0.2.11', 10000).users.set('CDC_Data_Sync', { password: 'p@ss/w:rd', privileges: [] });
    const cdc = (host: string) => ({ id: `${host}:8300`, role: 'cdc', host, ports: '8300', os_arch: 'linux/x86_64', status: 'Up', deploy_dir: '/tidb-deploy/cdc-8300', ComponentName: 'cdc', Port: 8300 });
    fakes.tiup.displays = [{ cluster_meta: { cluster_type: 'tidb', cluster_name: 'src-cluster', cluster_version: 'v7.5.1', deploy_user: 'tidb', tls_enabled: false }, instances: [cdc('127.0.1.11'), cdc('127.0.1.12')] }];
    await mockEnv().run(createActivities(fakes).syncIncrData, syncArgs);
    const remote = '/tidb-deploy/cdc-8300/tls/downstream-tgt-cluster-ca.crt';
    expect(fakes.tiup.calls.filter((c) => c.startsWith('push'))).toEqual([`push src-cluster ${remote} -N 127.0.1.11:8300`, `push src-cluster ${remote} -N 127.0.1.12:8300`]);
    expect(fakes.cdc.created[0].sinkUri).toBe(`mysql://CDC_Data_Sync:${encodeURIComponent('p@ss/w:rd')}@127.0.2.11:10000/?ssl-ca=${encodeURIComponent(remote)}`);
  });

  it('a TLS target whose TiDB serves SQL in plaintext: no CA pushed, plain sink', async () => {
    const fakes = await setup();
    fakes.store.clusters.get('tgt-cluster')!.tls = true;
    fakes.sql.server('127.0.2.11', 10000).users.set('CDC_Data_Sync', { password: 'p@ss/w:rd', privileges: [] });
    await mockEnv().run(createActivities(fakes).syncIncrData, syncArgs);
    expect(fakes.tiup.calls.filter((c) => c.startsWith('push'))).toEqual([]);
    expect(fakes.cdc.created[0].sinkUri).toMatch(/:10000\/$/);
  });

  it('reuses an existing changefeed on a re-run (no duplicate changefeed or relation)', async () => {
    const fakes = await setup();
    const acts = createActivities(fakes);
    await mockEnv().run(acts.syncIncrData, syncArgs);
    const again = await mockEnv().run(acts.syncIncrData, syncArgs);
    expect(fakes.cdc.created).toHaveLength(1);
    expect(fakes.store.relations).toHaveLength(1);
    expect(again.resultLines[0]).toContain('already exists');
  });

  it('turns CDC:ErrStartTsBeforeGC into a non-retryable TOOL_REJECTED', async () => {
    const fakes = await setup();
    fakes.cdc.createError = new TicdcApiError(400, 'CDC:ErrStartTsBeforeGC', `fail to create or maintain changefeed because start-ts ${BACKUP_TS} is earlier than or equal to GC safepoint at 1`);
    const err = (await mockEnv().run(createActivities(fakes).syncIncrData, syncArgs).catch((e: unknown) => e)) as ApplicationFailure;
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect([err.type, err.nonRetryable]).toEqual(['TOOL_REJECTED', true]);
    expect(fakes.store.relations).toHaveLength(0);
  });

  it('fails with CHANGE_FEED_EXECUTE_ERROR when the new changefeed goes to failed', async () => {
    const fakes = await setup();
    fakes.cdc.initialState = 'failed';
    const err = (await mockEnv().run(createActivities(fakes).syncIncrData, syncArgs).catch((e: unknown) => e)) as ApplicationFailure;
    expect(err.type).toBe('CHANGE_FEED_EXECUTE_ERROR');
    expect(fakes.store.tasks.get('clone-tgt-cluster')?.status).toBe('Failed');
    expect(fakes.store.relations).toHaveLength(0);
  });
});

describe('waitChangefeedCatchUp', () => {
  const waitArgs = { changefeedId: 'clone-tgt-cluster', sourceClusterId: 'src-cluster', cdcServer: SERVER, thresholdMs: 300_000 };

  it('measures lag from the SOURCE TSO (not the host clock) and finishes when within the threshold', async () => {
    const fakes = await setup();
    await mockEnv().run(createActivities(fakes).syncIncrData, syncArgs);
    const sourceTidb = fakes.sql.server('127.0.1.11', 4000);
    const feed = fakes.cdc.feeds.get(`${SERVER}/clone-tgt-cluster`)!;
    // Source TSO 1 h after the checkpoint; the host clock (years later) is irrelevant.
    const physical = 1_700_000_000_000;
    sourceTidb.tso = tsoFromPhysicalMs(physical + 3_600_000);
    let polls = 0;
    const getChangefeed = fakes.cdc.getChangefeed.bind(fakes.cdc);
    fakes.cdc.getChangefeed = async (server, id) => {
      polls++;
      // The checkpoint advances 20 minutes per poll.
      feed.checkpoint_ts = tsoFromPhysicalMs(physical + polls * 1_200_000);
      return getChangefeed(server, id);
    };
    const env = mockEnv();
    const beats: unknown[] = [];
    env.on('heartbeat', (d) => beats.push(d));
    const res = await env.run(createActivities(fakes).waitChangefeedCatchUp, waitArgs);
    expect(polls).toBe(3);
    expect(res.lagMs).toBe(0);
    expect(beats).toEqual([
      { lagMs: 2_400_000, state: 'normal' },
      { lagMs: 1_200_000, state: 'normal' },
      { lagMs: 0, state: 'normal' },
    ]);
    expect(res.resultLines[0]).toBe(
      `upstream update timestamp(uut) ${physical + 3_600_000}ms, downstream update timestamp(dut) ${physical + 3_600_000}ms, stop condition(uut - dut): 0ms`,
    );
  });

  it('fails with the CDC error instead of counting a failed changefeed as caught up', async () => {
    const fakes = await setup();
    await mockEnv().run(createActivities(fakes).syncIncrData, syncArgs);
    const feed = fakes.cdc.feeds.get(`${SERVER}/clone-tgt-cluster`)!;
    feed.state = 'failed';
    feed.error = { code: 'CDC:ErrSnapshotLostByGC', message: 'snapshot lost by GC' };
    fakes.sql.server('127.0.1.11', 4000).tso = feed.checkpoint_ts;
    const err = (await mockEnv().run(createActivities(fakes).waitChangefeedCatchUp, waitArgs).catch((e: unknown) => e)) as ApplicationFailure;
    expect(err.type).toBe('CHANGE_FEED_EXECUTE_ERROR');
    expect(err.message).toContain('snapshot lost by GC');
  });

  it('waits through the states TiCDC retries by itself (error, pending, warning), then fails with the last error after the bound', async () => {
    for (const retried of ['error', 'pending', 'warning']) {
      const fakes = await setup();
      await mockEnv().run(createActivities(fakes).syncIncrData, syncArgs);
      const feed = fakes.cdc.feeds.get(`${SERVER}/clone-tgt-cluster`)!;
      fakes.sql.server('127.0.1.11', 4000).tso = feed.checkpoint_ts;
      // retried for a while, then healthy again: the wait goes on and finishes
      let polls = 0;
      const getChangefeed = fakes.cdc.getChangefeed.bind(fakes.cdc);
      fakes.cdc.getChangefeed = async (server, id) => {
        polls++;
        feed.state = polls < 4 ? retried : 'normal';
        feed.error = polls < 4 ? { code: 'CDC:ErrMySQLConnectionError', message: 'dial tcp: connection refused' } : null;
        return getChangefeed(server, id);
      };
      await expect(mockEnv().run(createActivities(fakes).waitChangefeedCatchUp, waitArgs)).resolves.toMatchObject({ lagMs: 0 });
      expect(polls).toBe(4);

      // stuck in it: fails once the bound has passed, naming TiCDC's error
      fakes.cdc.getChangefeed = async (server, id) => {
        feed.state = retried;
        feed.error = { code: 'CDC:ErrMySQLConnectionError', message: 'dial tcp: connection refused' };
        return getChangefeed(server, id);
      };
      const bounded = { ...fakes, config: { ...fakes.config, changefeedRetryBoundMs: 200 } };
      const err = (await mockEnv().run(createActivities(bounded).waitChangefeedCatchUp, waitArgs).catch((e: unknown) => e)) as ApplicationFailure;
      expect(err.type).toBe('CHANGE_FEED_EXECUTE_ERROR');
      expect(err.nonRetryable).toBe(true);
      expect(err.message).toMatch(`changefeed clone-tgt-cluster is ${retried} for more than 0 min: [CDC:ErrMySQLConnectionError] dial tcp: connection refused`);
    }
  });

  it('counts the retried time from where the previous attempt left it (heartbeat details)', async () => {
    const fakes = await setup();
    await mockEnv().run(createActivities(fakes).syncIncrData, syncArgs);
    const feed = fakes.cdc.feeds.get(`${SERVER}/clone-tgt-cluster`)!;
    feed.state = 'warning';
    const bounded = { ...fakes, config: { ...fakes.config, changefeedRetryBoundMs: 60_000 } };
    const env = new MockActivityEnvironment({ heartbeatDetails: { retryingSince: Date.now() - 120_000 } }, { logger: new DefaultLogger('ERROR') });
    const err = (await env.run(createActivities(bounded).waitChangefeedCatchUp, waitArgs).catch((e: unknown) => e)) as ApplicationFailure;
    expect(err.message).toMatch(/is warning for more than 1 min/);
  });

  it('fails at once on a final state: stopped, removed, finished', async () => {
    for (const state of ['stopped', 'removed', 'finished']) {
      const fakes = await setup();
      await mockEnv().run(createActivities(fakes).syncIncrData, syncArgs);
      const feed = fakes.cdc.feeds.get(`${SERVER}/clone-tgt-cluster`)!;
      feed.state = state;
      const err = (await mockEnv().run(createActivities(fakes).waitChangefeedCatchUp, waitArgs).catch((e: unknown) => e)) as ApplicationFailure;
      expect(err.message).toMatch(new RegExp(`changefeed clone-tgt-cluster is ${state}$`));
    }
  });

  it('fails when the changefeed does not exist', async () => {
    const fakes = await setup();
    const err = (await mockEnv().run(createActivities(fakes).waitChangefeedCatchUp, waitArgs).catch((e: unknown) => e)) as ApplicationFailure;
    expect(err.type).toBe('CHANGE_FEED_EXECUTE_ERROR');
  });
});

describe('removeChangefeed', () => {
  const args = { sourceClusterId: 'src-cluster', targetClusterId: 'tgt-cluster', changefeedId: 'clone-tgt-cluster' };

  it('removes the changefeed, marks the task Deleted and deletes the relation', async () => {
    const fakes = await setup();
    const acts = createActivities(fakes);
    await mockEnv().run(acts.syncIncrData, syncArgs);
    await mockEnv().run(acts.removeChangefeed, args);
    expect(fakes.cdc.feeds.size).toBe(0);
    expect(fakes.store.tasks.get('clone-tgt-cluster')?.status).toBe('Deleted');
    expect(fakes.store.relations).toHaveLength(0);
  });

  it('is safe when nothing exists, even when the source is gone', async () => {
    const fakes = makeDeps();
    const line = await mockEnv().run(createActivities(fakes).removeChangefeed, args);
    expect(line).toBe('no changefeed clone-tgt-cluster found, nothing to remove');
    const withSource = await setup();
    await mockEnv().run(createActivities(withSource).removeChangefeed, args);
    expect(withSource.cdc.removed).toEqual([`${SERVER}/clone-tgt-cluster`]);
    expect(withSource.store.tasks.size).toBe(0);
  });
});
