// Clusters, instances, maintenance locks and relations.
import { TiemError } from '../domain/errors.js';
import type { Cluster, ClusterInstance, ClusterStatus, ClusterWithInstances, MaintenanceStatus } from '../domain/types.js';
import type { NewCluster, Relation } from './types.js';
import { type Db, nowIso, toCluster, toInstance, toInt, toJson } from './rows.js';

/** True for a unique/primary-key violation on SQLite (better-sqlite3) and PostgreSQL (pg). */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

const maintenanceConflict = (current: string, target: string, clusterId: string): TiemError =>
  new TiemError(
    'CLUSTER_MAINTENANCE_CONFLICT',
    `set cluster maintenance status conflicted : current maintenance = ${current}, target maintenance = ${target}, clusterID = ${clusterId}`,
  );

const clusterNotFound = (id: string): TiemError => new TiemError('CLUSTER_NOT_FOUND', `get cluster failed : clusterID = ${id}`);

function newClusterRow(c: NewCluster, status: ClusterStatus, maintenance: string, holder: string, now: string) {
  return {
    id: c.id,
    name: c.name,
    type: 'TiDB',
    version: c.version,
    status,
    maintenance_status: maintenance,
    maintenance_holder: holder,
    copies: c.copies,
    region: c.region,
    cpu_architecture: c.cpuArchitecture,
    tags: toJson(c.tags ?? []),
    tls: toInt(c.tls),
    control_host: c.controlHost ?? '',
    exclusive: toInt(c.exclusive),
    vendor: c.vendor ?? '',
    parameter_group_id: c.parameterGroupId ?? '',
    created_at: now,
    updated_at: now,
    deleted_at: null,
  };
}

export async function getCluster(db: Db, id: string): Promise<ClusterWithInstances | undefined> {
  const row = await db.selectFrom('clusters').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
  if (!row) return undefined;
  const instances = await db
    .selectFrom('cluster_instances')
    .selectAll()
    .where('cluster_id', '=', id)
    .orderBy('seq')
    .orderBy('id')
    .execute();
  return { ...toCluster(row), instances: instances.map(toInstance) };
}

export async function findClusterByName(db: Db, name: string): Promise<Cluster | undefined> {
  const row = await db.selectFrom('clusters').selectAll().where('name', '=', name).where('deleted_at', 'is', null).executeTakeFirst();
  return row ? toCluster(row) : undefined;
}

export async function listClusters(db: Db): Promise<Cluster[]> {
  const rows = await db.selectFrom('clusters').selectAll().where('deleted_at', 'is', null).orderBy('created_at').orderBy('id').execute();
  return rows.map(toCluster);
}

async function assertNameFree(db: Db, name: string, exceptId: string): Promise<void> {
  const taken = await db
    .selectFrom('clusters')
    .select('id')
    .where('name', '=', name)
    .where('deleted_at', 'is', null)
    .where('id', '!=', exceptId)
    .executeTakeFirst();
  if (taken) throw new TiemError('DUPLICATED_NAME', `duplicated cluster name:${name}`);
}

