import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DEFAULT_GROUP_VALUES, DEFAULT_GROUP_VERSIONS } from '../../domain/parameters.js';
import { TiemError } from '../../domain/errors.js';
import { createSqliteStore } from '../../metadata/sqlite-store.js';
import { openMetadataStore } from '../../metadata/index.js';
import { MIGRATIONS, migrateToLatest } from '../../metadata/migrations.js';
import { failInsertsWhere, instance, newCluster, openTempStore, postgresRowsText, type TempStore } from '../../metadata/testing.js';
import type { BackupRecord } from '../../metadata/types.js';

let t: TempStore;
beforeEach(async () => {
  t = await openTempStore();
});
afterEach(async () => {
  await t.cleanup();
});

async function expectTiem(p: Promise<unknown>, name: string, detail: string): Promise<TiemError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TiemError);
  const te = err as TiemError;
  expect(te.errorName).toBe(name);
  expect(te.detail).toBe(detail);
  return te;
}

async function clusterRowCount(): Promise<number> {
  const r = await t.store.db.selectFrom('clusters').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

describe('migrations', () => {
  test('run twice safely and keep data', async () => {
    await t.store.importCluster(newCluster('c1'), []);
    await t.store.migrate();
    expect(await migrateToLatest(t.store.db)).toEqual([]);
    expect((await t.store.listClusters()).map((c) => c.id)).toEqual(['c1']);
    const applied = await t.store.db.selectFrom('kysely_migration' as never).selectAll().execute();
    expect(applied).toHaveLength(Object.keys(MIGRATIONS).length);
  });

  test('seed one default parameter group per minor version', async () => {
    for (const v of DEFAULT_GROUP_VERSIONS) {
      const g = await t.store.findDefaultParameterGroup(v);
      expect(g).toBeDefined();
      expect(g!.id).toBe(`default-${v}`);
      expect(g!.isDefault).toBe(true);
      expect(g!.clusterVersion).toBe(v);
      expect(g!.params).toHaveLength(DEFAULT_GROUP_VALUES.length);
      expect(g!.params).toContainEqual({ component: 'pd', name: 'replication.max-replicas', defaultValue: '3' });
    }
    // Patch versions resolve to their minor version's group; unknown minors have none.
    expect((await t.store.findDefaultParameterGroup('v7.5.1'))?.id).toBe('default-v7.5');
    expect((await t.store.findDefaultParameterGroup('v5.2.2'))?.id).toBe('default-v5.2');
    expect(await t.store.findDefaultParameterGroup('v4.0')).toBeUndefined();
  });

  test('a wrong secret key is refused at start-up with a clear error', async () => {
    await t.store.upsertClusterUser({ clusterId: 'c1', name: 'root', password: 'S3cret-pass', role: 'Root' });
    const other = t.reopen(randomBytes(32));
    await expect(other.migrate()).rejects.toThrow(/secret key does not match/);
    await expect(other.getClusterUser('c1', 'root')).rejects.toThrow(/metadata secret key is wrong/);
    await other.close();
  });
});

describe('clusters', () => {
  test('import then getCluster returns the cluster with its instances in order', async () => {
    await t.store.importCluster(newCluster('src-0001', 'source-cluster'), [
      instance('pd-1', 'PD', '127.0.2.11', [2379, 2380]),
      instance('tidb-1', 'TiDB', '127.0.2.12', [4000, 10080]),
      instance('tikv-1', 'TiKV', '127.0.2.13', [20160, 20180]),
    ]);
    const c = await t.store.getCluster('src-0001');
    expect(c).toMatchObject({
      id: 'src-0001',
      name: 'source-cluster',
      type: 'TiDB',
      status: 'Running',
      maintenanceStatus: '',
      maintenanceHolder: '',
      tags: ['prod', 'team-a'],
      tls: false,
      exclusive: false,
      cpuArchitecture: 'X86_64',
      copies: 3,
    });
    expect(c!.instances.map((i) => [i.id, i.component, i.ports])).toEqual([
      ['pd-1', 'PD', [2379, 2380]],
      ['tidb-1', 'TiDB', [4000, 10080]],
      ['tikv-1', 'TiKV', [20160, 20180]],
    ]);
    expect(c!.instances[0].clusterId).toBe('src-0001');
    expect((await t.store.findClusterByName('source-cluster'))?.id).toBe('src-0001');

    // Upsert keeps position, updates fields, appends new instances.
    await t.store.upsertInstances('src-0001', [
      { ...instance('tidb-1', 'TiDB', '127.0.2.12', [4001, 10081]), status: 'Stopped' },
      instance('cdc-1', 'CDC', '127.0.2.14', [8300]),
    ]);
    const c2 = await t.store.getCluster('src-0001');
    expect(c2!.instances.map((i) => i.id)).toEqual(['pd-1', 'tidb-1', 'tikv-1', 'cdc-1']);
    expect(c2!.instances[1]).toMatchObject({ ports: [4001, 10081], status: 'Stopped' });

    await t.store.setInstancesStatus('src-0001', 'Failure');
    expect((await t.store.getCluster('src-0001'))!.instances.every((i) => i.status === 'Failure')).toBe(true);
  });

  test('duplicate name on import is refused', async () => {
    await t.store.importCluster(newCluster('c1', 'same-name'), []);
    await expectTiem(t.store.importCluster(newCluster('c2', 'same-name'), []), 'DUPLICATED_NAME', 'duplicated cluster name:same-name');
  });

  test('deleted clusters are invisible to reads and free their name', async () => {
    await t.store.importCluster(newCluster('c1', 'old-name'), [instance('pd-1', 'PD', '127.0.2.11', [2379])]);
    await t.store.markClusterDeleted('c1');
    await t.store.markClusterDeleted('c1'); // idempotent
    expect(await t.store.getCluster('c1')).toBeUndefined();
    expect(await t.store.findClusterByName('old-name')).toBeUndefined();
    expect(await t.store.listClusters()).toEqual([]);
    await t.store.importCluster(newCluster('c2', 'old-name'), []);
    expect((await t.store.findClusterByName('old-name'))?.id).toBe('c2');
    await expect(t.store.setClusterStatus('c1', 'Failure')).rejects.toMatchObject({ errorName: 'CLUSTER_NOT_FOUND' });
  });

  test('updateCluster and setClusterStatus', async () => {
    await t.store.importCluster(newCluster('c1'), []);
    await t.store.updateCluster('c1', { version: 'v8.1.0', copies: 5, tags: ['x'], parameterGroupId: 'default-v8.1' });
    await t.store.setClusterStatus('c1', 'Stopped');
    expect(await t.store.getCluster('c1')).toMatchObject({
      version: 'v8.1.0',
      copies: 5,
      tags: ['x'],
      parameterGroupId: 'default-v8.1',
      status: 'Stopped',
    });
    await expect(t.store.setClusterStatus('nope', 'Running')).rejects.toMatchObject({ errorName: 'CLUSTER_NOT_FOUND' });
  });
});

describe('startCloneMaintenance / endMaintenance', () => {
  const holder = 'clone-tgt-0001';
  beforeEach(async () => {
    await t.store.importCluster(newCluster('src-0001', 'source-cluster'), [instance('pd-1', 'PD', '127.0.2.11', [2379])]);
  });

  test('locks the source, creates the target held by the same holder; idempotent', async () => {
    const target = newCluster('tgt-0001', 'target-cluster', { tls: true, exclusive: true });
    await t.store.startCloneMaintenance({ sourceClusterId: 'src-0001', target, holder });
    const src = await t.store.getCluster('src-0001');
    const tgt = await t.store.getCluster('tgt-0001');
    expect(src).toMatchObject({ status: 'Running', maintenanceStatus: 'BeingCloned', maintenanceHolder: holder });
    expect(tgt).toMatchObject({
      status: 'Initializing',
      maintenanceStatus: 'Cloning',
      maintenanceHolder: holder,
      tls: true,
      exclusive: true,
      instances: [],
    });
    const before = tgt!.updatedAt;
    await t.store.startCloneMaintenance({ sourceClusterId: 'src-0001', target, holder });
    expect((await t.store.getCluster('tgt-0001'))!.updatedAt).toBe(before);
    expect(await clusterRowCount()).toBe(2);
  });

  test('source missing → CLUSTER_NOT_FOUND, nothing left behind', async () => {
    await expectTiem(
      t.store.startCloneMaintenance({ sourceClusterId: 'missing-1', target: newCluster('tgt-0001', 'target-cluster'), holder }),
      'CLUSTER_NOT_FOUND',
      'get cluster failed : clusterID = missing-1',
    );
    expect(await clusterRowCount()).toBe(1);
  });

  test('name taken by a live cluster → DUPLICATED_NAME (a deleted one does not count)', async () => {
    await t.store.importCluster(newCluster('other-1', 'taken-name'), []);
    const te = await expectTiem(
      t.store.startCloneMaintenance({ sourceClusterId: 'src-0001', target: newCluster('tgt-0001', 'taken-name'), holder }),
      'DUPLICATED_NAME',
      'duplicated cluster name:taken-name',
    );
    expect(te.code).toBe(20101);
    expect(te.httpStatus).toBe(400);
    expect(await t.store.getCluster('tgt-0001')).toBeUndefined();
    expect((await t.store.getCluster('src-0001'))!.maintenanceStatus).toBe('');

    await t.store.markClusterDeleted('other-1');
    await t.store.startCloneMaintenance({ sourceClusterId: 'src-0001', target: newCluster('tgt-0001', 'taken-name'), holder });
    expect((await t.store.findClusterByName('taken-name'))?.id).toBe('tgt-0001');
  });

  test('source under maintenance by another holder → CLUSTER_MAINTENANCE_CONFLICT, nothing left behind', async () => {
    await t.store.startCloneMaintenance({ sourceClusterId: 'src-0001', target: newCluster('tgt-a', 'target-a'), holder: 'clone-a' });
    const te = await expectTiem(
      t.store.startCloneMaintenance({ sourceClusterId: 'src-0001', target: newCluster('tgt-b', 'target-b'), holder: 'clone-b' }),
      'CLUSTER_MAINTENANCE_CONFLICT',
      'set cluster maintenance status conflicted : current maintenance = BeingCloned, target maintenance = BeingCloned, clusterID = src-0001',
    );
    expect(te.httpStatus).toBe(409);
    expect(await t.store.getCluster('tgt-b')).toBeUndefined();
    expect(await t.store.findClusterByName('target-b')).toBeUndefined();
    expect((await t.store.getCluster('src-0001'))!.maintenanceHolder).toBe('clone-a');
  });

  test('a failure after the source lock rolls the whole transaction back', async () => {
    // Make the target insert (the last statement) fail, after the source row was already updated.
    await failInsertsWhere(t, 'clusters', 'id', 'tgt-boom');
    await expect(
      t.store.startCloneMaintenance({ sourceClusterId: 'src-0001', target: newCluster('tgt-boom', 'target-boom'), holder }),
    ).rejects.toMatchObject({ message: 'boom' }); // SqliteError is from another realm: no toThrow
    expect(await t.store.getCluster('src-0001')).toMatchObject({ maintenanceStatus: '', maintenanceHolder: '' });
    expect(await clusterRowCount()).toBe(1);
  });

  test('the same target id held by another holder is a conflict', async () => {
    await t.store.startCloneMaintenance({ sourceClusterId: 'src-0001', target: newCluster('tgt-a', 'target-a'), holder: 'clone-a' });
    await t.store.endMaintenance(['src-0001'], 'clone-a');
    await expect(
      t.store.startCloneMaintenance({ sourceClusterId: 'src-0001', target: newCluster('tgt-a', 'target-a'), holder: 'clone-b' }),
    ).rejects.toMatchObject({ errorName: 'CLUSTER_MAINTENANCE_CONFLICT' });
    expect((await t.store.getCluster('src-0001'))!.maintenanceStatus).toBe('');
  });

  test('concurrent clones of one source: exactly one gets the lock', async () => {
    const outcomes = await Promise.allSettled(
      ['a', 'b', 'c'].map((x) =>
        t.store.startCloneMaintenance({ sourceClusterId: 'src-0001', target: newCluster(`tgt-${x}`, `target-${x}`), holder: `clone-${x}` }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toMatchObject({ errorName: 'CLUSTER_MAINTENANCE_CONFLICT' });
    expect(await clusterRowCount()).toBe(2);
  });

  test('endMaintenance clears only what the holder holds; idempotent', async () => {
    await t.store.importCluster(newCluster('busy-1', 'busy-cluster'), []);
    await t.store.startCloneMaintenance({ sourceClusterId: 'busy-1', target: newCluster('tgt-x', 'target-x'), holder: 'clone-x' });
    await t.store.startCloneMaintenance({ sourceClusterId: 'src-0001', target: newCluster('tgt-0001', 'target-cluster'), holder });

    await t.store.endMaintenance(['src-0001', 'tgt-0001', 'busy-1'], 'someone-else');
    expect((await t.store.getCluster('src-0001'))!.maintenanceStatus).toBe('BeingCloned');

    await t.store.endMaintenance(['src-0001', 'tgt-0001', 'busy-1'], holder);
    expect(await t.store.getCluster('src-0001')).toMatchObject({ maintenanceStatus: '', maintenanceHolder: '' });
    expect(await t.store.getCluster('tgt-0001')).toMatchObject({ maintenanceStatus: '', maintenanceHolder: '' });
    expect(await t.store.getCluster('busy-1')).toMatchObject({ maintenanceStatus: 'BeingCloned', maintenanceHolder: 'clone-x' });

    await t.store.endMaintenance(['src-0001', 'tgt-0001'], holder);
    expect((await t.store.getCluster('src-0001'))!.maintenanceStatus).toBe('');
  });
});

describe('relations', () => {
  test('upsert by (type, subject, object); masters and slaves; delete', async () => {
    expect(await t.store.isSlave('tgt')).toBe(false);
    await t.store.upsertRelation({ relationType: 'StandBy', subjectClusterId: 'src', objectClusterId: 'tgt', syncChangefeedTaskId: 'cf-1' });
    await t.store.upsertRelation({ relationType: 'StandBy', subjectClusterId: 'src', objectClusterId: 'tgt', syncChangefeedTaskId: 'cf-2' });
    expect(await t.store.isSlave('tgt')).toBe(true);
    expect(await t.store.isSlave('src')).toBe(false);
    const tgt = await t.store.getRelations('tgt');
    expect(tgt.masters).toEqual([{ relationType: 'StandBy', subjectClusterId: 'src', objectClusterId: 'tgt', syncChangefeedTaskId: 'cf-2' }]);
    expect(tgt.slaves).toEqual([]);
    const src = await t.store.getRelations('src');
    expect(src.slaves.map((r) => r.objectClusterId)).toEqual(['tgt']);
    expect(src.masters).toEqual([]);

    await t.store.deleteRelation('src', 'tgt');
    expect(await t.store.isSlave('tgt')).toBe(false);
    expect((await t.store.getRelations('src')).slaves).toEqual([]);
    // Re-creating revives the row.
    await t.store.upsertRelation({ relationType: 'StandBy', subjectClusterId: 'src', objectClusterId: 'tgt', syncChangefeedTaskId: 'cf-3' });
    expect((await t.store.getRelations('tgt')).masters[0].syncChangefeedTaskId).toBe('cf-3');
  });

  test('deleting a cluster soft-deletes its relations', async () => {
    await t.store.importCluster(newCluster('src'), []);
    await t.store.importCluster(newCluster('tgt'), []);
    await t.store.upsertRelation({ relationType: 'StandBy', subjectClusterId: 'src', objectClusterId: 'tgt', syncChangefeedTaskId: 'cf-1' });
    await t.store.markClusterDeleted('tgt');
    expect((await t.store.getRelations('src')).slaves).toEqual([]);
  });
});

describe('secrets at rest', () => {
  test('passwords and private keys are encrypted in the DB file and decrypted on read', async () => {
    const password = 'PlainRootPassw0rd-XYZ';
    const privateKey = '-----BEGIN OPENSSH PRIVATE KEY-----\nPRIVATEKEYMATERIAL123\n-----END OPENSSH PRIVATE KEY-----';
    await t.store.upsertClusterUser({ clusterId: 'c1', name: 'root', password, role: 'Root' });
    await t.store.upsertClusterUser({ clusterId: 'c1', name: 'backup_user', password: 'OtherPassw0rd-ABC', role: 'BackupRestore' });
    await t.store.saveTopologySnapshot({ clusterId: 'c1', privateKey, publicKey: 'ssh-ed25519 AAAA', metaYaml: 'user: tidb\n' });

    expect(await t.store.getClusterUser('c1', 'root')).toMatchObject({ clusterId: 'c1', name: 'root', password, role: 'Root' });
    expect((await t.store.listClusterUsers('c1')).map((u) => [u.name, u.password])).toEqual([
      ['backup_user', 'OtherPassw0rd-ABC'],
      ['root', password],
    ]);
    expect(await t.store.getTopologySnapshot('c1')).toEqual({ clusterId: 'c1', privateKey, publicKey: 'ssh-ed25519 AAAA', metaYaml: 'user: tidb\n' });

    const raw = await t.store.db.selectFrom('cluster_users').select('password_enc').where('name', '=', 'root').executeTakeFirstOrThrow();
    expect(raw.password_enc).toMatch(/^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    expect(raw.password_enc).not.toContain(password);

    let bytes: Buffer;
    if (t.file) {
      // Force everything (including the WAL) into the main file, then scan every file of the DB.
      await t.store.close();
      const reopened = createSqliteStore({ filename: t.file, secretKey: t.key });
      await reopened.migrate();
      const dir = dirname(t.file);
      bytes = Buffer.concat(readdirSync(dir).map((f) => readFileSync(join(dir, f))));
      await reopened.close();
      t.store = t.reopen();
      await t.store.migrate();
    } else {
      // PostgreSQL: every row of every table, as text.
      bytes = Buffer.from(await postgresRowsText(t.store.db));
    }
    expect(bytes.includes(Buffer.from(password))).toBe(false);
    expect(bytes.includes(Buffer.from('PRIVATEKEYMATERIAL123'))).toBe(false);
    expect(bytes.includes(Buffer.from('ssh-ed25519 AAAA'))).toBe(true); // the scan itself works
    // another process with the key reads them
    const other = t.reopen();
    expect((await other.getClusterUser('c1', 'root'))!.password).toBe(password);
    await other.close();
  });

  test('a partial snapshot save keeps the other fields', async () => {
    await t.store.saveTopologySnapshot({ clusterId: 'c1', privateKey: 'pk', publicKey: 'pub' });
    await t.store.saveTopologySnapshot({ clusterId: 'c1', metaYaml: 'meta' });
    expect(await t.store.getTopologySnapshot('c1')).toEqual({ clusterId: 'c1', privateKey: 'pk', publicKey: 'pub', metaYaml: 'meta' });
    expect(await t.store.getTopologySnapshot('none')).toBeUndefined();
  });

  test('a ciphertext moved to another row does not decrypt', async () => {
    await t.store.upsertClusterUser({ clusterId: 'c1', name: 'root', password: 'pw-one-1234', role: 'Root' });
    await t.store.upsertClusterUser({ clusterId: 'c2', name: 'root', password: 'pw-two-1234', role: 'Root' });
    const c1 = await t.store.db.selectFrom('cluster_users').select('password_enc').where('cluster_id', '=', 'c1').executeTakeFirstOrThrow();
    await t.store.db.updateTable('cluster_users').set({ password_enc: c1.password_enc }).where('cluster_id', '=', 'c2').execute();
    await expect(t.store.getClusterUser('c2', 'root')).rejects.toThrow(/cannot decrypt/);
  });
});

describe('backups', () => {
  const rec: BackupRecord = {
    id: 'bk-1',
    clusterId: 'src',
    storageType: 'local',
    filePath: 'local:///backups/src/bk-1',
    backupType: 'full',
    backupMethod: 'physical',
    backupMode: 'manual',
    status: 'Processing',
    size: 0,
    backupTso: '',
    startTime: '2024-01-01T00:00:00.000Z',
    endTime: '',
  };

  test('createBackupRecord is insert-if-absent and returns the stored record', async () => {
    expect(await t.store.createBackupRecord(rec)).toEqual(rec);
    await t.store.updateBackupRecord('bk-1', { status: 'Finished', size: 5_000_000_000, backupTso: '449412345678901234', endTime: 'x' });
    const again = await t.store.createBackupRecord({ ...rec, filePath: 'other' });
    expect(again).toEqual({ ...rec, status: 'Finished', size: 5_000_000_000, backupTso: '449412345678901234', endTime: 'x' });
    expect(await t.store.getBackupRecord('nope')).toBeUndefined();
  });

  test('backup strategy upsert', async () => {
    expect(await t.store.getBackupStrategy('src')).toBeUndefined();
    await t.store.saveBackupStrategy({ clusterId: 'src', backupDate: 'Monday', period: '0:00-1:00' });
    await t.store.saveBackupStrategy({ clusterId: 'src', backupDate: 'Monday,Friday', period: '2:00-3:00' });
    expect(await t.store.getBackupStrategy('src')).toEqual({ clusterId: 'src', backupDate: 'Monday,Friday', period: '2:00-3:00' });
  });
});

describe('parameters', () => {
  test('custom group add/replace and cluster parameters upsert', async () => {
    await t.store.addParameterGroup({
      id: 'pg-custom',
      name: 'custom',
      clusterVersion: 'v7.5',
      isDefault: false,
      params: [{ component: 'tidb', name: 'log.level', defaultValue: 'warn' }],
    });
    await t.store.addParameterGroup({
      id: 'pg-custom',
      name: 'custom-2',
      clusterVersion: 'v7.5',
      isDefault: false,
      params: [{ component: 'tikv', name: 'raftstore.apply-pool-size', defaultValue: '4' }],
      clusterSpec: '8C16G',
    });
    expect(await t.store.getParameterGroup('pg-custom')).toEqual({
      id: 'pg-custom',
      name: 'custom-2',
      clusterVersion: 'v7.5',
      isDefault: false,
      params: [{ component: 'tikv', name: 'raftstore.apply-pool-size', defaultValue: '4' }],
      clusterSpec: '8C16G',
      note: '',
      createdAt: expect.any(String),
    });
    // listed after the defaults, found by a name substring and by its minor version
    const listed = await t.store.listParameterGroups({ clusterVersion: 'v7.5.1' });
    expect(listed.map((g) => g.id)).toEqual(['default-v7.5', 'pg-custom']);
    expect((await t.store.listParameterGroups({ name: 'CUSTOM-2' })).map((g) => g.id)).toEqual(['pg-custom']);
    expect((await t.store.listParameterGroups({ isDefault: false })).map((g) => g.id)).toEqual(['pg-custom']);
    // The seeded default stays the default for v7.5.
    expect((await t.store.findDefaultParameterGroup('v7.5'))!.id).toBe('default-v7.5');
    expect(await t.store.getParameterGroup('missing')).toBeUndefined();

    await t.store.saveClusterParameters('c1', [
      { component: 'tidb', name: 'log.level', value: 'info' },
      { component: 'pd', name: 'replication.max-replicas', value: '3' },
    ]);
    await t.store.saveClusterParameters('c1', [{ component: 'tidb', name: 'log.level', value: 'error' }]);
    expect(await t.store.listClusterParameters('c1')).toEqual([
      { component: 'pd', name: 'replication.max-replicas', value: '3' },
      { component: 'tidb', name: 'log.level', value: 'error' },
    ]);
    expect(await t.store.listClusterParameters('c2')).toEqual([]);
  });
});

describe('changefeed tasks', () => {
  test('upsert, get and filter', async () => {
    const task = {
      id: 'cf-tgt-1',
      name: 'clone-tgt-1',
      clusterId: 'src',
      downstreamClusterId: 'tgt-1',
      startTs: '449412345678901234',
      status: 'Initial' as const,
      cdcServer: '127.0.2.14:8300',
    };
    await t.store.upsertChangefeedTask(task);
    await t.store.upsertChangefeedTask({ ...task, status: 'Normal' });
    await t.store.upsertChangefeedTask({ ...task, id: 'cf-tgt-2', downstreamClusterId: 'tgt-2' });
    await t.store.upsertChangefeedTask({ ...task, id: 'cf-other', clusterId: 'other', downstreamClusterId: 'tgt-1' });
    expect(await t.store.getChangefeedTask('cf-tgt-1')).toEqual({ ...task, status: 'Normal' });
    // Same-millisecond inserts: compare as sets.
    expect((await t.store.listChangefeedTasks({ clusterId: 'src' })).map((x) => x.id).sort()).toEqual(['cf-tgt-1', 'cf-tgt-2']);
    expect((await t.store.listChangefeedTasks({ downstreamClusterId: 'tgt-1' })).map((x) => x.id).sort()).toEqual(['cf-other', 'cf-tgt-1']);
    expect((await t.store.listChangefeedTasks({ clusterId: 'src', downstreamClusterId: 'tgt-2' })).map((x) => x.id)).toEqual(['cf-tgt-2']);
    expect(await t.store.getChangefeedTask('nope')).toBeUndefined();
  });
});

describe('openMetadataStore', () => {
  test('sqlite: URL and bare path open a SQLite store; postgres:// a PostgreSQL store; a short key is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tiem-open-'));
    for (const url of [`sqlite:${join(dir, 'a.db')}`, join(dir, 'b.db')]) {
      const s = openMetadataStore(url, randomBytes(32));
      await s.migrate();
      expect((await s.findDefaultParameterGroup('v8.5'))?.id).toBe('default-v8.5');
      await s.close();
    }
    // The pool connects on first use: nothing listens on port 1.
    const unreachable = openMetadataStore('postgres://u:p@127.0.0.1:1/tiem', randomBytes(32));
    await expect(unreachable.migrate()).rejects.toThrow(/ECONNREFUSED/);
    await unreachable.close();
    if (t.url.startsWith('postgres')) {
      const s = openMetadataStore(t.url, t.key);
      await s.migrate();
      expect((await s.findDefaultParameterGroup('v8.5'))?.id).toBe('default-v8.5');
      await s.close();
    }
    expect(() => openMetadataStore('sqlite:x.db', Buffer.alloc(16))).toThrow(/32 bytes/);
  });
});

describe('restore records', () => {
  test("BR's outcome is kept from the first record; the restored TSO is filled in later", async () => {
    const r = { clusterId: 'c1', backupId: 'b1', backupTso: '1', restoredTso: '', size: 10, finishedAt: '2026-11-26T00:00:00.000Z' };
    expect(await t.store.getRestoreRecord('c1', 'b1')).toBeUndefined();
    await t.store.recordRestore(r);
    await t.store.recordRestore({ ...r, size: 99 });
    expect(await t.store.getRestoreRecord('c1', 'b1')).toEqual(r);
    await t.store.recordRestore({ ...r, size: 99, restoredTso: '2' });
    expect(await t.store.getRestoreRecord('c1', 'b1')).toEqual({ ...r, restoredTso: '2' });
  });
});
