// The MetadataStore over any Kysely dialect. Only portable query-builder calls are used below
// this class, so PostgreSQL needs a dialect (see index.ts), not new queries.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { MetadataStore } from './types.js';
import { migrateToLatest } from './migrations.js';
import { SecretBox, SecretKeyError } from './secrets.js';
import * as clusters from './clusters.js';
import * as resources from './resources.js';
import * as records from './records.js';
import * as holds from './holds.js';

const KEY_CHECK_SETTING = 'secret_key_check';
const KEY_CHECK_PLAINTEXT = 'tiem-clone metadata secret key check';

type Store = MetadataStore;

export class KyselyMetadataStore implements MetadataStore {
  private readonly box: SecretBox;

  constructor(
    /** Exposed for tests and tools (read-only inspection); application code uses the methods. */
    readonly db: Kysely<Database>,
    secretKey: Buffer | string,
  ) {
    this.box = new SecretBox(secretKey);
  }

  /** Runs pending migrations, then checks the secret key against the one the DB was written with. */
  async migrate(): Promise<void> {
    await migrateToLatest(this.db);
    await this.checkSecretKey();
  }

  /** Fails fast at start-up with a clear message instead of on the first password read. */
  private async checkSecretKey(): Promise<void> {
    const row = await this.db.selectFrom('store_settings').select('value').where('name', '=', KEY_CHECK_SETTING).executeTakeFirst();
    if (!row) {
      await this.db
        .insertInto('store_settings')
        .values({ name: KEY_CHECK_SETTING, value: this.box.encrypt(KEY_CHECK_PLAINTEXT, KEY_CHECK_SETTING) })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      return;
    }
    try {
      this.box.decrypt(row.value, KEY_CHECK_SETTING);
    } catch {
      throw new SecretKeyError(
        'metadata secret key does not match the key this metadata DB was created with (check the configured secret key)',
      );
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  // --- clusters ---
  getCluster: Store['getCluster'] = (id) => clusters.getCluster(this.db, id);
  findClusterByName: Store['findClusterByName'] = (name) => clusters.findClusterByName(this.db, name);
  listClusters: Store['listClusters'] = () => clusters.listClusters(this.db);
  importCluster: Store['importCluster'] = (c, instances) => clusters.importCluster(this.db, c, instances);
  startCloneMaintenance: Store['startCloneMaintenance'] = (a) => clusters.startCloneMaintenance(this.db, a);
  setMaintenanceStatus: Store['setMaintenanceStatus'] = (a) => clusters.setMaintenanceStatus(this.db, a);
  endMaintenance: Store['endMaintenance'] = (ids, holder) => clusters.endMaintenance(this.db, ids, holder);
  setClusterStatus: Store['setClusterStatus'] = (id, status) => clusters.setClusterStatus(this.db, id, status);
  updateCluster: Store['updateCluster'] = (id, patch) => clusters.updateCluster(this.db, id, patch);
  upsertInstances: Store['upsertInstances'] = (clusterId, instances) =>
    this.db.transaction().execute((trx) => clusters.upsertInstances(trx, clusterId, instances));
  setInstancesStatus: Store['setInstancesStatus'] = (clusterId, status) => clusters.setInstancesStatus(this.db, clusterId, status);
  markClusterDeleted: Store['markClusterDeleted'] = (id) => clusters.markClusterDeleted(this.db, id);

  // --- relations ---
  isSlave: Store['isSlave'] = (clusterId) => clusters.isSlave(this.db, clusterId);
  upsertRelation: Store['upsertRelation'] = (r) => clusters.upsertRelation(this.db, r);
  deleteRelation: Store['deleteRelation'] = (s, o) => clusters.deleteRelation(this.db, s, o);
  getRelations: Store['getRelations'] = (clusterId) => clusters.getRelations(this.db, clusterId);

  // --- resource pool ---
  addHosts: Store['addHosts'] = (hosts) => resources.addHosts(this.db, hosts);
  listHosts: Store['listHosts'] = () => resources.listHosts(this.db);
  allocate: Store['allocate'] = (req) => resources.allocate(this.db, req);
  planAllocation: Store['planAllocation'] = (req) => resources.planAllocation(this.db, req);
  getAllocation: Store['getAllocation'] = (requestId) => resources.getAllocation(this.db, requestId);
  release: Store['release'] = (requestId) => resources.release(this.db, requestId);
  releaseByHolder: Store['releaseByHolder'] = (holderId) => resources.releaseByHolder(this.db, holderId);
  listAllocations: Store['listAllocations'] = (holderId) => resources.listAllocations(this.db, holderId);
  listAllocationHeaders: Store['listAllocationHeaders'] = () => resources.listAllocationHeaders(this.db);

  // --- GC holds and the reconciler's log ---
  addGcHold: Store['addGcHold'] = (h) => holds.addGcHold(this.db, h);
  getGcHold: Store['getGcHold'] = (sourceClusterId, holder) => holds.getGcHold(this.db, sourceClusterId, holder);
  listGcHolds: Store['listGcHolds'] = (filter) => holds.listGcHolds(this.db, filter);
  releaseGcHold: Store['releaseGcHold'] = (sourceClusterId, holder, by) => holds.releaseGcHold(this.db, sourceClusterId, holder, by);
  recordRepair: Store['recordRepair'] = (r) => holds.recordRepair(this.db, r);
  listRepairs: Store['listRepairs'] = (filter) => holds.listRepairs(this.db, filter);

  // --- accounts and topology snapshots (secrets encrypted at rest) ---
  upsertClusterUser: Store['upsertClusterUser'] = (u) => records.upsertClusterUser(this.db, this.box, u);
  getClusterUser: Store['getClusterUser'] = (clusterId, name) => records.getClusterUser(this.db, this.box, clusterId, name);
  listClusterUsers: Store['listClusterUsers'] = (clusterId) => records.listClusterUsers(this.db, this.box, clusterId);
  saveTopologySnapshot: Store['saveTopologySnapshot'] = (s) => records.saveTopologySnapshot(this.db, this.box, s);
  getTopologySnapshot: Store['getTopologySnapshot'] = (clusterId) => records.getTopologySnapshot(this.db, this.box, clusterId);

  // --- backups ---
  createBackupRecord: Store['createBackupRecord'] = (r) => records.createBackupRecord(this.db, r);
  updateBackupRecord: Store['updateBackupRecord'] = (id, patch) => records.updateBackupRecord(this.db, id, patch);
  getBackupRecord: Store['getBackupRecord'] = (id) => records.getBackupRecord(this.db, id);
  recordRestore: Store['recordRestore'] = (r) => records.recordRestore(this.db, r);
  getRestoreRecord: Store['getRestoreRecord'] = (clusterId, backupId) => records.getRestoreRecord(this.db, clusterId, backupId);
  getBackupStrategy: Store['getBackupStrategy'] = (clusterId) => records.getBackupStrategy(this.db, clusterId);
  saveBackupStrategy: Store['saveBackupStrategy'] = (s) => records.saveBackupStrategy(this.db, s);

  // --- parameters ---
  getParameterGroup: Store['getParameterGroup'] = (id) => records.getParameterGroup(this.db, id);
  findDefaultParameterGroup: Store['findDefaultParameterGroup'] = (v) => records.findDefaultParameterGroup(this.db, v);
  addParameterGroup: Store['addParameterGroup'] = (g) => records.addParameterGroup(this.db, g);
  listParameterGroups: Store['listParameterGroups'] = (f) => records.listParameterGroups(this.db, f);
  listClusterParameters: Store['listClusterParameters'] = (clusterId) => records.listClusterParameters(this.db, clusterId);
  saveClusterParameters: Store['saveClusterParameters'] = (clusterId, params) =>
    records.saveClusterParameters(this.db, clusterId, params);

  // --- changefeed tasks ---
  upsertChangefeedTask: Store['upsertChangefeedTask'] = (t) => records.upsertChangefeedTask(this.db, t);
  getChangefeedTask: Store['getChangefeedTask'] = (id) => records.getChangefeedTask(this.db, id);
  listChangefeedTasks: Store['listChangefeedTasks'] = (filter) => records.listChangefeedTasks(this.db, filter);
}
