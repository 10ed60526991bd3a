// The contract between the clone workflows and their activities. Workflows proxy these
// signatures; `createActivities(deps)` (activities/index.ts) implements them. Activity names are
// TiEM's node names (seed workflow table) plus the new steps of spec §5.1.
import type { BrProgress, CloneClusterRequest, ClonePreflight, TakeoverClusterRequest, ClusterInstance, CloneStrategy, MaintenanceStatus } from '../domain/types.js';
import type { WorkflowExecutionStatusName } from '@temporalio/client';
import type { ClusterParameter, NewCluster, RepairRecord } from '../metadata/types.js';

/** The request without its secret: what activities other than the account steps receive. */
export type PublicCloneRequest = Omit<CloneClusterRequest, 'dbPassword'>;

export interface AdmissionResult {
  source: { id: string; name: string; version: string; parameterGroupId: string };
  target: NewCluster;
}

export interface PreparedResource {
  allocationRequestId: string;
  instances: ClusterInstance[]; // includes monitoring instances co-located on the first PD
  globalPorts: number[];
  resultLines: string[];
}

export interface BackupStarted {
  backupId: string;
  storage: string; // full URI of this backup
}

export interface BrRunOutcome {
  backupTs: string;
  sizeBytes: number;
  /** Restore only: the target's TSO right after BR finished (before any changefeed wrote to it). */
  restoredTs?: string;
}

/** Where a BR activity running inside a child workflow reports its progress. */
export interface ProgressReport {
  workflowId: string; // the clone workflow
  node: 'backupSourceCluster' | 'restoreCluster';
}

export interface ModifyParametersInput {
  clusterId: string;
  /** apply = applyParameterGroup (group defaults); update = syncParameters / adjustParameters. */
  mode: 'apply' | 'update';
  parameterGroupId?: string;
  params: ClusterParameter[];
  reboot: boolean;
  /** Which clone step started it (for ids and result lines). */
  purpose: 'applyParameterGroup' | 'syncParameters' | 'adjustParameters';
}

export interface ChangefeedCreated {
  changefeedId: string;
  cdcServer: string; // "host:port" of the source CDC that owns it
  startTs: string;
  resultLines: string[];
}

export interface CloneActivities {
  /** The pre-flight of a request: every check that needs no side effect; changes nothing. */
  precheckClone(a: { request: PublicCloneRequest; targetClusterId: string }): Promise<ClonePreflight>;
  // admission and end
  startMaintenance(a: { holder: string; targetClusterId: string; request: PublicCloneRequest }): Promise<AdmissionResult>;
  endMaintenance(a: { holder: string; clusterIds: string[] }): Promise<void>;
  setClusterFailure(a: { targetClusterId: string }): Promise<void>;
  persistCluster(a: { targetClusterId: string }): Promise<void>;

  // resources
  prepareResource(a: { holder: string; targetClusterId: string; request: PublicCloneRequest; target: NewCluster }): Promise<PreparedResource>;
  revertResourceAfterFailure(a: { allocationRequestId: string }): Promise<string>;

  // source GC: with `holder`, a durable hold (recorded before the change, spec §5.4)
  /** With a holder: records the hold (once) and returns its original. */
  readSourceClusterGCTime(a: { sourceClusterId: string; holder?: string }): Promise<string>;
  /** gcLifeTime '' → the worker's TIEM_CLONE_GC_LIFE_TIME; returns the value in effect. */
  modifySourceClusterGCTime(a: { sourceClusterId: string; gcLifeTime: string; holder?: string }): Promise<string>;
  /** With a holder: releases its hold (the recorded original comes back) and says what it did. */
  recoverSourceClusterGCTime(a: { sourceClusterId: string; gcLifeTime: string; holder?: string }): Promise<string | void>;

  // backup (backupSourceCluster creates the record; the backupCluster child runs BR)
  backupSourceCluster(a: { sourceClusterId: string; backupId: string }): Promise<BackupStarted>;
  backup(a: { backupId: string; report?: ProgressReport }): Promise<BrRunOutcome>;
  updateBackupRecord(a: { backupId: string; status: 'Finished' | 'Failed'; outcome?: BrRunOutcome }): Promise<void>;

  // target deployment
  /** allocationRequestId (optional, ours): whose global ports to use; default the holder's allocation that has them. */
  buildConfig(a: { targetClusterId: string; sourceClusterId?: string; allocationRequestId?: string }): Promise<{ topologyYaml: string }>;
  deployCluster(a: { targetClusterId: string; version: string; topologyYaml: string }): Promise<string[]>;
  syncConnectionKey(a: { targetClusterId: string }): Promise<void>;
  syncTopology(a: { targetClusterId: string }): Promise<void>;
  startCluster(a: { targetClusterId: string }): Promise<string[]>;
  setClusterOnline(a: { targetClusterId: string }): Promise<string[]>;
  destroyCluster(a: { targetClusterId: string }): Promise<string[]>;

  // accounts
  initRootAccount(a: { targetClusterId: string; password: string }): Promise<void>;
  initAccount(a: { targetClusterId: string }): Promise<string[]>;
  /** sourceClusterId (optional, ours): after a BR ≥ v7.6 restore the source's root password is the one that works. */
  reconcileAccounts(a: { targetClusterId: string; sourceClusterId?: string }): Promise<string[]>;

