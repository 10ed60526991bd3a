// The simulator's shared context: the fleet model, faults, operation log, speed, and the background
// clock (GC rounds, write streams, changefeed replication).
import path from 'node:path';
import { Fleet, advanceGc, anyTidbServes, type ClusterModel, randomHash64 } from './model.js';
import { FaultRegistry, OperationLog } from './faults.js';
import { tickChangefeeds } from './changefeeds.js';
import type { ListenerManager } from './listeners.js';

export interface SimulatorOptions {
  stateDir: string;
  tiupHome: string;
  speed: number;
}

export class Simulator {
  readonly fleet = new Fleet();
  readonly faults = new FaultRegistry();
  readonly ops = new OperationLog();
  speed: number;
  readonly stateDir: string;
  readonly tiupHome: string;
  listeners!: ListenerManager;
  private timers: NodeJS.Timeout[] = [];
  private lastWriteTick = Date.now();

  constructor(o: SimulatorOptions) {
    this.speed = o.speed > 0 ? o.speed : 1;
    this.stateDir = path.resolve(o.stateDir);
    this.tiupHome = path.resolve(o.tiupHome);
  }

  /** Work that takes `ms` at speed 1. */
  scaled(ms: number): number {
    return ms / this.speed;
  }

  startClock(): void {
    this.timers.push(
      setInterval(() => {
        const now = Date.now();
        for (const c of this.fleet.clusters.values()) advanceGc(c, now);
      }, 1000),
      setInterval(() => this.tickWrites(), 100),
      setInterval(() => tickChangefeeds(this), 100),
    );
    for (const t of this.timers) t.unref();
  }

  stopClock(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  private tickWrites(): void {
    const now = Date.now();
    const dt = (now - this.lastWriteTick) / 1000;
    this.lastWriteTick = now;
    for (const c of this.fleet.clusters.values()) {
      const ws = c.writeStream;
      if (!ws || !anyTidbServes(c) || ws.writesPerSec <= 0) continue; // the applications write through TiDB
      ws.carry += ws.writesPerSec * dt;
      const targets = writeTargets(c);
      while (ws.carry >= 1) {
        ws.carry -= 1;
        const t = targets[ws.next++ % targets.length];
        this.fleet.appendEvent(c, t.db, t.table, ws.rowsPerWrite, ws.bytesPerWrite, randomHash64());
      }
    }
  }
}

/** The write stream touches "a few" tables: the first three, or a dedicated one. */
function writeTargets(c: ClusterModel): { db: string; table: string }[] {
  const ts = [...c.tables.values()].slice(0, 3);
  return ts.length ? ts : [{ db: 'test', table: 'sim_writes' }];
}
