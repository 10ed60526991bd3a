// Target accounts: root (the request's password) and TiEM's management accounts, and their
// re-assertion after a restore (BR ≥ v7.6 restores the source's mysql.user over them).
import { TiemError } from '../domain/errors.js';
import { CDC_ACCOUNT_MIN_VERSION, MGMT_ACCOUNTS_MIN_VERSION, versionAtLeast } from '../domain/version.js';
import type { ClusterUser } from '../metadata/types.js';
import { generatePassword } from '../security/passwords.js';
import type { CloneActivities } from './types.js';
import type { ActivityDeps } from './deps.js';
import { connectWithAnyPassword, requireCluster, tidbEndpoint } from './cluster-access.js';

type AccountActivities = Pick<CloneActivities, 'initRootAccount' | 'initAccount' | 'reconcileAccounts'>;

export interface ManagementAccount {
  name: string;
  role: ClusterUser['role'];
  minVersion: string;
  privileges: string[];
}

/** TiEM constants.DBUserPermission, in TiEM's creation order. Privileges one per entry (no comma lists in GRANT). */
export const MANAGEMENT_ACCOUNTS: ManagementAccount[] = [
  { name: 'CDC_Data_Sync', role: 'CDCDataSync', minVersion: CDC_ACCOUNT_MIN_VERSION, privileges: ['ALL PRIVILEGES', 'RESTRICTED_REPLICA_WRITER_ADMIN'] },
  { name: 'EM_Backup_Restore', role: 'BackupRestore', minVersion: MGMT_ACCOUNTS_MIN_VERSION, privileges: ['ALL PRIVILEGES', 'BACKUP_ADMIN', 'RESTORE_ADMIN'] },
  { name: 'EM_Parameter_Management', role: 'ParameterManagement', minVersion: MGMT_ACCOUNTS_MIN_VERSION, privileges: ['ALL PRIVILEGES', 'CONFIG', 'RELOAD', 'SYSTEM_VARIABLES_ADMIN'] },
];

const GENERATED_PASSWORD_LENGTH = 16;

export function accountsForVersion(version: string): ManagementAccount[] {
  return MANAGEMENT_ACCOUNTS.filter((a) => versionAtLeast(version, a.minVersion));
}

export function createAccountActivities(deps: ActivityDeps): AccountActivities {
  const { store } = deps;

  async function requireRoot(clusterId: string): Promise<ClusterUser> {
    const root = await store.getClusterUser(clusterId, 'root');
    if (!root) throw new TiemError('USER_NOT_FOUND', `user root of cluster ${clusterId} not found`);
    return root;
  }

  return {
    // Idempotent: tries the empty password, then the requested one (already set by an earlier attempt); ALTER USER and the user upsert are absolute.
    async initRootAccount({ targetClusterId, password }) {
      const target = await requireCluster(deps, targetClusterId);
      const session = await connectWithAnyPassword(deps, tidbEndpoint(deps, target), 'root', ['', password]);
      try {
        await session.alterUserPassword('root', '%', password);
      } finally {
        await session.close().catch(() => undefined);
      }
      await store.upsertClusterUser({ clusterId: targetClusterId, name: 'root', password, role: 'Root' });
    },

    // Idempotent: a stored account keeps its password; ensureUser is CREATE IF NOT EXISTS + ALTER + GRANT; the store upserts.
    async initAccount({ targetClusterId }) {
      const target = await requireCluster(deps, targetClusterId);
      const root = await requireRoot(targetClusterId);
      const accounts = accountsForVersion(target.version);
      const lines = [`init database account, type: ${accounts.map((a) => a.name).join(', ') || 'none'}`];
      if (!accounts.length) return lines;
      const session = await connectWithAnyPassword(deps, tidbEndpoint(deps, target), 'root', [root.password]);
      try {
        for (const account of accounts) {
          const existing = await store.getClusterUser(targetClusterId, account.name);
          const password = existing?.password ?? generatePassword(GENERATED_PASSWORD_LENGTH);
          await session.ensureUser(account.name, password, account.privileges);
          await store.upsertClusterUser({ clusterId: targetClusterId, name: account.name, password, role: account.role });
          lines.push(`init user ${account.name} succeed`);
        }
      } finally {
        await session.close().catch(() => undefined);
      }
      return lines;
    },

    // Idempotent: re-asserts stored passwords and grants; running it twice changes nothing.
    async reconcileAccounts({ targetClusterId, sourceClusterId }) {
      const target = await requireCluster(deps, targetClusterId);
      const root = await requireRoot(targetClusterId);
      // After a sys-table restore the target's root has the source's password.
      const sourceRoot = sourceClusterId ? await store.getClusterUser(sourceClusterId, 'root') : undefined;
      const session = await connectWithAnyPassword(deps, tidbEndpoint(deps, target), 'root', [root.password, sourceRoot?.password, '']);
      const lines: string[] = [];
      try {
        await session.alterUserPassword('root', '%', root.password);
        lines.push('re-assert password of user root succeed');
        const stored = await store.listClusterUsers(targetClusterId);
        for (const account of MANAGEMENT_ACCOUNTS) {
          const user = stored.find((u) => u.name === account.name);
          if (!user) continue;
          await session.ensureUser(account.name, user.password, account.privileges);
          lines.push(`re-assert user ${account.name} succeed`);
        }
      } finally {
        await session.close().catch(() => undefined);
      }
      return lines;
    },
  };
}
