// Where a cluster's TiUP lives: the workflows ask this (on the shared queue) before they route the
// activities that reach the cluster to its control host's task queue (domain/control-host.ts).
import { DEFAULT_CONTROL_HOST } from '../domain/control-host.js';
import type { ActivityDeps } from './deps.js';
import type { ControlHostActivities } from './types.js';

export function defaultControlHostOf(deps: Pick<ActivityDeps, 'config'>): string {
  return deps.config.defaultControlHost || DEFAULT_CONTROL_HOST;
}

/** The control host this worker serves: the one a cluster it deploys or takes over is bound to. */
export function ownControlHostOf(deps: Pick<ActivityDeps, 'config'>): string {
  return deps.config.controlHost || defaultControlHostOf(deps);
}

export function createControlHostActivities(deps: ActivityDeps): ControlHostActivities {
  const { store } = deps;
  return {
    // Idempotent: reads only. An unknown cluster gets the default (the next step reports it missing).
    async controlHostOf({ clusterId }) {
      const cluster = await store.getCluster(clusterId);
      return { controlHost: cluster?.controlHost || defaultControlHostOf(deps) };
    },

    // Idempotent: reads only.
    async controlHostsInUse() {
      const hosts = new Set((await store.listClusters()).map((c) => c.controlHost || defaultControlHostOf(deps)));
      hosts.add(defaultControlHostOf(deps));
      return [...hosts].sort();
    },
  };
}
