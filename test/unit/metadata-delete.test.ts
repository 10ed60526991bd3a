// The metadata side of deleting a cluster: TiEM's SetMaintenanceStatus rule for `Deleting`
// (force overrides anything but another delete), and the soft delete with its relations.
import { TiemError } from '../../domain/errors.js';
import { instance, newCluster, openTempStore, type TempStore } from '../../metadata/testing.js';

let t: TempStore;
beforeEach(async () => {
  t = await openTempStore();
  await t.store.importCluster(newCluster('src1'), [instance('src1-pd', 'PD', '10.0.0.1', [2379, 2380])]);
});
afterEach(async () => {
  await t.cleanup();
});

async function rejection(p: Promise<unknown>): Promise<TiemError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TiemError);
  return err as TiemError;
}

async function maintenanceOf(id: string) {
  const c = await t.store.getCluster(id);
  return { status: c?.maintenanceStatus, holder: c?.maintenanceHolder };
}

describe('setMaintenanceStatus', () => {
  test('takes a free cluster and returns the status it replaced', async () => {
    expect(await t.store.setMaintenanceStatus({ clusterId: 'src1', status: 'Deleting', holder: 'delete-src1' })).toBe('');
    expect(await maintenanceOf('src1')).toEqual({ status: 'Deleting', holder: 'delete-src1' });
  });

  test('is idempotent for the same holder', async () => {
    await t.store.setMaintenanceStatus({ clusterId: 'src1', status: 'Deleting', holder: 'delete-src1' });
    expect(await t.store.setMaintenanceStatus({ clusterId: 'src1', status: 'Deleting', holder: 'delete-src1' })).toBe('Deleting');
    expect(await maintenanceOf('src1')).toEqual({ status: 'Deleting', holder: 'delete-src1' });
  });

  test('without force, any status refuses with 20114 and TiEM message', async () => {
    await t.store.startCloneMaintenance({ sourceClusterId: 'src1', target: newCluster('tgt1'), holder: 'clone-tgt1' });
    for (const id of ['src1', 'tgt1']) {
      const err = await rejection(t.store.setMaintenanceStatus({ clusterId: id, status: 'Deleting', holder: `delete-${id}` }));
      expect(err.errorName).toBe('CLUSTER_MAINTENANCE_CONFLICT');
      expect(err.code).toBe(20114);
      expect(err.httpStatus).toBe(409);
    }
    const err = await rejection(t.store.setMaintenanceStatus({ clusterId: 'tgt1', status: 'Deleting', holder: 'x' }));
    expect(err.detail).toBe("cluster maintenance status is 'Cloning'");
    expect(await maintenanceOf('tgt1')).toEqual({ status: 'Cloning', holder: 'clone-tgt1' });
  });

  test('Deleting with force replaces a clone lock, and the clone can no longer clear it', async () => {
    await t.store.startCloneMaintenance({ sourceClusterId: 'src1', target: newCluster('tgt1'), holder: 'clone-tgt1' });
    expect(await t.store.setMaintenanceStatus({ clusterId: 'tgt1', status: 'Deleting', holder: 'delete-tgt1', force: true })).toBe('Cloning');
    await t.store.endMaintenance(['src1', 'tgt1'], 'clone-tgt1');
    expect(await maintenanceOf('tgt1')).toEqual({ status: 'Deleting', holder: 'delete-tgt1' });
    expect(await maintenanceOf('src1')).toEqual({ status: '', holder: '' });
  });

  test('force never replaces another Deleting, and other statuses are never forced', async () => {
    await t.store.setMaintenanceStatus({ clusterId: 'src1', status: 'Deleting', holder: 'delete-a' });
    const err = await rejection(t.store.setMaintenanceStatus({ clusterId: 'src1', status: 'Deleting', holder: 'delete-b', force: true }));
    expect(err.detail).toBe("cluster maintenance status is 'Deleting'");
    await t.store.endMaintenance(['src1'], 'delete-a');
    await t.store.setMaintenanceStatus({ clusterId: 'src1', status: 'BackUp', holder: 'backup-1' });
    const busy = await rejection(t.store.setMaintenanceStatus({ clusterId: 'src1', status: 'Takeover', holder: 'takeover-1', force: true }));
    expect(busy.errorName).toBe('CLUSTER_MAINTENANCE_CONFLICT');
  });

  test('a missing or deleted cluster is CLUSTER_NOT_FOUND; an empty holder is refused', async () => {
    expect((await rejection(t.store.setMaintenanceStatus({ clusterId: 'nope', status: 'Deleting', holder: 'h' }))).errorName).toBe('CLUSTER_NOT_FOUND');
    await t.store.markClusterDeleted('src1');
    expect((await rejection(t.store.setMaintenanceStatus({ clusterId: 'src1', status: 'Deleting', holder: 'h' }))).errorName).toBe('CLUSTER_NOT_FOUND');
    await t.store.importCluster(newCluster('c2'), []);
    expect((await rejection(t.store.setMaintenanceStatus({ clusterId: 'c2', status: 'Deleting', holder: '' }))).errorName).toBe('PARAMETER_INVALID');
  });
});

describe('markClusterDeleted', () => {
  test('hides the cluster, drops relations on both sides, frees the name; repeating is a no-op', async () => {
    await t.store.importCluster(newCluster('mid1'), []);
    await t.store.importCluster(newCluster('down1'), []);
    await t.store.upsertRelation({ relationType: 'StandBy', subjectClusterId: 'src1', objectClusterId: 'mid1', syncChangefeedTaskId: 'cf1' });
    await t.store.upsertRelation({ relationType: 'StandBy', subjectClusterId: 'mid1', objectClusterId: 'down1', syncChangefeedTaskId: 'cf2' });
    await t.store.setMaintenanceStatus({ clusterId: 'mid1', status: 'Deleting', holder: 'delete-mid1' });
    await t.store.markClusterDeleted('mid1');
    await t.store.markClusterDeleted('mid1');
    await t.store.endMaintenance(['mid1'], 'delete-mid1');
    expect(await t.store.getCluster('mid1')).toBeUndefined();
    expect((await t.store.listClusters()).map((c) => c.id).sort()).toEqual(['down1', 'src1']);
    expect(await t.store.getRelations('src1')).toEqual({ masters: [], slaves: [] });
    expect(await t.store.getRelations('down1')).toEqual({ masters: [], slaves: [] });
    expect(await t.store.isSlave('down1')).toBe(false);
    // the name is free again for a new cluster
    await t.store.importCluster(newCluster('mid2', 'name-mid1'), []);
    expect((await t.store.findClusterByName('name-mid1'))?.id).toBe('mid2');
  });
});
