// Accounts, topology snapshots, backups, parameters and changefeed tasks.
import type {
  BackupRecord,
  RestoreRecord,
  BackupStrategy,
  ChangefeedTask,
  ClusterParameter,
  ClusterUser,
  ParameterGroup,
  TopologySnapshot,
} from './types.js';
import type { SecretBox } from './secrets.js';
import { type Db, nowIso, toBool, toInt } from './rows.js';

// The AAD binds each ciphertext to its row: a value moved to another row fails to decrypt.
const userContext = (clusterId: string, name: string) => `cluster_users:${clusterId}:${name}`;
const keyContext = (clusterId: string) => `topology_snapshots:${clusterId}`;

// --- accounts ---

export async function upsertClusterUser(db: Db, box: SecretBox, u: Omit<ClusterUser, 'updatedAt'>): Promise<void> {
  const now = nowIso();
  const password_enc = box.encrypt(u.password, userContext(u.clusterId, u.name));
  await db
    .insertInto('cluster_users')
    .values({ cluster_id: u.clusterId, name: u.name, password_enc, role: u.role, updated_at: now })
    .onConflict((oc) => oc.columns(['cluster_id', 'name']).doUpdateSet({ password_enc, role: u.role, updated_at: now }))
    .execute();
}

type UserRow = { cluster_id: string; name: string; password_enc: string; role: string; updated_at: string };
const toUser = (box: SecretBox, r: UserRow): ClusterUser => ({
  clusterId: r.cluster_id,
  name: r.name,
  password: box.decrypt(r.password_enc, userContext(r.cluster_id, r.name)),
  role: r.role as ClusterUser['role'],
  updatedAt: r.updated_at,
});

export async function getClusterUser(db: Db, box: SecretBox, clusterId: string, name: string): Promise<ClusterUser | undefined> {
  const r = await db.selectFrom('cluster_users').selectAll().where('cluster_id', '=', clusterId).where('name', '=', name).executeTakeFirst();
  return r ? toUser(box, r) : undefined;
}

export async function listClusterUsers(db: Db, box: SecretBox, clusterId: string): Promise<ClusterUser[]> {
  const rows = await db.selectFrom('cluster_users').selectAll().where('cluster_id', '=', clusterId).orderBy('name').execute();
  return rows.map((r) => toUser(box, r));
}

// --- topology snapshots ---

/** Partial save: only the given fields change; a new snapshot starts with empty fields. */
export async function saveTopologySnapshot(
  db: Db,
  box: SecretBox,
  s: Partial<TopologySnapshot> & { clusterId: string },
): Promise<void> {
  const now = nowIso();
  const set: { private_key_enc?: string; public_key?: string; meta_yaml?: string; updated_at: string } = { updated_at: now };
  if (s.privateKey !== undefined) set.private_key_enc = box.encrypt(s.privateKey, keyContext(s.clusterId));
  if (s.publicKey !== undefined) set.public_key = s.publicKey;
  if (s.metaYaml !== undefined) set.meta_yaml = s.metaYaml;
  await db
    .insertInto('topology_snapshots')
    .values({
      cluster_id: s.clusterId,
      private_key_enc: set.private_key_enc ?? '',
      public_key: set.public_key ?? '',
      meta_yaml: set.meta_yaml ?? '',
      updated_at: now,
    })
    .onConflict((oc) => oc.column('cluster_id').doUpdateSet(set))
    .execute();
}

export async function getTopologySnapshot(db: Db, box: SecretBox, clusterId: string): Promise<TopologySnapshot | undefined> {
  const r = await db.selectFrom('topology_snapshots').selectAll().where('cluster_id', '=', clusterId).executeTakeFirst();
  if (!r) return undefined;
  return {
    clusterId: r.cluster_id,
    privateKey: r.private_key_enc ? box.decrypt(r.private_key_enc, keyContext(r.cluster_id)) : '',
    publicKey: r.public_key,
    metaYaml: r.meta_yaml,
  };
}

// --- backups ---

export async function getBackupRecord(db: Db, id: string): Promise<BackupRecord | undefined> {
  const r = await db.selectFrom('backup_records').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r) return undefined;
  return {
    id: r.id,
    clusterId: r.cluster_id,
    storageType: r.storage_type as BackupRecord['storageType'],
    filePath: r.file_path,
    backupType: r.backup_type as BackupRecord['backupType'],
    backupMethod: r.backup_method as BackupRecord['backupMethod'],
    backupMode: r.backup_mode as BackupRecord['backupMode'],
    status: r.status as BackupRecord['status'],
    size: Number(r.size),
    backupTso: r.backup_tso,
    startTime: r.start_time,
    endTime: r.end_time,
  };
}

