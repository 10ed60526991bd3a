// The source's `tidb_gc_life_time`: a durable hold (spec §5.4). The original is recorded in the
// metadata store before the change, so it survives the workflow (the reconciler restores it for a
// clone that died) and a later clone never reads a held 720h as "the original".
// Without a `holder` the activities keep their first behaviour, for clones started before holds.
import { TiemError } from '../domain/errors.js';
import { parseGoDuration } from '../domain/go-duration.js';
import type { CloneActivities } from './types.js';
import type { ActivityDeps } from './deps.js';
import { requireCluster, withClusterUser } from './cluster-access.js';

type GcActivities = Pick<CloneActivities, 'readSourceClusterGCTime' | 'modifySourceClusterGCTime' | 'recoverSourceClusterGCTime'>;

export const GC_LIFE_TIME_VARIABLE = 'tidb_gc_life_time';

async function readGcLifeTime(deps: ActivityDeps, sourceClusterId: string): Promise<string> {
  const source = await requireCluster(deps, sourceClusterId);
  const value = await withClusterUser(deps, source, 'root', (s) => s.getGlobalVariable(GC_LIFE_TIME_VARIABLE));
  if (!value) throw new TiemError('UNRECOGNIZED_ERROR', `cluster ${sourceClusterId} not found ${GC_LIFE_TIME_VARIABLE}`);
  return value;
}

async function setGcLifeTime(deps: ActivityDeps, sourceClusterId: string, value: string): Promise<void> {
  const source = await requireCluster(deps, sourceClusterId);
  await withClusterUser(deps, source, 'root', (s) => s.setGlobalVariable(GC_LIFE_TIME_VARIABLE, value));
}

/**
 * Releases `holder`'s hold: puts the recorded original back unless another hold still needs the
 * history, then marks the hold released. Idempotent (a released or missing hold is a no-op); shared
 * by the clone's recovery and the reconciler. Returns what it did.
 */
export async function releaseGcHold(deps: ActivityDeps, sourceClusterId: string, holder: string, releasedBy: string): Promise<string> {
  const hold = await deps.store.getGcHold(sourceClusterId, holder);
  if (!hold) return `no GC hold of ${holder} on ${sourceClusterId}`;
  if (hold.releasedAt) return `GC hold of ${holder} on ${sourceClusterId} already released`;
  if (!(await deps.store.getCluster(sourceClusterId))) {
    await deps.store.releaseGcHold(sourceClusterId, holder, releasedBy);
    return `source ${sourceClusterId} is gone, GC hold of ${holder} dropped`;
  }
  const others = (await deps.store.listGcHolds({ sourceClusterId, active: true })).filter((h) => h.holder !== holder);
  let line: string;
  if (others.length) {
    line = `${GC_LIFE_TIME_VARIABLE} of ${sourceClusterId} kept: still held by ${others.map((h) => h.holder).join(', ')}`;
  } else {
    await setGcLifeTime(deps, sourceClusterId, hold.original);
    line = `${GC_LIFE_TIME_VARIABLE} of ${sourceClusterId} restored to ${hold.original}`;
  }
  await deps.store.releaseGcHold(sourceClusterId, holder, releasedBy);
  return line;
}

export function createGcActivities(deps: ActivityDeps): GcActivities {
  return {
    // Idempotent: with a holder, the hold is insert-if-absent and its stored original is returned;
    // the original is taken from an unreleased hold of someone else before the live value.
    async readSourceClusterGCTime({ sourceClusterId, holder }) {
      if (!holder) return readGcLifeTime(deps, sourceClusterId);
      const own = await deps.store.getGcHold(sourceClusterId, holder);
      if (own) return own.original;
      const [other] = await deps.store.listGcHolds({ sourceClusterId, active: true });
      const original = other?.original ?? (await readGcLifeTime(deps, sourceClusterId));
      return (await deps.store.addGcHold({ sourceClusterId, holder, original })).original;
    },

    // Idempotent: an absolute SET GLOBAL of the clone value, skipped when the source already keeps
    // history at least that long (never shorten it). With a holder it needs the recorded hold, and
    // does nothing once the hold was released (a late retry cannot extend GC again).
    async modifySourceClusterGCTime({ sourceClusterId, gcLifeTime, holder }) {
      if (holder) {
        const hold = await deps.store.getGcHold(sourceClusterId, holder);
        if (!hold) throw new TiemError('SYSTEM_MISSING_DATA', `no GC hold of ${holder} recorded on ${sourceClusterId}: refusing to change GC`);
        if (hold.releasedAt) return readGcLifeTime(deps, sourceClusterId);
      }
      const wanted = gcLifeTime || deps.config.cloneGcLifeTime;
      const source = await requireCluster(deps, sourceClusterId);
      return withClusterUser(deps, source, 'root', async (s) => {
        const current = await s.getGlobalVariable(GC_LIFE_TIME_VARIABLE);
        if (current && parseGoDuration(current) >= parseGoDuration(wanted)) return current;
        await s.setGlobalVariable(GC_LIFE_TIME_VARIABLE, wanted);
        return wanted;
      });
    },

    // Idempotent: with a holder, releaseGcHold (the recorded original, once); without, an absolute
    // SET GLOBAL of the original the workflow saved.
    async recoverSourceClusterGCTime({ sourceClusterId, gcLifeTime, holder }) {
      if (holder) return releaseGcHold(deps, sourceClusterId, holder, holder);
      await setGcLifeTime(deps, sourceClusterId, gcLifeTime);
    },
  };
}
