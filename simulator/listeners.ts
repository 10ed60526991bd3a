// Opens and closes the network endpoints of running clusters: a MySQL-protocol listener per TiDB
// instance and a TiCDC OpenAPI server per CDC instance.
import type http from 'node:http';
import type net from 'node:net';
import type { Simulator } from './sim.js';
import type { ClusterModel } from './model.js';
import { createMysqlServer } from './mysql-protocol.js';
import { TidbSession, serverVersionString } from './sql-engine.js';
import { createCdcServer } from './cdc-api.js';

type Closable = { server: net.Server | http.Server; destroyAll: () => void; id: string };

export class ListenerManager {
  private readonly byCluster = new Map<string, Closable[]>();

  constructor(private readonly sim: Simulator) {}

  /** Binds every TiDB and CDC endpoint of the cluster; on any failure closes what was opened and throws. */
  async startCluster(c: ClusterModel): Promise<void> {
    await this.stopCluster(c.name);
    const opened: Closable[] = [];
    try {
      for (const inst of c.instances) {
        if (inst.role === 'tidb') {
          const server = createMysqlServer({
            serverVersion: serverVersionString(c.version),
            newSession: () => new TidbSession(this.sim, c.name),
          });
          inst.port = await listen(server, inst.host, inst.port);
          opened.push({ server, destroyAll: () => server.destroyAll(), id: `${inst.host}:${inst.port}` });
        } else if (inst.role === 'cdc') {
          const addr = `${inst.host}:${inst.port}`;
          const server = createCdcServer(this.sim, c.name, addr);
          inst.port = await listen(server, inst.host, inst.port);
          opened.push({ server, destroyAll: () => server.closeAllConnections(), id: `${inst.host}:${inst.port}` });
        }
      }
    } catch (e) {
      await closeAll(opened);
      throw e;
    }
    this.byCluster.set(c.name, opened);
  }

  async stopCluster(name: string): Promise<void> {
    const list = this.byCluster.get(name);
    this.byCluster.delete(name);
    if (list) await closeAll(list);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.byCluster.keys()].map((n) => this.stopCluster(n)));
  }
}

function listen(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onErr = (e: Error) => reject(new Error(`failed to listen on ${host}:${port}: ${e.message}`));
    server.once('error', onErr);
    server.listen(port, host, () => {
      server.off('error', onErr);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}

async function closeAll(list: Closable[]): Promise<void> {
  await Promise.all(
    list.map(
      (l) =>
        new Promise<void>((resolve) => {
          l.server.close(() => resolve());
          l.destroyAll();
        }),
    ),
  );
}
