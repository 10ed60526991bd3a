// precheckClone: the pre-flight of a clone request (`dryRun`), one read-only activity on a worker
// (which has the source's credentials and the metadata store). The request carries no password.
import type { PublicCloneRequest } from '../activities/types.js';
import type { ClonePreflight } from '../domain/types.js';
import { activitiesForCluster } from './activity-options.js';

export async function precheckClone(input: { request: PublicCloneRequest; targetClusterId: string }): Promise<ClonePreflight> {
  // On the source's control host, which can read its TLS files and reach it over SQL.
  const { acts } = await activitiesForCluster(String(input?.request?.sourceClusterId ?? ''));
  return acts.short.precheckClone(input);
}
