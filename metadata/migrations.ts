// Schema migrations, in code (no filesystem scan: works the same from tsx, a bundle or tests).
// Only Kysely's schema builder is used, so the same migrations run on SQLite and PostgreSQL.
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { DEFAULT_GROUP_VALUES, DEFAULT_GROUP_VERSIONS } from '../domain/parameters.js';

// Migrations see an untyped DB: they must not depend on today's schema types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

const REAL = 'double precision';

const m001Initial: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('clusters')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(128)', (c) => c.notNull())
      .addColumn('type', 'varchar(32)', (c) => c.notNull())
      .addColumn('version', 'varchar(32)', (c) => c.notNull())
      .addColumn('status', 'varchar(32)', (c) => c.notNull())
      .addColumn('maintenance_status', 'varchar(32)', (c) => c.notNull().defaultTo(''))
      .addColumn('maintenance_holder', 'varchar(255)', (c) => c.notNull().defaultTo(''))
      .addColumn('copies', 'integer', (c) => c.notNull())
      .addColumn('region', 'varchar(128)', (c) => c.notNull())
      .addColumn('cpu_architecture', 'varchar(16)', (c) => c.notNull())
      .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('tls', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('exclusive', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('vendor', 'varchar(64)', (c) => c.notNull().defaultTo(''))
      .addColumn('parameter_group_id', 'varchar(64)', (c) => c.notNull().defaultTo(''))
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('deleted_at', 'varchar(32)')
      .execute();
    // Checked in the clone transaction too (for the TiEM error); the index is the last line of defence.
    await db.schema
      .createIndex('clusters_live_name_uq')
      .on('clusters')
      .column('name')
      .unique()
      .where(sql.ref('deleted_at'), 'is', null)
      .execute();
    await db.schema.createIndex('clusters_maintenance_holder_idx').on('clusters').column('maintenance_holder').execute();

    await db.schema
      .createTable('cluster_instances')
      .addColumn('cluster_id', 'varchar(64)', (c) => c.notNull().references('clusters.id').onDelete('cascade'))
      .addColumn('id', 'varchar(128)', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('component', 'varchar(32)', (c) => c.notNull())
      .addColumn('host_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('host_ip', 'varchar(64)', (c) => c.notNull())
      .addColumn('ports', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('disk_id', 'varchar(64)', (c) => c.notNull().defaultTo(''))
      .addColumn('disk_path', 'varchar(512)', (c) => c.notNull().defaultTo(''))
      .addColumn('zone', 'varchar(128)', (c) => c.notNull().defaultTo(''))
      .addColumn('rack', 'varchar(128)', (c) => c.notNull().defaultTo(''))
      .addColumn('cpu_cores', REAL, (c) => c.notNull().defaultTo(0))
      .addColumn('memory_gb', REAL, (c) => c.notNull().defaultTo(0))
      .addColumn('status', 'varchar(32)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('cluster_instances_pk', ['cluster_id', 'id'])
      .execute();

    await db.schema
      .createTable('hosts')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('ip', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('host_name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
      .addColumn('region', 'varchar(128)', (c) => c.notNull())
      .addColumn('zone', 'varchar(128)', (c) => c.notNull())
      .addColumn('rack', 'varchar(128)', (c) => c.notNull().defaultTo(''))
      .addColumn('arch', 'varchar(16)', (c) => c.notNull())
      .addColumn('cpu_cores', REAL, (c) => c.notNull())
      .addColumn('memory_gb', REAL, (c) => c.notNull())
      .addColumn('free_cpu_cores', REAL, (c) => c.notNull())
      .addColumn('free_memory_gb', REAL, (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('load_stat', 'varchar(16)', (c) => c.notNull())
      .addColumn('reserved', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('hosts_region_zone_idx').on('hosts').columns(['region', 'zone']).execute();

    await db.schema
      .createTable('disks')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('host_id', 'varchar(64)', (c) => c.notNull().references('hosts.id').onDelete('cascade'))
      .addColumn('name', 'varchar(128)', (c) => c.notNull())
      .addColumn('path', 'varchar(512)', (c) => c.notNull())
      .addColumn('capacity_gb', REAL, (c) => c.notNull())
      .addColumn('type', 'varchar(16)', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('disks_host_idx').on('disks').column('host_id').execute();

    await db.schema
      .createTable('resource_requests')
      .addColumn('request_id', 'varchar(128)', (c) => c.primaryKey())
      .addColumn('holder_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('global_ports', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('resource_requests_holder_idx').on('resource_requests').column('holder_id').execute();

    await db.schema
      .createTable('resource_allocations')
      .addColumn('id', 'varchar(255)', (c) => c.primaryKey())
      .addColumn('request_id', 'varchar(128)', (c) =>
        c.notNull().references('resource_requests.request_id').onDelete('cascade'),
      )
      .addColumn('holder_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('kind', 'varchar(16)', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('component', 'varchar(32)', (c) => c.notNull().defaultTo(''))
      .addColumn('host_id', 'varchar(64)', (c) => c.notNull().references('hosts.id'))
      .addColumn('host_ip', 'varchar(64)', (c) => c.notNull())
      .addColumn('zone', 'varchar(128)', (c) => c.notNull().defaultTo(''))
      .addColumn('rack', 'varchar(128)', (c) => c.notNull().defaultTo(''))
      .addColumn('disk_id', 'varchar(64)', (c) => c.notNull().defaultTo(''))
      .addColumn('disk_path', 'varchar(512)', (c) => c.notNull().defaultTo(''))
      .addColumn('disk_type', 'varchar(16)', (c) => c.notNull().defaultTo(''))
      .addColumn('cpu_cores', REAL, (c) => c.notNull().defaultTo(0))
      .addColumn('memory_gb', REAL, (c) => c.notNull().defaultTo(0))
      .addColumn('ports', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('exclusive', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('resource_allocations_request_idx').on('resource_allocations').column('request_id').execute();
    await db.schema.createIndex('resource_allocations_holder_idx').on('resource_allocations').column('holder_id').execute();
    await db.schema.createIndex('resource_allocations_host_idx').on('resource_allocations').column('host_id').execute();

    // The primary key makes a double booking of a port impossible, even between concurrent writers.
    await db.schema
      .createTable('used_ports')
      .addColumn('host_id', 'varchar(64)', (c) => c.notNull().references('hosts.id').onDelete('cascade'))
      .addColumn('port', 'integer', (c) => c.notNull())
      .addColumn('holder_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('request_id', 'varchar(128)', (c) => c.notNull())
      .addPrimaryKeyConstraint('used_ports_pk', ['host_id', 'port'])
      .execute();
    await db.schema.createIndex('used_ports_request_idx').on('used_ports').column('request_id').execute();

    await db.schema
      .createTable('cluster_users')
      .addColumn('cluster_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('name', 'varchar(128)', (c) => c.notNull())
      .addColumn('password_enc', 'text', (c) => c.notNull())
      .addColumn('role', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('cluster_users_pk', ['cluster_id', 'name'])
      .execute();

    await db.schema
      .createTable('cluster_relations')
      .addColumn('relation_type', 'varchar(32)', (c) => c.notNull())
      .addColumn('subject_cluster_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('object_cluster_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('sync_changefeed_task_id', 'varchar(128)', (c) => c.notNull().defaultTo(''))
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('deleted_at', 'varchar(32)')
      .addPrimaryKeyConstraint('cluster_relations_pk', ['relation_type', 'subject_cluster_id', 'object_cluster_id'])
      .execute();
    await db.schema.createIndex('cluster_relations_object_idx').on('cluster_relations').column('object_cluster_id').execute();

    await db.schema
      .createTable('topology_snapshots')
      .addColumn('cluster_id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('private_key_enc', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('public_key', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('meta_yaml', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('backup_records')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('cluster_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('storage_type', 'varchar(16)', (c) => c.notNull())
      .addColumn('file_path', 'varchar(1024)', (c) => c.notNull())
      .addColumn('backup_type', 'varchar(16)', (c) => c.notNull())
      .addColumn('backup_method', 'varchar(16)', (c) => c.notNull())
      .addColumn('backup_mode', 'varchar(16)', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('size', REAL, (c) => c.notNull().defaultTo(0))
      .addColumn('backup_tso', 'varchar(32)', (c) => c.notNull().defaultTo(''))
      .addColumn('start_time', 'varchar(32)', (c) => c.notNull().defaultTo(''))
      .addColumn('end_time', 'varchar(32)', (c) => c.notNull().defaultTo(''))
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('backup_records_cluster_idx').on('backup_records').column('cluster_id').execute();

    await db.schema
      .createTable('backup_strategies')
      .addColumn('cluster_id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('backup_date', 'varchar(128)', (c) => c.notNull())
      .addColumn('period', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('parameter_groups')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(128)', (c) => c.notNull())
      .addColumn('cluster_version', 'varchar(16)', (c) => c.notNull())
      .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('parameter_groups_version_idx')
      .on('parameter_groups')
      .columns(['cluster_version', 'is_default'])
      .execute();

    await db.schema
      .createTable('parameter_group_params')
      .addColumn('group_id', 'varchar(64)', (c) => c.notNull().references('parameter_groups.id').onDelete('cascade'))
      .addColumn('component', 'varchar(16)', (c) => c.notNull())
      .addColumn('name', 'varchar(128)', (c) => c.notNull())
      .addColumn('default_value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('parameter_group_params_pk', ['group_id', 'component', 'name'])
      .execute();

    await db.schema
      .createTable('cluster_parameters')
      .addColumn('cluster_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('component', 'varchar(16)', (c) => c.notNull())
      .addColumn('name', 'varchar(128)', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('cluster_parameters_pk', ['cluster_id', 'component', 'name'])
      .execute();

    await db.schema
      .createTable('changefeed_tasks')
      .addColumn('id', 'varchar(128)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(128)', (c) => c.notNull())
      .addColumn('cluster_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('downstream_cluster_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('start_ts', 'varchar(32)', (c) => c.notNull().defaultTo(''))
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('cdc_server', 'varchar(128)', (c) => c.notNull().defaultTo(''))
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('changefeed_tasks_cluster_idx').on('changefeed_tasks').column('cluster_id').execute();
    await db.schema
      .createIndex('changefeed_tasks_downstream_idx')
      .on('changefeed_tasks')
      .column('downstream_cluster_id')
      .execute();

    await db.schema
      .createTable('store_settings')
      .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db: AnyDb) {
    for (const t of [
      'store_settings',
      'changefeed_tasks',
      'cluster_parameters',
      'parameter_group_params',
      'parameter_groups',
      'backup_strategies',
      'backup_records',
      'topology_snapshots',
      'cluster_relations',
      'cluster_users',
      'used_ports',
      'resource_allocations',
      'resource_requests',
      'disks',
      'hosts',
      'cluster_instances',
      'clusters',
    ]) {
      await db.schema.dropTable(t).ifExists().execute();
    }
  },
};

export function defaultParameterGroupId(minorVersion: string): string {
  return `default-${minorVersion}`;
}

/** The groups migration 002 created (frozen: a migration never changes once shipped). */
const M002_GROUP_VERSIONS = ['v6.5', 'v7.1', 'v7.5', 'v8.1', 'v8.5'];

async function insertDefaultGroups(db: AnyDb, versions: string[]): Promise<void> {
  const now = new Date().toISOString();
  for (const version of versions) {
    const id = defaultParameterGroupId(version);
    await db
      .insertInto('parameter_groups')
      .values({ id, name: `default-${version}`, cluster_version: version, is_default: 1, created_at: now })
      .execute();
    await db
      .insertInto('parameter_group_params')
      .values(DEFAULT_GROUP_VALUES.map((p) => ({ group_id: id, component: p.component, name: p.name, default_value: p.defaultValue })))
      .execute();
  }
}

async function deleteDefaultGroups(db: AnyDb, versions: string[]): Promise<void> {
  const ids = versions.map(defaultParameterGroupId);
  await db.deleteFrom('parameter_group_params').where('group_id', 'in', ids).execute();
  await db.deleteFrom('parameter_groups').where('id', 'in', ids).execute();
}

const m002DefaultParameterGroups: Migration = {
  up: (db: AnyDb) => insertDefaultGroups(db, M002_GROUP_VERSIONS),
  down: (db: AnyDb) => deleteDefaultGroups(db, M002_GROUP_VERSIONS),
};

/** A default group for every other minor from v5.0 to v8.5. */
const M005_GROUP_VERSIONS = DEFAULT_GROUP_VERSIONS.filter((v) => !M002_GROUP_VERSIONS.includes(v));
const m005DefaultGroupsForEveryMinor: Migration = {
  up: (db: AnyDb) => insertDefaultGroups(db, M005_GROUP_VERSIONS),
  down: (db: AnyDb) => deleteDefaultGroups(db, M005_GROUP_VERSIONS),
};

const m003RestoreRecords: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('restore_records')
      .addColumn('cluster_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('backup_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('backup_tso', 'varchar(32)', (c) => c.notNull())
      .addColumn('restored_tso', 'varchar(32)', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('finished_at', 'varchar(40)', (c) => c.notNull())
      .addPrimaryKeyConstraint('restore_records_pk', ['cluster_id', 'backup_id'])
      .execute();
  },
  async down(db: AnyDb) {
    await db.schema.dropTable('restore_records').execute();
  },
};

const m004GcHoldsAndRepairs: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('gc_holds')
      .addColumn('source_cluster_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('holder', 'varchar(255)', (c) => c.notNull())
      .addColumn('original', 'varchar(32)', (c) => c.notNull())
      .addColumn('since', 'varchar(32)', (c) => c.notNull())
      .addColumn('released_at', 'varchar(32)')
      .addColumn('released_by', 'varchar(255)', (c) => c.notNull().defaultTo(''))
      .addPrimaryKeyConstraint('gc_holds_pk', ['source_cluster_id', 'holder'])
      .execute();
    await db.schema
      .createTable('reconcile_repairs')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('at', 'varchar(32)', (c) => c.notNull())
      .addColumn('run_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('kind', 'varchar(32)', (c) => c.notNull())
      .addColumn('subject', 'varchar(255)', (c) => c.notNull())
      .addColumn('holder', 'varchar(255)', (c) => c.notNull())
      .addColumn('holder_status', 'varchar(32)', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
      .addColumn('error', 'text', (c) => c.notNull().defaultTo(''))
      .execute();
    await db.schema.createIndex('reconcile_repairs_at_idx').on('reconcile_repairs').column('at').execute();
  },
  async down(db: AnyDb) {
    await db.schema.dropTable('reconcile_repairs').execute();
    await db.schema.dropTable('gc_holds').execute();
  },
};

/** TiEM's group fields a client can set: the spec it is for ("8C16G") and a note. */
const m006ParameterGroupSpecAndNote: Migration = {
  async up(db: AnyDb) {
    await db.schema.alterTable('parameter_groups').addColumn('cluster_spec', 'varchar(64)', (c) => c.notNull().defaultTo('')).execute();
    await db.schema.alterTable('parameter_groups').addColumn('note', 'varchar(255)', (c) => c.notNull().defaultTo('')).execute();
  },
  async down(db: AnyDb) {
    await db.schema.alterTable('parameter_groups').dropColumn('note').execute();
    await db.schema.alterTable('parameter_groups').dropColumn('cluster_spec').execute();
  },
};

/** The TiUP control host that manages a cluster ('' = the deployment's default control host). */
const m007ClusterControlHost: Migration = {
  async up(db: AnyDb) {
    await db.schema.alterTable('clusters').addColumn('control_host', 'varchar(64)', (c) => c.notNull().defaultTo('')).execute();
  },
  async down(db: AnyDb) {
    await db.schema.alterTable('clusters').dropColumn('control_host').execute();
  },
};

/** All migrations, by name; names sort in the order they must run. */
export const MIGRATIONS: Record<string, Migration> = {
  '001_initial': m001Initial,
  '002_default_parameter_groups': m002DefaultParameterGroups,
  '003_restore_records': m003RestoreRecords,
  '004_gc_holds_and_repairs': m004GcHoldsAndRepairs,
  '005_default_groups_for_every_minor': m005DefaultGroupsForEveryMinor,
  '006_parameter_group_spec_and_note': m006ParameterGroupSpecAndNote,
  '007_cluster_control_host': m007ClusterControlHost,
};

class InCodeMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

/** Applies pending migrations; a second run is a no-op. Throws the first migration error. */
export async function migrateToLatest(db: AnyDb): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new InCodeMigrationProvider() });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`metadata migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
