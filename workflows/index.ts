// Every workflow the worker registers. Workflow files hold workflow functions only.
export { cloneCluster } from './cloneCluster.js';
export { backupCluster, restoreCluster, modifyParameters, buildLogConfig } from './children.js';
export { deleteCluster } from './deleteCluster.js';
export { takeoverCluster } from './takeoverCluster.js';
export { reconcileOrphans } from './reconcileOrphans.js';
export { precheckClone } from './precheckClone.js';
