// Natural keys shared by workflows and activities (pure: used in the workflow sandbox).

/** The allocation of a clone's target hosts, keyed by its holder (the clone's workflow id): a retried prepareResource finds it. */
export function allocationRequestIdOf(holder: string): string {
  return `${holder}/prepareResource`;
}

/** The holder workflow of an allocation request id, if it is one of ours. */
export function holderOfAllocationRequest(requestId: string): string | undefined {
  return requestId.endsWith('/prepareResource') ? requestId.slice(0, -'/prepareResource'.length) : undefined;
}

/** Workflow ids are deterministic so a retry or a second request finds the same execution. */
export const workflowIds = {
  clone: (targetClusterId: string) => `clone-${targetClusterId}`,
  backup: (backupId: string) => `backup-${backupId}`,
  restore: (targetClusterId: string, backupId: string) => `restore-${targetClusterId}-${backupId}`,
  modifyParameters: (clusterId: string, purpose: string) => `modify-parameters-${clusterId}-${purpose}`,
  buildLogConfig: (clusterId: string) => `build-log-config-${clusterId}`,
  deleteCluster: (clusterId: string) => `delete-${clusterId}`,
  takeoverCluster: (tiupClusterName: string) => `takeover-${tiupClusterName}`,
  /** The reconciler's schedule (its runs get the schedule's timestamp suffix); manual runs add their own. */
  reconciler: 'tiem-reconciler',
  /** TiCDC ids must match ^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$. */
  changefeed: (targetClusterId: string) => `clone-${targetClusterId.replace(/[^a-zA-Z0-9]/g, '')}`,
};
