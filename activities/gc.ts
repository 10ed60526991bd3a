// The source's `tidb_gc_life_time`: read once (the workflow keeps the original), extend, recover.
import { TiemError } from '../domain/errors.js';
import { parseGoDuration } from '../domain/go-duration.js';
import type { CloneActivities } from './types.js';
import type { ActivityDeps } from './deps.js';
import { requireCluster, withClusterUser } from './cluster-access.js';

type GcActivities = Pick<CloneActivities, 'readSourceClusterGCTime' | 'modifySourceClusterGCTime' | 'recoverSourceClusterGCTime'>;

export const GC_LIFE_TIME_VARIABLE = 'tidb_gc_life_time';

export function createGcActivities(deps: ActivityDeps): GcActivities {
  async function setGcLifeTime(sourceClusterId: string, value: string): Promise<void> {
    const source = await requireCluster(deps, sourceClusterId);
    await withClusterUser(deps, source, 'root', (s) => s.setGlobalVariable(GC_LIFE_TIME_VARIABLE, value));
  }

  return {
    // Idempotent: a read; the workflow stores the value before any change, so a retry never reads 720h as the original.
    async readSourceClusterGCTime({ sourceClusterId }) {
      const source = await requireCluster(deps, sourceClusterId);
      const value = await withClusterUser(deps, source, 'root', (s) => s.getGlobalVariable(GC_LIFE_TIME_VARIABLE));
      if (!value) throw new TiemError('UNRECOGNIZED_ERROR', `cluster ${sourceClusterId} not found ${GC_LIFE_TIME_VARIABLE}`);
      return value;
    },

    // Idempotent: an absolute SET GLOBAL of the clone value, skipped when the source already keeps
    // history at least that long (never shorten it). Returns the value in effect.
    async modifySourceClusterGCTime({ sourceClusterId, gcLifeTime }) {
      const wanted = gcLifeTime || deps.config.cloneGcLifeTime;
      const source = await requireCluster(deps, sourceClusterId);
      return withClusterUser(deps, source, 'root', async (s) => {
        const current = await s.getGlobalVariable(GC_LIFE_TIME_VARIABLE);
        if (current && parseGoDuration(current) >= parseGoDuration(wanted)) return current;
        await s.setGlobalVariable(GC_LIFE_TIME_VARIABLE, wanted);
        return wanted;
      });
    },

    // Idempotent: an absolute SET GLOBAL of the original value the workflow saved.
    async recoverSourceClusterGCTime({ sourceClusterId, gcLifeTime }) {
      await setGcLifeTime(sourceClusterId, gcLifeTime);
    },
  };
}
