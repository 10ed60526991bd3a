// Starts and stops the instances of clusters. A running TiDB instance has its own MySQL-protocol
// listener and a running CDC instance its own TiCDC OpenAPI server (all on the same cluster model);
// the other roles have no endpoint, only their running flag (`ClusterModel.running`).
import type http from 'node:http';
import type net from 'node:net';
import type { Simulator } from './sim.js';
import type { ClusterModel, Instance } from './model.js';
import { createMysqlServer } from './mysql-protocol.js';
import { sqlTlsOf } from './tls.js';
import { TidbSession, serverVersionString } from './sql-engine.js';
import { createCdcServer } from './cdc-api.js';

type Closable = { server: net.Server | http.Server; destroyAll: () => void };

export class ListenerManager {
  private readonly byCluster = new Map<string, Map<Instance, Closable>>();

  constructor(private readonly sim: Simulator) {}

  /** Starts the whole cluster. */
  async startCluster(c: ClusterModel): Promise<void> {
    await this.startInstances(c, c.instances);
  }

  /**
   * Starts `insts` (instances already running are left alone, like `systemctl start` of a running unit):
   * binds the TiDB and CDC endpoints and marks them running. On a bind failure closes what this call
   * opened, marks nothing and throws.
   */
  async startInstances(c: ClusterModel, insts: Instance[]): Promise<void> {
    let open = this.byCluster.get(c.name);
    if (!open) {
      open = new Map();
      this.byCluster.set(c.name, open);
    }
    const started: Instance[] = [];
    try {
      for (const inst of insts) {
        if (c.running.has(inst) || started.includes(inst)) continue;
        if (inst.role === 'tidb') {
          const server = createMysqlServer({
            serverVersion: serverVersionString(c.version),
            newSession: () => new TidbSession(this.sim, c.name, inst),
            tls: sqlTlsOf(c),
          });
          inst.port = await listen(server, inst.host, inst.port);
          open.set(inst, { server, destroyAll: () => server.destroyAll() });
        } else if (inst.role === 'cdc') {
          const server = createCdcServer(this.sim, c.name, inst);
          inst.port = await listen(server, inst.host, inst.port);
          open.set(inst, { server, destroyAll: () => server.closeAllConnections() });
        }
        started.push(inst);
      }
    } catch (e) {
      await this.closeListeners(c.name, started);
      throw e;
    }
    for (const inst of started) c.running.add(inst);
  }

  /** Stops `insts`: their endpoints close (clients get connection refused) and they are no longer running. */
  async stopInstances(c: ClusterModel, insts: Instance[]): Promise<void> {
    for (const inst of insts) c.running.delete(inst);
    await this.closeListeners(c.name, insts);
  }

  /** Stops every instance of the cluster (also when it is being forgotten). */
  async stopCluster(name: string): Promise<void> {
    const open = this.byCluster.get(name);
    this.byCluster.delete(name);
    this.sim.fleet.get(name)?.running.clear();
    if (open) await closeAll([...open.values()]);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.byCluster.keys()].map((n) => this.stopCluster(n)));
  }

  private async closeListeners(name: string, insts: Instance[]): Promise<void> {
    const open = this.byCluster.get(name);
    if (!open) return;
    const list: Closable[] = [];
    for (const inst of insts) {
      const l = open.get(inst);
      if (!l) continue;
      open.delete(inst);
      list.push(l);
    }
    await closeAll(list);
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
