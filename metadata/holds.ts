// GC holds on sources and the reconciler's repair log (spec §5.4): the durable state that lets
// cleanup outlive the workflow that should have done it.
import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { GcHold, RepairRecord } from './types.js';
import type { GcHoldsTable, ReconcileRepairsTable } from './schema.js';
import { type Db, nowIso } from './rows.js';

const toHold = (r: Selectable<GcHoldsTable>): GcHold => ({
  sourceClusterId: r.source_cluster_id,
  holder: r.holder,
  original: r.original,
  since: r.since,
  releasedAt: r.released_at ?? undefined,
  releasedBy: r.released_by || undefined,
});

const toRepair = (r: Selectable<ReconcileRepairsTable>): RepairRecord => ({
  id: r.id,
  at: r.at,
  runId: r.run_id,
  kind: r.kind as RepairRecord['kind'],
  subject: r.subject,
  holder: r.holder,
  holderStatus: r.holder_status,
  action: r.action,
  outcome: r.outcome as RepairRecord['outcome'],
  error: r.error || undefined,
});

export async function getGcHold(db: Db, sourceClusterId: string, holder: string): Promise<GcHold | undefined> {
  const r = await db.selectFrom('gc_holds').selectAll().where('source_cluster_id', '=', sourceClusterId).where('holder', '=', holder).executeTakeFirst();
  return r && toHold(r);
}

/** Insert-if-absent: a retried hold keeps the original recorded first. */
export async function addGcHold(db: Db, h: { sourceClusterId: string; holder: string; original: string }): Promise<GcHold> {
  await db
    .insertInto('gc_holds')
    .values({ source_cluster_id: h.sourceClusterId, holder: h.holder, original: h.original, since: nowIso(), released_at: null, released_by: '' })
    .onConflict((oc) => oc.columns(['source_cluster_id', 'holder']).doNothing())
    .execute();
  return (await getGcHold(db, h.sourceClusterId, h.holder))!;
}

export async function listGcHolds(db: Db, filter: { sourceClusterId?: string; active?: boolean }): Promise<GcHold[]> {
  let q = db.selectFrom('gc_holds').selectAll();
  if (filter.sourceClusterId !== undefined) q = q.where('source_cluster_id', '=', filter.sourceClusterId);
  if (filter.active === true) q = q.where('released_at', 'is', null);
  if (filter.active === false) q = q.where('released_at', 'is not', null);
  return (await q.orderBy('since').orderBy('holder').execute()).map(toHold);
}

/** Idempotent: only an unreleased hold is marked. */
export async function releaseGcHold(db: Db, sourceClusterId: string, holder: string, releasedBy: string): Promise<void> {
  await db
    .updateTable('gc_holds')
    .set({ released_at: nowIso(), released_by: releasedBy })
    .where('source_cluster_id', '=', sourceClusterId)
    .where('holder', '=', holder)
    .where('released_at', 'is', null)
    .execute();
}

export async function recordRepair(db: Db, r: Omit<RepairRecord, 'id' | 'at'>): Promise<RepairRecord> {
  const row = {
    id: randomUUID(),
    at: nowIso(),
    run_id: r.runId,
    kind: r.kind,
    subject: r.subject,
    holder: r.holder,
    holder_status: r.holderStatus,
    action: r.action,
    outcome: r.outcome,
    error: r.error ?? '',
  };
  await db.insertInto('reconcile_repairs').values(row).execute();
  return toRepair(row);
}

export async function listRepairs(db: Db, filter: { limit?: number; runId?: string }): Promise<RepairRecord[]> {
  let q = db.selectFrom('reconcile_repairs').selectAll();
  if (filter.runId) q = q.where('run_id', '=', filter.runId);
  const rows = await q.orderBy('at', 'desc').orderBy('id').limit(Math.max(1, Math.min(filter.limit ?? 100, 1000))).execute();
  return rows.map(toRepair);
}
