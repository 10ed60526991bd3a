// Fault injection registry: "make operation X fail / hang / die, once, N times or always".

export type FaultMode = 'fail' | 'hang' | 'die';

export interface FaultSpec {
  op: string;
  cluster?: string;
  mode: FaultMode;
  times?: number | 'always';
  message?: string;
  atPercent?: number;
}

export interface Fault extends FaultSpec {
  id: string;
  remaining: number | 'always';
  hits: number;
}

export class FaultRegistry {
  private faults: Fault[] = [];
  private seq = 0;

  add(spec: FaultSpec): Fault {
    if (!spec.op || !['fail', 'hang', 'die'].includes(spec.mode)) throw new Error('fault needs op and mode fail|hang|die');
    const f: Fault = { ...spec, id: `fault-${++this.seq}`, remaining: spec.times ?? 1, hits: 0 };
    this.faults.push(f);
    return f;
  }

  clear(): void {
    this.faults = [];
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  /** Consumes one matching fault for `op` (any of the candidate names) on `cluster`, if armed. */
  take(ops: string | string[], cluster: string | undefined): Fault | undefined {
    const names = Array.isArray(ops) ? ops : [ops];
    for (const name of names) {
      const f = this.faults.find(
        (x) => x.op === name && (x.cluster === undefined || x.cluster === cluster) && (x.remaining === 'always' || x.remaining > 0),
      );
      if (!f) continue;
      f.hits++;
      if (f.remaining !== 'always') f.remaining--;
      return { ...f };
    }
    return undefined;
  }
}

export interface OperationRecord {
  op: string;
  cluster?: string;
  argv: string[];
  exitCode?: number;
  startedAt: string;
  endedAt?: string;
}

export class OperationLog {
  private records: OperationRecord[] = [];

  start(op: string, cluster: string | undefined, argv: string[]): OperationRecord {
    const r: OperationRecord = { op, cluster, argv: maskArgv(argv), startedAt: new Date().toISOString() };
    this.records.push(r);
    return r;
  }

  end(r: OperationRecord, exitCode: number): void {
    r.exitCode = exitCode;
    r.endedAt = new Date().toISOString();
  }

  list(filter: { op?: string; cluster?: string } = {}): OperationRecord[] {
    return this.records.filter((r) => (!filter.op || r.op === filter.op) && (!filter.cluster || r.cluster === filter.cluster));
  }
}

/** Storage URIs may carry credentials (s3 secret keys); never keep them in the log. */
export function maskArgv(argv: string[]): string[] {
  return argv.map((a) => a.replace(/(secret-access-key|access-key|sas-token|password)=([^&\s]+)/gi, '$1=******').replace(/(mysql:\/\/[^:/@]+:)[^@]*@/, '$1******@'));
}
