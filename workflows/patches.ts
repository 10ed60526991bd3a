// Patch ids (Temporal `patched()`): each marks a change to the command sequence, so histories
// recorded before it replay the old code path. Add new ids; never rename or reuse one.
export const PATCHES = {
  /**
   * Undo only after its step has settled (WAIT_CANCELLATION_COMPLETED everywhere), durable GC holds,
   * cleanup of the source retried without limit, independent end actions, explicit clone state.
   */
  settledUndo: 'settled-undo',
  /** A failed parameter change re-applies the saved values (TiEM failParameter). */
  failParameter: 'fail-parameter',
  /** syncParameters also copies the source's live configuration, across versions too (copySourceConfig). */
  copySourceConfig: 'copy-source-config',
  /** The activities that reach a cluster run on its control host's task queue (controlHostOf first). */
  controlHostRouting: 'control-host-routing',
} as const;
