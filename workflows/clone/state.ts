// The clone's explicit state: what a forward step left behind that an undo must deal with.
// Each object owns one thing (the GC hold on the source, the target and its hosts) and the one
// undo that decides what happens to it.
import { ApplicationFailure, isCancellation, log } from '@temporalio/workflow';
import type { CloneNodeName, ProgressTracker } from '../../domain/progress.js';
import type { ActivityProxies } from '../activity-options.js';
import { describe } from '../failures.js';
import type { StepRunner } from '../handlers.js';
import { untilDone } from '../retry.js';
import type { UndoOutcome } from '../saga.js';

/** The source's GC life time, held for as long as the data needs its history (spec §5.1, §5.4). */
export class SourceGcHold {
  private state: 'none' | 'holding' | 'released' = 'none';
  /** The value before the clone, as recorded in the metadata store (known once held). */
  original?: string;

  constructor(
    private readonly ids: { sourceClusterId: string; holder: string },
    private readonly progress: ProgressTracker,
    private readonly step: StepRunner<CloneNodeName>,
    private readonly acts: Pick<ActivityProxies, 'short' | 'cleanup'>,
  ) {}

  /** Records the hold (and so the original) in the metadata store, then extends GC. */
  async hold(): Promise<string[]> {
    // From the first attempt on a hold may exist; release() is safe when none does.
    this.state = 'holding';
    this.original = await this.acts.short.readSourceClusterGCTime(this.ids);
    const held = await this.acts.short.modifySourceClusterGCTime({ ...this.ids, gcLifeTime: '' });
    return [`tidb_gc_life_time ${this.original} → ${held}`];
  }

  /**
   * The data no longer needs the history. A source that does not answer right now is no reason to
   * fail a clone whose data is safe: the end step (or compensation) releases it, without limit.
   */
  async releaseEarly(): Promise<void> {
    if (this.state !== 'holding') return;
    try {
      await this.step('recoverSourceClusterGCTime', () => this.releaseOnce(this.acts.short));
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.warn('GC release failed, retried at the end of the clone', { error: describe(err) });
      this.progress.deferred('recoverSourceClusterGCTime', describe(err), 'GC release failed, retried at the end of the clone');
    }
  }

  /** Puts the original back (one call with its activity's retries); callers repeat it untilDone. */
  async release(): Promise<string[]> {
    if (this.state !== 'holding') return [];
    this.progress.start('recoverSourceClusterGCTime');
    const lines = await this.releaseOnce(this.acts.cleanup);
    this.progress.done('recoverSourceClusterGCTime', lines);
    return lines;
  }

  private async releaseOnce(acts: Pick<ActivityProxies['cleanup'], 'recoverSourceClusterGCTime'>): Promise<string[]> {
    const line = await acts.recoverSourceClusterGCTime({ ...this.ids, gcLifeTime: this.original ?? '' });
    this.state = 'released';
    return [line || `tidb_gc_life_time restored to ${this.original}`];
  }
}

/**
 * The target cluster and its hosts. One undo decides: a target that failed itself is kept for
 * inspection (TiEM failAfterDeploy) unless destroyOnFailure; one that is only collateral of a
 * failed backup is destroyed; one never deployed just gives its hosts back.
 */
export class CloneTarget {
  private deployStarted = false;
  private destroy: boolean;

  constructor(
    private readonly ids: { targetClusterId: string; allocationRequestId: string },
    destroyOnFailure: boolean,
    private readonly progress: ProgressTracker,
    private readonly acts: Pick<ActivityProxies, 'cleanup' | 'cleanupTool'>,
  ) {
    this.destroy = destroyOnFailure;
  }

  /** Call before the deploy activity: from then on TiUP may have created it, even if we never hear back. */
  deploying(): void {
    this.deployStarted = true;
  }

  /** The backup failed: the target is an empty cluster with nothing to inspect. */
  collateral(): void {
    this.destroy = true;
  }

  /** Each part runs whatever another part did; a failed part is reported after the others ran. */
  async undo(): Promise<UndoOutcome> {
    const { targetClusterId, allocationRequestId } = this.ids;
    const lines: string[] = [];
    const errors: string[] = [];
    const part = async (what: string, fn: () => Promise<string[]>): Promise<boolean> => {
      try {
        lines.push(...(await fn()));
        return true;
      } catch (err) {
        errors.push(`${what}: ${describe(err)}`);
        return false;
      }
    };
    // Metadata updates are retried until they land: a closed clone never leaves its target looking alive.
    await part('setClusterFailure', async () => {
      await untilDone(
        () => this.acts.cleanup.setClusterFailure({ targetClusterId }),
        (error, attempt) => this.progress.compensating('prepareResource', `setClusterFailure: ${error} (attempt ${attempt}, retrying)`),
      );
      return ['target status Failure'];
    });
    if (this.deployStarted && !this.destroy) {
      this.progress.addLines('deployCluster', [`target ${targetClusterId} kept for inspection (failAfterDeploy)`]);
      lines.push('resources kept with the deployed target (failAfterDeploy)');
    } else {
      // Hosts of a deployed target are released only once TiUP destroyed it.
      const destroyed = !this.deployStarted || (await part('destroyCluster', async () => {
        const destroyedLines = await this.acts.cleanupTool.destroyCluster({ targetClusterId });
        this.progress.compensated('deployCluster', destroyedLines);
        return [];
      }));
      if (destroyed) {
        await part('revertResourceAfterFailure', async () => [
          await untilDone(
            () => this.acts.cleanup.revertResourceAfterFailure({ allocationRequestId }),
            (error, attempt) => this.progress.compensating('prepareResource', `revertResourceAfterFailure: ${error} (attempt ${attempt}, retrying)`),
          ),
        ]);
      }
    }
    if (errors.length) throw ApplicationFailure.nonRetryable(errors.join('; '), 'COMPENSATION_FAILED');
    return this.deployStarted && !this.destroy ? { kept: lines.join('; ') } : lines;
  }
}