  // parameters and backup strategy (each *Parameters step returns the input of a modifyParameters child)
  applyParameterGroup(a: { targetClusterId: string; parameterGroupId: string }): Promise<ModifyParametersInput>;
  syncBackupStrategy(a: { sourceClusterId: string; targetClusterId: string }): Promise<string>;
  syncParameters(a: { sourceClusterId: string; targetClusterId: string }): Promise<ModifyParametersInput>;
  adjustParameters(a: { targetClusterId: string; copies: number }): Promise<ModifyParametersInput>;
  /** The source's live configuration onto the target (settings, global variables); returns what was copied and left out. */
  copySourceConfig(a: { sourceClusterId: string; targetClusterId: string; holder: string }): Promise<string[]>;
  validationParameter(a: ModifyParametersInput): Promise<void>;
  modifyParameter(a: ModifyParametersInput): Promise<{ roles: string[]; resultLines: string[] }>;
  refreshParameter(a: { clusterId: string; roles: string[] }): Promise<void>;
  persistParameter(a: ModifyParametersInput): Promise<void>;
  /** TiEM failParameter: after a failed change, re-applies the saved values of the parameters it touched. */
  failParameter(a: ModifyParametersInput): Promise<string[]>;

  // restore (restoreCluster child)
  restoreFromSrcCluster(a: { targetClusterId: string; backupId: string; report?: ProgressReport }): Promise<BrRunOutcome>;

  // CDCSync
  /** `ignoreIneligibleTables`: TiCDC skips tables without a unique key instead of refusing the changefeed. */
  syncIncrData(a: { sourceClusterId: string; targetClusterId: string; backupId: string; changefeedId: string; ignoreIneligibleTables?: boolean }): Promise<ChangefeedCreated>;
  waitChangefeedCatchUp(a: { changefeedId: string; sourceClusterId: string; cdcServer: string; thresholdMs: number }): Promise<{ lagMs: number; resultLines: string[] }>;
  removeChangefeed(a: { sourceClusterId: string; targetClusterId: string; changefeedId: string }): Promise<string>;

  // logs (buildLogConfig child, abandoned)
  collectLogConfig(a: { clusterId: string }): Promise<void>;
}

/** What TiEM's takeover registers (the body of POST /api/v1/clusters/takeover). */
export type TakeoverInput = TakeoverClusterRequest;

/** Cluster life cycle beyond the clone: TiEM's delete and takeover flows (deleteCluster, takeoverCluster workflows). */
export interface ClusterActivities {
  // delete
  /** Takes maintenance status `Deleting` (TiEM rule; `force` overrides anything but another delete). */
  startDeleteMaintenance(a: { clusterId: string; holder: string; force: boolean }): Promise<{ clusterId: string; name: string; replaced: string }>;
  /** TiEM clearCDCLinks: removes the changefeeds replicating INTO the cluster, their tasks and relations. */
  clearCDCLinks(a: { clusterId: string }): Promise<string[]>;
  /** `tiup cluster destroy <id> --force` when TiUP still lists it. */
  destroyTiupCluster(a: { clusterId: string }): Promise<string>;
  /** Gives back every host resource the cluster holds. */
  revertResource(a: { clusterId: string }): Promise<string>;
  /** Soft-deletes the cluster and its relations on both sides; its own changefeed tasks are marked Deleted. (endMaintenance clears the lock.) */
  deleteClusterMeta(a: { clusterId: string }): Promise<string>;

  /** Who holds the cluster's maintenance status, and whether that workflow still runs (a forced delete cancels it first). */
  describeMaintenance(a: { clusterId: string }): Promise<{ status: MaintenanceStatus; holder: string; holderStatus: WorkflowStatusName } | undefined>;
  /** Waits, heartbeating, until the workflow has closed (its compensation ran); returns how it closed. */
  waitWorkflowClosed(a: { workflowId: string }): Promise<{ status: WorkflowStatusName }>;

  // takeover
  /** Registers an existing TiUP-managed cluster (display, meta.yaml, keys, root checked over SQL). */
  takeoverCluster(a: TakeoverInput): Promise<{ clusterId: string; resultLines: string[] }>;
}

/** Which control host manages a cluster (metadata only: these run on the shared queue). */
export interface ControlHostActivities {
  controlHostOf(a: { clusterId: string }): Promise<{ controlHost: string }>;
  /** Every control host a cluster is bound to, and the default one. */
  controlHostsInUse(a: Record<string, never>): Promise<string[]>;
}

/** A Temporal workflow execution status as the client names it, or NOT_FOUND (never started, or past retention). */
export type WorkflowStatusName = WorkflowExecutionStatusName | 'NOT_FOUND';

/** Something a workflow holds that outlived it: a GC hold, a maintenance lock, an allocation, a changefeed. */
export interface Orphan {
  kind: RepairRecord['kind'];
  /** Source cluster (gcHold), cluster (maintenanceLock), allocation request id, changefeed id. */
  subject: string;
  holder: string;
  holderStatus: WorkflowStatusName;
  /** What the repair does, in words (also the dry-run answer). */
  action: string;
}

/** The reconciler (spec §5.4): repairs what closed workflows left behind. */
export interface ReconcileActivities {
  /** Everything held by a workflow that is no longer running, with the repair each needs. */
  findOrphans(a: { controlHost?: string }): Promise<Orphan[]>;
  /** Repairs one orphan (idempotent) and records the repair. */
  repairOrphan(a: { runId: string; orphan: Orphan }): Promise<RepairRecord>;
}

/** Signal payload the BR activities send to the clone workflow. */
export interface BrProgressSignal {
  node: ProgressReport['node'];
  progress: BrProgress;
}

export type { CloneStrategy };
