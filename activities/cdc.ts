// CDCSync: the changefeed source → target from the backup TS, the StandBy relation, the catch-up
// wait (lag from the SOURCE's TSO, not our clock) and its removal on failure.
import { TicdcApiError, type CdcServer, type ChangefeedInfo } from '../adapters/types.js';
import type { ClusterWithInstances } from '../domain/types.js';
import { TiemError } from '../domain/errors.js';
import { tsoPhysicalMs } from '../domain/tso.js';
import type { CloneActivities } from './types.js';
import type { ActivityDeps } from './deps.js';
import { cdcServerOn, clusterTls, firstInstance, requireCluster, tidbAddress, tidbEndpoint, tiupNameOf, withClusterUser, withSession } from './cluster-access.js';
import { requireBackupRecord } from './backup.js';
import { cancellationSignal, heartbeat, lastHeartbeat, pollSleep, runWithHeartbeat, sleep } from './heartbeat.js';

type CdcActivities = Pick<CloneActivities, 'syncIncrData' | 'waitChangefeedCatchUp' | 'removeChangefeed'>;

/** TiEM's filter: everything but BR's temporary schemas. */
export const CHANGEFEED_FILTER_RULES = ['*.*', '!__TiDB_BR_Temporary*.*'];
// Final states: TiCDC never resumes these by itself (pingcap/tiflow cdc/owner/feed_state_manager.go).
const FINAL_STATES = new Set(['failed', 'removed', 'stopped', 'finished']);
// TiCDC retries these by itself: `error` up to v7.2, `pending`/`warning` after. Wait through them, up to a bound.
const RETRIED_STATES = new Set(['error', 'pending', 'warning']);
const DEFAULT_RETRY_BOUND_MS = 30 * 60_000;

/**
 * Tracks how long a changefeed has been in a retried state, across polls and activity attempts (the
 * start travels in the heartbeat details). Throws once the bound is passed, with TiCDC's last error.
 */
class RetriedStateClock {
  constructor(
    private readonly boundMs: number,
    private since: number | undefined,
  ) {}

  observe(id: string, cf: ChangefeedInfo): void {
    if (FINAL_STATES.has(cf.state)) throw cdcFailure(id, cf);
    if (!RETRIED_STATES.has(cf.state)) {
      this.since = undefined;
      return;
    }
    this.since ??= Date.now();
    if (Date.now() - this.since > this.boundMs) throw cdcFailure(id, cf, ` for more than ${Math.round(this.boundMs / 60_000)} min`);
  }

  get retryingSince(): number | undefined {
    return this.since;
  }
}
/** TiEM: 20 × 500 ms for a new changefeed to become normal. */
const CREATE_CONFIRM_POLLS = 20;
const CREATE_CONFIRM_INTERVAL_MS = 500;

function cdcFailure(id: string, cf: ChangefeedInfo, duration = ''): TiemError {
  const reason = cf.error?.message ? `: ${cf.error.code ? `[${cf.error.code}] ` : ''}${cf.error.message}` : '';
  // A failed changefeed does not heal by retrying this step (spec §5.2).
  return new TiemError('CHANGE_FEED_EXECUTE_ERROR', `changefeed ${id} is ${cf.state}${duration}${reason}`, { nonRetryable: true });
}

async function cdcServerOf(deps: ActivityDeps, clusterId: string): Promise<string> {
  const cluster = await requireCluster(deps, clusterId);
  const inst = firstInstance(cluster, 'CDC');
  if (!inst || !inst.ports.length) throw new TiemError('CDC_NOT_FOUND', `cluster ${clusterId} not found CDC, which cloned by CDCSync`);
  return `${inst.hostIp}:${inst.ports[0]}`;
}

/**
 * Where an upstream's changefeed lives: the task's server, else the upstream's first CDC; with the
 * upstream's TLS material. `upstreamLive` false: the upstream is gone (it took its changefeeds along).
 */
export async function changefeedServerOf(
  deps: ActivityDeps,
  upstreamId: string,
  taskServer: string | undefined,
): Promise<{ address: string; endpoint: CdcServer; upstreamLive: boolean } | undefined> {
  const upstream = await deps.store.getCluster(upstreamId);
  const inst = upstream && firstInstance(upstream, 'CDC');
  const address = taskServer || (inst?.ports.length ? `${inst.hostIp}:${inst.ports[0]}` : undefined);
  if (!address) return undefined;
  return { address, endpoint: upstream ? cdcServerOn(deps, upstream, address) : address, upstreamLive: Boolean(upstream) };
}