export async function createBackupRecord(db: Db, rec: BackupRecord): Promise<BackupRecord> {
  const now = nowIso();
  await db
    .insertInto('backup_records')
    .values({
      id: rec.id,
      cluster_id: rec.clusterId,
      storage_type: rec.storageType,
      file_path: rec.filePath,
      backup_type: rec.backupType,
      backup_method: rec.backupMethod,
      backup_mode: rec.backupMode,
      status: rec.status,
      size: rec.size ?? 0,
      backup_tso: rec.backupTso ?? '',
      start_time: rec.startTime ?? '',
      end_time: rec.endTime ?? '',
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  return (await getBackupRecord(db, rec.id)) as BackupRecord;
}

export async function updateBackupRecord(
  db: Db,
  id: string,
  patch: Partial<Pick<BackupRecord, 'status' | 'size' | 'backupTso' | 'endTime' | 'filePath'>>,
): Promise<void> {
  const set: { status?: string; size?: number; backup_tso?: string; end_time?: string; file_path?: string; updated_at: string } = { updated_at: nowIso() };
  if (patch.filePath !== undefined) set.file_path = patch.filePath;
  if (patch.status !== undefined) set.status = patch.status;
  if (patch.size !== undefined) set.size = patch.size;
  if (patch.backupTso !== undefined) set.backup_tso = patch.backupTso;
  if (patch.endTime !== undefined) set.end_time = patch.endTime;
  await db.updateTable('backup_records').set(set).where('id', '=', id).execute();
}

export async function getBackupStrategy(db: Db, clusterId: string): Promise<BackupStrategy | undefined> {
  const r = await db.selectFrom('backup_strategies').selectAll().where('cluster_id', '=', clusterId).executeTakeFirst();
  return r ? { clusterId: r.cluster_id, backupDate: r.backup_date, period: r.period } : undefined;
}

export async function saveBackupStrategy(db: Db, s: BackupStrategy): Promise<void> {
  const now = nowIso();
  await db
    .insertInto('backup_strategies')
    .values({ cluster_id: s.clusterId, backup_date: s.backupDate, period: s.period, updated_at: now })
    .onConflict((oc) => oc.column('cluster_id').doUpdateSet({ backup_date: s.backupDate, period: s.period, updated_at: now }))
    .execute();
}

// --- parameters ---

/** "v7.5.1", "7.5" and "v7.5" all name minor version "v7.5". */
export function minorVersionOf(version: string): string {
  const m = /^v?(\d+)\.(\d+)/.exec(version.trim());
  return m ? `v${m[1]}.${m[2]}` : version;
}

export async function getParameterGroup(db: Db, id: string): Promise<ParameterGroup | undefined> {
  const g = await db.selectFrom('parameter_groups').selectAll().where('id', '=', id).executeTakeFirst();
  if (!g) return undefined;
  const params = await db
    .selectFrom('parameter_group_params')
    .selectAll()
    .where('group_id', '=', id)
    .orderBy('component')
    .orderBy('name')
    .execute();
  return {
    id: g.id,
    name: g.name,
    clusterVersion: g.cluster_version,
    isDefault: toBool(g.is_default),
    params: params.map((p) => ({ component: p.component as ParameterGroup['params'][number]['component'], name: p.name, defaultValue: p.default_value })),
    clusterSpec: g.cluster_spec,
    note: g.note,
    createdAt: g.created_at,
  };
}

export async function listParameterGroups(db: Db, f: { clusterVersion?: string; isDefault?: boolean; name?: string } = {}): Promise<ParameterGroup[]> {
  let q = db.selectFrom('parameter_groups').select('id');
  if (f.clusterVersion) q = q.where('cluster_version', '=', minorVersionOf(f.clusterVersion));
  if (f.isDefault !== undefined) q = q.where('is_default', '=', toInt(f.isDefault));
  // a name substring, compared in code (a LIKE pattern would need escaping per dialect)
  const rows = await q.orderBy('is_default', 'desc').orderBy('created_at', 'desc').orderBy('id').execute();
  const out: ParameterGroup[] = [];
  for (const r of rows) out.push((await getParameterGroup(db, r.id))!);
  const name = f.name?.toLowerCase();
  return name ? out.filter((g) => g.name.toLowerCase().includes(name)) : out;
}

export async function findDefaultParameterGroup(db: Db, minorVersion: string): Promise<ParameterGroup | undefined> {
  const g = await db
    .selectFrom('parameter_groups')
    .select('id')
    .where('cluster_version', '=', minorVersionOf(minorVersion))
    .where('is_default', '=', 1)
    .orderBy('created_at')
    .orderBy('id')
    .executeTakeFirst();
  return g ? getParameterGroup(db, g.id) : undefined;
}

/** Insert, or replace the group of the same id with its params (repeatable). */
export async function addParameterGroup(db: Db, g: ParameterGroup): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('parameter_groups')
      .values({ id: g.id, name: g.name, cluster_version: g.clusterVersion, is_default: toInt(g.isDefault), created_at: nowIso(), cluster_spec: g.clusterSpec ?? '', note: g.note ?? '' })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({ name: g.name, cluster_version: g.clusterVersion, is_default: toInt(g.isDefault), cluster_spec: g.clusterSpec ?? '', note: g.note ?? '' }),
      )
      .execute();
    await trx.deleteFrom('parameter_group_params').where('group_id', '=', g.id).execute();
    if (g.params.length > 0) {
      await trx
        .insertInto('parameter_group_params')
        .values(g.params.map((p) => ({ group_id: g.id, component: p.component, name: p.name, default_value: p.defaultValue })))
        .execute();
    }
  });
}