export async function upsertInstances(db: Db, clusterId: string, instances: Omit<ClusterInstance, 'clusterId'>[]): Promise<void> {
  if (instances.length === 0) return;
  const now = nowIso();
  const last = await db
    .selectFrom('cluster_instances')
    .select((eb) => eb.fn.max('seq').as('max_seq'))
    .where('cluster_id', '=', clusterId)
    .executeTakeFirst();
  let seq = Number(last?.max_seq ?? 0);
  for (const i of instances) {
    seq += 1;
    await db
      .insertInto('cluster_instances')
      .values({
        cluster_id: clusterId,
        id: i.id,
        seq,
        component: i.component,
        host_id: i.hostId,
        host_ip: i.hostIp,
        ports: toJson(i.ports ?? []),
        disk_id: i.diskId ?? '',
        disk_path: i.diskPath ?? '',
        zone: i.zone ?? '',
        rack: i.rack ?? '',
        cpu_cores: i.cpuCores ?? 0,
        memory_gb: i.memoryGb ?? 0,
        status: i.status,
        created_at: now,
        updated_at: now,
      })
      // An existing instance keeps its position (seq) and creation time.
      .onConflict((oc) =>
        oc.columns(['cluster_id', 'id']).doUpdateSet((eb) => ({
          component: eb.ref('excluded.component'),
          host_id: eb.ref('excluded.host_id'),
          host_ip: eb.ref('excluded.host_ip'),
          ports: eb.ref('excluded.ports'),
          disk_id: eb.ref('excluded.disk_id'),
          disk_path: eb.ref('excluded.disk_path'),
          zone: eb.ref('excluded.zone'),
          rack: eb.ref('excluded.rack'),
          cpu_cores: eb.ref('excluded.cpu_cores'),
          memory_gb: eb.ref('excluded.memory_gb'),
          status: eb.ref('excluded.status'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
}

/**
 * Import of an existing cluster (demo seed, takeover). Re-importing the same id refreshes its
 * descriptive fields and upserts the instances (status and maintenance are left as they are).
 */
export async function importCluster(db: Db, c: NewCluster, instances: Omit<ClusterInstance, 'clusterId'>[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await assertNameFree(trx, c.name, c.id);
    const existing = await trx.selectFrom('clusters').select(['id', 'deleted_at']).where('id', '=', c.id).executeTakeFirst();
    const now = nowIso();
    if (!existing) {
      await trx.insertInto('clusters').values(newClusterRow(c, 'Running', '', '', now)).execute();
    } else if (existing.deleted_at !== null) {
      throw new TiemError('PARAMETER_INVALID', `cluster id already used by a deleted cluster : clusterID = ${c.id}`);
    } else {
      const r = newClusterRow(c, 'Running', '', '', now);
      await trx
        .updateTable('clusters')
        .set({
          name: r.name,
          version: r.version,
          copies: r.copies,
          region: r.region,
          cpu_architecture: r.cpu_architecture,
          tags: r.tags,
          tls: r.tls,
          control_host: r.control_host,
          exclusive: r.exclusive,
          vendor: r.vendor,
          parameter_group_id: r.parameter_group_id,
          updated_at: now,
        })
        .where('id', '=', c.id)
        .execute();
    }
    await upsertInstances(trx, c.id, instances);
  });
}

export async function startCloneMaintenance(
  db: Db,
  a: { sourceClusterId: string; target: NewCluster; holder: string },
): Promise<void> {
  const { sourceClusterId, target, holder } = a;
  if (!holder) throw new TiemError('PARAMETER_INVALID', 'maintenance holder must not be empty');
  try {
    await db.transaction().execute(async (trx) => {
      const existingTarget = await trx.selectFrom('clusters').selectAll().where('id', '=', target.id).executeTakeFirst();
      // Repeat of a call that already succeeded (activity retry): nothing to do.
      if (existingTarget && existingTarget.deleted_at === null && existingTarget.maintenance_holder === holder) return;

      const source = await trx
        .selectFrom('clusters')
        .selectAll()
        .where('id', '=', sourceClusterId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (!source) throw clusterNotFound(sourceClusterId);
      await assertNameFree(trx, target.name, target.id);
      if (existingTarget) {
        if (existingTarget.deleted_at !== null) {
          throw new TiemError('PARAMETER_INVALID', `cluster id already used by a deleted cluster : clusterID = ${target.id}`);
        }
        throw maintenanceConflict(existingTarget.maintenance_status, 'Cloning', target.id);
      }
      if (source.maintenance_status !== '' && source.maintenance_holder !== holder) {
        throw maintenanceConflict(source.maintenance_status, 'BeingCloned', sourceClusterId);
      }
      const now = nowIso();
      // Conditional update: on a multi-writer DB (PostgreSQL) a concurrent lock taker makes this miss.
      const locked = await trx
        .updateTable('clusters')
        .set({ maintenance_status: 'BeingCloned', maintenance_holder: holder, updated_at: now })
        .where('id', '=', sourceClusterId)
        .where((eb) => eb.or([eb('maintenance_status', '=', ''), eb('maintenance_holder', '=', holder)]))
        .executeTakeFirst();
      if (Number(locked.numUpdatedRows) !== 1) throw maintenanceConflict('(changed concurrently)', 'BeingCloned', sourceClusterId);
      await trx.insertInto('clusters').values(newClusterRow(target, 'Initializing', 'Cloning', holder, now)).execute();
    });
  } catch (err) {
    // Lost a race on the unique live-name index or the target id.
    if (isUniqueViolation(err)) throw new TiemError('DUPLICATED_NAME', `duplicated cluster name:${target.name}`);
    throw err;
  }
}

export async function setMaintenanceStatus(
  db: Db,
  a: { clusterId: string; status: Exclude<MaintenanceStatus, ''>; holder: string; force?: boolean },
): Promise<MaintenanceStatus> {
  const { clusterId, status, holder, force = false } = a;
  if (!holder) throw new TiemError('PARAMETER_INVALID', 'maintenance holder must not be empty');
  const row = await db
    .selectFrom('clusters')
    .select(['maintenance_status', 'maintenance_holder'])
    .where('id', '=', clusterId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!row) throw clusterNotFound(clusterId);
  const current = row.maintenance_status as MaintenanceStatus;
  // Repeat of a call that already succeeded (activity retry).
  if (current === status && row.maintenance_holder === holder) return current;
  const overridable = status === 'Deleting' && force && current !== 'Deleting';
  if (current !== '' && !overridable) {
    throw new TiemError('CLUSTER_MAINTENANCE_CONFLICT', `cluster maintenance status is '${current}'`);
  }
  // Conditional on what we read: a concurrent lock taker makes this miss instead of being overwritten.
  const res = await db
    .updateTable('clusters')
    .set({ maintenance_status: status, maintenance_holder: holder, updated_at: nowIso() })
    .where('id', '=', clusterId)
    .where('deleted_at', 'is', null)
    .where('maintenance_status', '=', current)
    .where('maintenance_holder', '=', row.maintenance_holder)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) throw maintenanceConflict('(changed concurrently)', status, clusterId);
  return current;
}

export async function endMaintenance(db: Db, clusterIds: string[], holder: string): Promise<void> {
  if (clusterIds.length === 0 || !holder) return;
  await db
    .updateTable('clusters')
    .set({ maintenance_status: '', maintenance_holder: '', updated_at: nowIso() })
    .where('id', 'in', clusterIds)
    .where('maintenance_holder', '=', holder)
    .execute();
}

export async function setClusterStatus(db: Db, id: string, status: ClusterStatus): Promise<void> {
  await updateCluster(db, id, { status });
}

export async function updateCluster(
  db: Db,
  id: string,
  patch: Partial<Pick<Cluster, 'version' | 'copies' | 'parameterGroupId' | 'tags' | 'status'>>,
): Promise<void> {
  const set: Record<string, string | number> = { updated_at: nowIso() };
  if (patch.version !== undefined) set.version = patch.version;
  if (patch.copies !== undefined) set.copies = patch.copies;
  if (patch.parameterGroupId !== undefined) set.parameter_group_id = patch.parameterGroupId;
  if (patch.tags !== undefined) set.tags = toJson(patch.tags);
  if (patch.status !== undefined) set.status = patch.status;
  const res = await db.updateTable('clusters').set(set).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) throw clusterNotFound(id);
}

export async function setInstancesStatus(db: Db, clusterId: string, status: ClusterInstance['status']): Promise<void> {
  await db.updateTable('cluster_instances').set({ status, updated_at: nowIso() }).where('cluster_id', '=', clusterId).execute();
}

/** Soft delete; the cluster's relations on both sides are soft-deleted with it (as TiEM's delete). */
export async function markClusterDeleted(db: Db, id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const now = nowIso();
    await trx
      .updateTable('clusters')
      .set({ status: 'Deleted', deleted_at: now, updated_at: now })
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .execute();
    await trx
      .updateTable('cluster_relations')
      .set({ deleted_at: now, updated_at: now })
      .where((eb) => eb.or([eb('subject_cluster_id', '=', id), eb('object_cluster_id', '=', id)]))
      .where('deleted_at', 'is', null)
      .execute();
  });
}

// --- relations (subject = master/upstream, object = slave/downstream) ---

export async function isSlave(db: Db, clusterId: string): Promise<boolean> {
  const row = await db
    .selectFrom('cluster_relations')
    .select('object_cluster_id')
    .where('object_cluster_id', '=', clusterId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row !== undefined;
}

export async function upsertRelation(db: Db, r: Relation): Promise<void> {
  const now = nowIso();
  await db
    .insertInto('cluster_relations')
    .values({
      relation_type: r.relationType,
      subject_cluster_id: r.subjectClusterId,
      object_cluster_id: r.objectClusterId,
      sync_changefeed_task_id: r.syncChangefeedTaskId ?? '',
      created_at: now,
      updated_at: now,
      deleted_at: null,
    })
    .onConflict((oc) =>
      oc.columns(['relation_type', 'subject_cluster_id', 'object_cluster_id']).doUpdateSet({
        sync_changefeed_task_id: r.syncChangefeedTaskId ?? '',
        updated_at: now,
        deleted_at: null,
      }),
    )
    .execute();
}

export async function deleteRelation(db: Db, subjectClusterId: string, objectClusterId: string): Promise<void> {
  const now = nowIso();
  await db
    .updateTable('cluster_relations')
    .set({ deleted_at: now, updated_at: now })
    .where('subject_cluster_id', '=', subjectClusterId)
    .where('object_cluster_id', '=', objectClusterId)
    .where('deleted_at', 'is', null)
    .execute();
}

export async function getRelations(db: Db, clusterId: string): Promise<{ masters: Relation[]; slaves: Relation[] }> {
  const rows = await db
    .selectFrom('cluster_relations')
    .selectAll()
    .where((eb) => eb.or([eb('subject_cluster_id', '=', clusterId), eb('object_cluster_id', '=', clusterId)]))
    .where('deleted_at', 'is', null)
    .orderBy('created_at')
    .execute();
  const toRelation = (r: (typeof rows)[number]): Relation => ({
    relationType: r.relation_type as Relation['relationType'],
    subjectClusterId: r.subject_cluster_id,
    objectClusterId: r.object_cluster_id,
    syncChangefeedTaskId: r.sync_changefeed_task_id,
  });
  return {
    masters: rows.filter((r) => r.object_cluster_id === clusterId).map(toRelation),
    slaves: rows.filter((r) => r.subject_cluster_id === clusterId).map(toRelation),
  };
}