/**
 * The sink URI's TLS part. When the target's TiDB serves SQL over TLS, the target's CA goes to every
 * CDC host of the source (TiCDC reads ssl-ca on its own host, tiflow pkg/sink/mysql/config.go
 * getSSLCA) and the sink verifies the target with it. Only the CA: the sink account needs no
 * client certificate, and the target's client key stays on the control host.
 */
async function sinkTlsQuery(deps: ActivityDeps, source: ClusterWithInstances, target: ClusterWithInstances, sinkPassword: string): Promise<string> {
  const tls = clusterTls(deps, target);
  if (!tls) return '';
  const secure = await withSession(deps, { ...tidbEndpoint(deps, target), user: 'CDC_Data_Sync', password: sinkPassword }, async (s) => s.secure);
  if (!secure) return '';
  const name = tiupNameOf(source.id);
  const cdcs = (await deps.tiup.display(name, { signal: cancellationSignal() })).instances.filter((i) => i.role === 'cdc');
  if (!cdcs.length || !cdcs[0].deploy_dir) throw new TiemError('CDC_NOT_FOUND', `cluster ${source.id} has no CDC instance with a deploy directory`);
  const remote = `${cdcs[0].deploy_dir.replace(/\/+$/, '')}/tls/downstream-${target.id}-ca.crt`;
  for (const cdc of cdcs) await runWithHeartbeat('push', (opts) => deps.tiup.push(name, tls.caPath, remote, { ...opts, nodes: [cdc.id] }));
  return `?ssl-ca=${encodeURIComponent(remote)}`;
}

/**
 * Removes a clone's changefeed, its task and the StandBy relation (the clone's undo and the
 * reconciler's repair). Idempotent: TiCDC's delete tolerates a missing changefeed; the task is
 * marked Deleted and the relation deleted only if present.
 */
export async function removeCloneChangefeed(
  deps: ActivityDeps,
  { sourceClusterId, targetClusterId, changefeedId }: { sourceClusterId: string; targetClusterId: string; changefeedId: string },
): Promise<string> {
  const { store, cdc } = deps;
  const task = await store.getChangefeedTask(changefeedId);
  const server = await changefeedServerOf(deps, sourceClusterId, task?.cdcServer);
  const lines: string[] = [];
  if (server) {
    await cdc.removeChangefeed(server.endpoint, changefeedId);
    lines.push(`remove changefeed ${changefeedId} on ${server.address}`);
  }
  if (task && task.status !== 'Deleted') await store.upsertChangefeedTask({ ...task, status: 'Deleted' });
  await store.deleteRelation(sourceClusterId, targetClusterId);
  return lines.length ? lines.join('; ') : `no changefeed ${changefeedId} found, nothing to remove`;
}

