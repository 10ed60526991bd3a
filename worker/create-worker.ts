// Builds the worker: injected clients (metadata store, tiup, BR, TiDB SQL, TiCDC) → activities,
// plus the workflows, on one task queue. Used by worker/main.ts, the demo and the tests.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { PayloadCodec } from '@temporalio/common';
import { createActivities, type AllActivities } from '../activities/index.js';
import { CONTROL_HOST_ACTIVITIES } from '../activities/routing.js';
import { controlHostQueue } from '../domain/control-host.js';
import type { ActivityDeps, WorkflowInspector } from '../activities/deps.js';
import { createBrClient, createTicdcClient, createTidbSqlClient, createTiupClient } from '../adapters/index.js';
import { openMetadataStore } from '../metadata/index.js';
import type { MetadataStore } from '../metadata/types.js';
import { createEncryptionCodec } from '../security/codec.js';
import { connectionOptions } from '../security/temporal-connection.js';
import type { WorkerConfig } from './config.js';
import { ensureReconcilerSchedule } from './reconciler-schedule.js';

export const workflowsPath = join(dirname(fileURLToPath(import.meta.url)), '..', 'workflows', 'index.ts');

export function payloadCodecs(config: Pick<WorkerConfig, 'codecKey'>): PayloadCodec[] {
  return config.codecKey ? [createEncryptionCodec(config.codecKey)] : [];
}

/** The production clients, configured from the worker configuration. */
export function createActivityDeps(
  config: WorkerConfig,
  store: MetadataStore,
  signalClient?: Client,
  toolEnv: Record<string, string> = {},
): ActivityDeps {
  const env = { ...toolEnv, TIUP_HOME: config.tiupHome };
  return {
    store,
    tiup: createTiupClient({ tiupBin: config.tiupBin, tiupHome: config.tiupHome, sshUser: config.deployUser, sshKeyPath: config.sshKeyPath, env }),
    br: createBrClient({ tiupBin: config.tiupBin, tiupHome: config.tiupHome, env }),
    sql: createTidbSqlClient(),
    cdc: createTicdcClient(),
    config: {
      backupStorageBase: config.backupStorageBase,
      deployUser: config.deployUser,
      sshPort: config.sshPort,
      cloneGcLifeTime: config.cloneGcLifeTime,
      healthTimeoutMs: config.healthTimeoutMs,
      pollIntervalMs: config.pollIntervalMs,
      controlHost: config.controlHost,
      defaultControlHost: config.defaultControlHost,
    },
    signalWorkflow: signalClient
      ? async (workflowId, signalName, arg) => {
          await signalClient.workflow.getHandle(workflowId).signal(signalName, arg);
        }
      : undefined,
    workflows: signalClient ? temporalWorkflowInspector(signalClient) : undefined,
  };
}

/** Execution statuses through the Temporal client; a workflow Temporal does not know is NOT_FOUND. */
export function temporalWorkflowInspector(client: Client): WorkflowInspector {
  return {
    async status(workflowId) {
      try {
        return (await client.workflow.getHandle(workflowId).describe()).status.name;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return 'NOT_FOUND';
        throw err;
      }
    },
  };
}

export interface CloneWorker {
  /** One Worker per task queue this process serves (the shared one, its control host's, or both). */
  workers: Worker[];
  store: MetadataStore;
  /** Runs every worker until shutdown (SIGINT/SIGTERM or shutdown()); one failing stops the others. */
  run(): Promise<void>;
  shutdown(): void;
  /** Closes what createCloneWorker opened (call after the workers stopped). */
  close(): Promise<void>;
}

/** The activities of the queue: only the control host's queue gets those that reach a cluster. */
function activitiesOf(all: AllActivities, onControlHost: boolean): Partial<AllActivities> {
  return Object.fromEntries(Object.entries(all).filter(([name]) => CONTROL_HOST_ACTIVITIES.has(name) === onControlHost));
}

export async function createCloneWorker(
  config: WorkerConfig,
  overrides: Partial<WorkerOptions> & { store?: MetadataStore; toolEnv?: Record<string, string> } = {},
): Promise<CloneWorker> {
  const { store: givenStore, toolEnv, ...workerOverrides } = overrides;
  const store = givenStore ?? (await openMetadataStore(config.metadataUrl, config.secretKey));
  if (!givenStore) await store.migrate();
  const codecs = payloadCodecs(config);
  const connection = await NativeConnection.connect(connectionOptions(config.temporal));
  // A client for the BR progress signals the activities send to the clone workflow.
  const clientConnection = await Connection.connect(connectionOptions(config.temporal));
  const client = new Client({ connection: clientConnection, namespace: config.namespace, dataConverter: { payloadCodecs: codecs } });
  if (config.reconcileIntervalMs > 0 && config.role !== 'control-host') {
    await ensureReconcilerSchedule(client, { taskQueue: config.taskQueue, intervalMs: config.reconcileIntervalMs });
  }
  const activities = createActivities(createActivityDeps(config, store, client, toolEnv));
  const common: WorkerOptions = {
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    dataConverter: { payloadCodecs: codecs },
    shutdownGraceTime: config.shutdownGraceMs,
    maxConcurrentActivityTaskExecutions: config.maxConcurrentActivities,
    maxHeartbeatThrottleInterval: config.heartbeatThrottleMs,
    defaultHeartbeatThrottleInterval: Math.min(config.heartbeatThrottleMs, 30_000),
  };
  const workers: Worker[] = [];
  if (config.role !== 'control-host') {
    // Workflows, and the activities that only touch the metadata store. `all` also takes the cluster
    // activities of runs recorded before routing (they were scheduled on this queue).
    const served = config.role === 'all' ? activities : activitiesOf(activities, false);
    workers.push(await Worker.create({ ...common, workflowsPath, activities: served, ...workerOverrides }));
  }
  if (config.role !== 'shared') {
    const taskQueue = controlHostQueue(config.taskQueue, config.controlHost);
    workers.push(await Worker.create({ ...common, ...workerOverrides, taskQueue, activities: activitiesOf(activities, true) }));
  }
  return {
    workers,
    store,
    async run() {
      await Promise.all(
        workers.map((w) =>
          w.run().catch((err: unknown) => {
            for (const other of workers) if (other !== w && other.getState() === 'RUNNING') other.shutdown();
            throw err;
          }),
        ),
      );
    },
    shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    },
    async close() {
      await clientConnection.close();
      await connection.close();
      if (!givenStore) await store.close();
    },
  };
}
