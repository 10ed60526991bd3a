// createActivities(deps): every clone activity, named after TiEM's workflow nodes, each wrapped by
// the error boundary (activities/errors.ts). The worker registers the returned object.
import type { ClusterActivities, CloneActivities, ControlHostActivities, ReconcileActivities } from './types.js';
import type { ActivityDeps } from './deps.js';
import { withErrorBoundary } from './errors.js';
import { createMaintenanceActivities } from './maintenance.js';
import { createResourceActivities } from './resource.js';
import { createGcActivities } from './gc.js';
import { createBackupActivities } from './backup.js';
import { createDeployActivities } from './deploy.js';
import { createAccountActivities } from './accounts.js';
import { createParameterActivities } from './parameters.js';
import { createSourceConfigActivities } from './source-config.js';
import { createRestoreActivities } from './restore.js';
import { createCdcActivities } from './cdc.js';
import { createLogActivities } from './logs.js';
import { createDeleteActivities } from './delete.js';
import { createTakeoverActivities } from './takeover.js';
import { createReconcileActivities } from './reconcile.js';
import { createPrecheckActivities } from './precheck.js';
import { createControlHostActivities } from './control-host.js';

/** Everything the worker registers. */
export type AllActivities = CloneActivities & ClusterActivities & ReconcileActivities & ControlHostActivities;

export function createActivities(deps: ActivityDeps): AllActivities {
  const activities: AllActivities = {
    ...createPrecheckActivities(deps),
    ...createMaintenanceActivities(deps),
    ...createResourceActivities(deps),
    ...createGcActivities(deps),
    ...createBackupActivities(deps),
    ...createDeployActivities(deps),
    ...createAccountActivities(deps),
    ...createParameterActivities(deps),
    ...createSourceConfigActivities(deps),
    ...createRestoreActivities(deps),
    ...createCdcActivities(deps),
    ...createLogActivities(deps),
    ...createDeleteActivities(deps),
    ...createTakeoverActivities(deps),
    ...createReconcileActivities(deps),
    ...createControlHostActivities(deps),
  };
  return withErrorBoundary(activities as unknown as Record<string, (...args: never[]) => Promise<unknown>>) as unknown as AllActivities;
}

export type { ActivityConfig, ActivityDeps, PortRange } from './deps.js';
export { DEFAULT_GLOBAL_PORT_RANGE, DEFAULT_PORT_RANGES } from './deps.js';
export { toActivityFailure, toTiemError } from './errors.js';
export { BR_PROGRESS_SIGNAL } from './heartbeat.js';
export type * from './types.js';