export function createCdcActivities(deps: ActivityDeps): CdcActivities {
  const { store, cdc } = deps;

  return {
    // Idempotent: the changefeed id is deterministic; an existing changefeed is reused; task and relation are upserts.
    async syncIncrData({ sourceClusterId, targetClusterId, backupId, changefeedId, ignoreIneligibleTables }) {
      const source = await requireCluster(deps, sourceClusterId);
      const target = await requireCluster(deps, targetClusterId);
      const server = await cdcServerOf(deps, sourceClusterId);
      const endpoint = cdcServerOn(deps, source, server);
      const record = await requireBackupRecord(deps, backupId);
      const startTs = record.backupTso;
      if (!startTs || startTs === '0') throw new TiemError('BACKUP_RECORD_QUERY_FAILED', `backup record ${backupId} has no backup TSO`);
      const resultLines: string[] = [];
      const task = {
        id: changefeedId,
        name: `from-${source.name}-to-${target.name}`,
        clusterId: sourceClusterId,
        downstreamClusterId: targetClusterId,
        startTs,
        cdcServer: server,
      };

      let info = await cdc.getChangefeed(endpoint, changefeedId);
      if (info) {
        resultLines.push(`changefeed ${changefeedId} already exists on ${server}, reuse it`);
      } else {
        const sink = await store.getClusterUser(targetClusterId, 'CDC_Data_Sync');
        if (!sink) throw new TiemError('USER_NOT_FOUND', `user CDC_Data_Sync of cluster ${targetClusterId} not found`);
        const { host, port } = tidbAddress(target);
        const sinkUri = `mysql://CDC_Data_Sync:${encodeURIComponent(sink.password)}@${host}:${port}/${await sinkTlsQuery(deps, source, target, sink.password)}`;
        // The row exists before the changefeed, so a crash in between leaves something to clean up.
        await store.upsertChangefeedTask({ ...task, status: 'Initial' });
        try {
          info = await cdc.createChangefeed(endpoint, { changefeedId, sinkUri, startTs, filterRules: CHANGEFEED_FILTER_RULES, ignoreIneligibleTables });
        } catch (err) {
          // A concurrent attempt created it first: same deterministic id, same configuration.
          if (!(err instanceof TicdcApiError && /AlreadyExist/i.test(err.errorCode))) throw err;
          info = await cdc.getChangefeed(endpoint, changefeedId);
        }
        resultLines.push(`create changefeed ${changefeedId} on ${server} from ts ${startTs}`);
      }

      for (let i = 0; ; i++) {
        if (info && info.state === 'normal') break;
        if (info && FINAL_STATES.has(info.state)) {
          await store.upsertChangefeedTask({ ...task, status: 'Failed' });
          throw cdcFailure(changefeedId, info);
        }
        // TiCDC has it and is retrying an error by itself: the catch-up wait bounds how long that may last.
        if (i >= CREATE_CONFIRM_POLLS && info && RETRIED_STATES.has(info.state)) break;
        if (i >= CREATE_CONFIRM_POLLS) {
          throw new TiemError('CHANGE_FEED_EXECUTE_ERROR', `changefeed ${changefeedId} is not normal after ${(CREATE_CONFIRM_POLLS * CREATE_CONFIRM_INTERVAL_MS) / 1000}s, state ${info?.state ?? 'missing'}`);
        }
        heartbeat({ changefeedId, state: info?.state ?? 'missing' });
        await sleep(CREATE_CONFIRM_INTERVAL_MS);
        info = await cdc.getChangefeed(endpoint, changefeedId);
      }
      await store.upsertChangefeedTask({ ...task, status: 'Normal' });
      await store.upsertRelation({ relationType: 'StandBy', subjectClusterId: sourceClusterId, objectClusterId: targetClusterId, syncChangefeedTaskId: changefeedId });
      resultLines.push(`create relation StandBy, master ${sourceClusterId}, slave ${targetClusterId}`);
      return { changefeedId, cdcServer: server, startTs, resultLines };
    },

    // Idempotent: read-only polling.
    async waitChangefeedCatchUp({ changefeedId, sourceClusterId, cdcServer, thresholdMs }) {
      const source = await requireCluster(deps, sourceClusterId);
      const previous = lastHeartbeat<{ retryingSince?: number }>();
      const clock = new RetriedStateClock(deps.config.changefeedRetryBoundMs ?? DEFAULT_RETRY_BOUND_MS, previous?.retryingSince);
      const endpoint = cdcServerOn(deps, source, cdcServer);
      for (;;) {
        const info = await cdc.getChangefeed(endpoint, changefeedId);
        if (!info) throw new TiemError('CHANGE_FEED_EXECUTE_ERROR', `changefeed ${changefeedId} not found on ${cdcServer}`, { nonRetryable: true });
        clock.observe(changefeedId, info);
        if (info.state !== 'normal') {
          // TiCDC is retrying: the checkpoint stands still, so the lag says nothing yet.
          const details = { state: info.state, retryingSince: clock.retryingSince, lastError: info.error?.message };
          heartbeat(details);
          await pollSleep(deps.config.pollIntervalMs, details);
          continue;
        }
        // The SOURCE's TSO, read after the checkpoint: the lag can only be overestimated. A fresh
        // connection per poll, so a dropped connection during a days-long wait costs one poll.
        const upstreamMs = tsoPhysicalMs(await withClusterUser(deps, source, 'root', (s) => s.currentTso()));
        const downstreamMs = tsoPhysicalMs(info.checkpoint_ts);
        const lagMs = Math.max(0, upstreamMs - downstreamMs);
        const details = { lagMs, state: info.state };
        heartbeat(details);
        if (lagMs <= thresholdMs) {
          return {
            lagMs,
            resultLines: [
              `upstream update timestamp(uut) ${upstreamMs}ms, downstream update timestamp(dut) ${downstreamMs}ms, stop condition(uut - dut): ${lagMs}ms`,
            ],
          };
        }
        await pollSleep(deps.config.pollIntervalMs, details);
      }
    },

    // Idempotent: see removeCloneChangefeed.
    async removeChangefeed(a) {
      return removeCloneChangefeed(deps, a);
    },
  };
}
