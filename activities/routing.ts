// Which activities run on a cluster's control host (read by the workflows, which route them, and by
// the workers, which register them only where TiUP is).
import type { CloneActivities, ClusterActivities, ControlHostActivities, ReconcileActivities } from './types.js';

type AllActivities = CloneActivities & ClusterActivities & ControlHostActivities & ReconcileActivities;

/**
 * The activities that reach a cluster: TiUP, BR, TiDB SQL, TiCDC or the cluster's files in TIUP_HOME
 * (meta, SSH key, TLS client pair). They run on its control host; the rest only reads and writes
 * the metadata store and runs anywhere.
 */
export const CONTROL_HOST_ACTIVITIES: ReadonlySet<string> = new Set<keyof AllActivities>([
  // short: admission reads the source (TLS files, eligible tables); GC, accounts, topology files, live values
  'precheckClone',
  'startMaintenance',
  'readSourceClusterGCTime',
  'modifySourceClusterGCTime',
  'recoverSourceClusterGCTime',
  'buildConfig',
  'syncConnectionKey',
  'syncTopology',
  'initRootAccount',
  'initAccount',
  'reconcileAccounts',
  'persistParameter',
  'syncIncrData',
  'clearCDCLinks',
  // every TiUP and BR run
  'deployCluster',
  'startCluster',
  'modifyParameter',
  'refreshParameter',
  'failParameter',
  'copySourceConfig',
  'persistCluster',
  'collectLogConfig',
  'destroyTiupCluster',
  'destroyCluster',
  'backup',
  'restoreFromSrcCluster',
  // waits on the cluster
  'setClusterOnline',
  'waitChangefeedCatchUp',
  'removeChangefeed',
  // the reconciler's look at TiUP and its repairs of GC and changefeeds
  'findOrphans',
  'repairOrphan',
  'takeoverCluster',
]);