export async function listClusterParameters(db: Db, clusterId: string): Promise<ClusterParameter[]> {
  const rows = await db
    .selectFrom('cluster_parameters')
    .selectAll()
    .where('cluster_id', '=', clusterId)
    .orderBy('component')
    .orderBy('name')
    .execute();
  return rows.map((r) => ({ component: r.component as ClusterParameter['component'], name: r.name, value: r.value }));
}

export async function saveClusterParameters(db: Db, clusterId: string, params: ClusterParameter[]): Promise<void> {
  if (params.length === 0) return;
  await db.transaction().execute(async (trx) => {
    const now = nowIso();
    for (const p of params) {
      await trx
        .insertInto('cluster_parameters')
        .values({ cluster_id: clusterId, component: p.component, name: p.name, value: p.value, updated_at: now })
        .onConflict((oc) => oc.columns(['cluster_id', 'component', 'name']).doUpdateSet({ value: p.value, updated_at: now }))
        .execute();
    }
  });
}

// --- changefeed tasks ---

type TaskRow = {
  id: string;
  name: string;
  cluster_id: string;
  downstream_cluster_id: string;
  start_ts: string;
  status: string;
  cdc_server: string;
};
const toTask = (r: TaskRow): ChangefeedTask => ({
  id: r.id,
  name: r.name,
  clusterId: r.cluster_id,
  downstreamClusterId: r.downstream_cluster_id,
  startTs: r.start_ts,
  status: r.status as ChangefeedTask['status'],
  cdcServer: r.cdc_server,
});

export async function upsertChangefeedTask(db: Db, t: ChangefeedTask): Promise<void> {
  const now = nowIso();
  const fields = {
    name: t.name,
    cluster_id: t.clusterId,
    downstream_cluster_id: t.downstreamClusterId,
    start_ts: t.startTs,
    status: t.status,
    cdc_server: t.cdcServer,
    updated_at: now,
  };
  await db
    .insertInto('changefeed_tasks')
    .values({ id: t.id, ...fields, created_at: now })
    .onConflict((oc) => oc.column('id').doUpdateSet(fields))
    .execute();
}

export async function getChangefeedTask(db: Db, id: string): Promise<ChangefeedTask | undefined> {
  const r = await db.selectFrom('changefeed_tasks').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? toTask(r) : undefined;
}

export async function listChangefeedTasks(
  db: Db,
  filter: { clusterId?: string; downstreamClusterId?: string },
): Promise<ChangefeedTask[]> {
  let q = db.selectFrom('changefeed_tasks').selectAll();
  if (filter.clusterId !== undefined) q = q.where('cluster_id', '=', filter.clusterId);
  if (filter.downstreamClusterId !== undefined) q = q.where('downstream_cluster_id', '=', filter.downstreamClusterId);
  const rows = await q.orderBy('created_at').orderBy('id').execute();
  return rows.map(toTask);
}

// --- restores ---

export async function recordRestore(db: Db, r: RestoreRecord): Promise<void> {
  await db
    .insertInto('restore_records')
    .values({ cluster_id: r.clusterId, backup_id: r.backupId, backup_tso: r.backupTso, restored_tso: r.restoredTso, size: r.size, finished_at: r.finishedAt })
    // BR's outcome is kept from the first record; the restored TSO can be filled in later.
    .onConflict((oc) => (r.restoredTso ? oc.columns(['cluster_id', 'backup_id']).doUpdateSet({ restored_tso: r.restoredTso }) : oc.columns(['cluster_id', 'backup_id']).doNothing()))
    .execute();
}

export async function getRestoreRecord(db: Db, clusterId: string, backupId: string): Promise<RestoreRecord | undefined> {
  const r = await db.selectFrom('restore_records').selectAll().where('cluster_id', '=', clusterId).where('backup_id', '=', backupId).executeTakeFirst();
  return r && { clusterId: r.cluster_id, backupId: r.backup_id, backupTso: r.backup_tso, restoredTso: r.restored_tso, size: Number(r.size), finishedAt: r.finished_at };
}
