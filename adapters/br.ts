// BR client: `tiup br:<version> backup full | restore full | validate decode` (tidb-tooling.md §A.2).
// BR must match the cluster version, so every call names it. The storage URI may carry S3 keys:
// it is passed on argv (BR has no other way) but masked in every line we log or put in an error.
import { createHash, randomBytes } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maskStorageUri, parseBrProgress, parseBrSummary, type BrSummary } from './br-output.js';
import { runTool } from './process.js';
import type { LeaseTimings } from './tool-lease.js';
import { ToolError, type BrClient, type BrProgressLine, type BrRunResult, type RunOptions, type TlsFiles } from './types.js';

export { maskStorageUri, parseBrProgress, parseBrSummary, parseByteSize, type BrSummary } from './br-output.js';

export interface BrClientOptions {
  tiupBin: string;
  tiupHome: string;
  env?: Record<string, string>;
  /** Where BR's --log-file goes. Kept for inspection when given; a temp file deleted after the run otherwise. */
  logDir?: string;
  /** How often the BR log file is read for progress and the summary. Default 1000 ms. */
  logPollMs?: number;
  /** Timings of the per-operation leases under $TIUP_HOME/tiem-leases (tool-lease.ts). */
  lease?: LeaseTimings;
}

/** A file-name-safe digest: lease keys must not carry the storage URI (it may hold keys) or odd characters. */
const digest = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

const VERSION = /^v?\d+\.\d+\.\d+[A-Za-z0-9.+-]*$/;
const PD = /^[A-Za-z0-9][A-Za-z0-9.:\[\],_-]*$/;

function component(version: string): string {
  if (!VERSION.test(version)) throw new Error(`invalid BR version: ${JSON.stringify(version)}`);
  return `br:${version.startsWith('v') ? version : `v${version}`}`;
}

/** Follows a growing log file and hands each complete line to `onLine`. */
function followFile(path: string, pollMs: number, onLine: (line: string) => void) {
  let offset = 0;
  let partial = '';
  let reading: Promise<void> = Promise.resolve();
  const readMore = async () => {
    let fh;
    try {
      fh = await open(path, 'r');
    } catch {
      return; // not created yet
    }
    try {
      const buf = Buffer.alloc(256 * 1024);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        const lines = (partial + buf.subarray(0, bytesRead).toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) onLine(l);
      }
    } finally {
      await fh.close();
    }
  };
  const tick = () => {
    reading = reading.then(readMore, readMore);
  };
  const timer = setInterval(tick, pollMs);
  return {
    /** Reads what is left, including a last line without a newline. */
    async stop() {
      clearInterval(timer);
      tick();
      await reading.catch(() => undefined);
      if (partial) onLine(partial);
      partial = '';
    },
  };
}

/** BR's TLS flags (pingcap/tidb br/pkg/task/common.go flagCA, flagCert, flagKey). */
function tlsArgs(tls: TlsFiles | undefined): string[] {
  return tls ? ['--ca', tls.caPath, '--cert', tls.certPath, '--key', tls.keyPath] : [];
}

export function createBrClient(opts: BrClientOptions): BrClient {
  const env = { ...opts.env, TIUP_HOME: opts.tiupHome };
  const redactFor = (storage: string) => {
    const masked = maskStorageUri(storage);
    return (line: string) => (storage && line.includes(storage) ? line.split(storage).join(masked) : line);
  };

  async function runFull(
    kind: 'backup' | 'restore',
    args: string[],
    a: { version: string; pd: string; storage: string; onProgress?: (p: BrProgressLine) => void } & RunOptions,
  ): Promise<BrRunResult> {
    // One backup into one storage location, one restore into one cluster (named by its PD endpoints).
    const target = kind === 'backup' ? a.storage : a.pd.split(',').map((s) => s.trim()).filter(Boolean).sort().join(',');
    const lease = { ...opts.lease, dir: join(opts.tiupHome, 'tiem-leases'), key: `br-${kind}-${digest(target)}` };
    const logFile = join(opts.logDir ?? tmpdir(), `br-${kind}-${Date.now()}-${randomBytes(4).toString('hex')}.log`);
    let summary: BrSummary | undefined;
    // BR prints progress and its summary on the console or into the log file depending on version
    // and terminal: watch both.
    const inspect = (line: string) => {
      const p = parseBrProgress(line);
      if (p) a.onProgress?.(p);
      const s = parseBrSummary(line);
      if (s && s.kind === kind) summary = s;
    };
    const follower = followFile(logFile, opts.logPollMs ?? 1000, inspect);
    try {
      await runTool(opts.tiupBin, [component(a.version), kind, 'full', ...args, '--log-file', logFile], {
        env,
        signal: a.signal,
        timeoutMs: a.timeoutMs,
        displayName: `br ${kind} full`,
        redact: redactFor(a.storage),
        lease,
        onLine: (stream, line) => {
          inspect(line);
          a.onLine?.(stream, line);
        },
      });
    } finally {
      await follower.stop();
      if (!opts.logDir) await rm(logFile, { force: true });
    }
    // BR exited 0. BackupTS missing from the summary (older BR restore, or the summary went
    // elsewhere): backupmeta is the authority anyway.
    const backupTs =
      summary?.backupTs ?? (await brClient.decodeEndVersion({ version: a.version, storage: a.storage, signal: a.signal }));
    if (!backupTs) {
      throw new ToolError(`br ${kind} full succeeded but no BackupTS could be read from ${maskStorageUri(a.storage)}`, 0, '', '');
    }
    return { backupTs, sizeBytes: summary?.sizeBytes ?? 0, summary: summary?.line ?? '' };
  }

  const brClient: BrClient = {
    async backupFull(a) {
      if (!PD.test(a.pd)) throw new Error(`invalid PD address: ${JSON.stringify(a.pd)}`);
      const args = ['--pd', a.pd, '--storage', a.storage, ...tlsArgs(a.tls)];
      if (a.rateLimitMiBps !== undefined) {
        if (!Number.isInteger(a.rateLimitMiBps) || a.rateLimitMiBps <= 0) {
          throw new Error(`invalid BR rate limit: ${a.rateLimitMiBps}`);
        }
        args.push('--ratelimit', String(a.rateLimitMiBps));
      }
      return runFull('backup', args, a);
    },

    async restoreFull(a) {
      if (!PD.test(a.pd)) throw new Error(`invalid PD address: ${JSON.stringify(a.pd)}`);
      const args = ['--pd', a.pd, '--storage', a.storage, ...tlsArgs(a.tls)];
      if (a.withSysTable !== undefined) args.push(`--with-sys-table=${a.withSysTable}`);
      return runFull('restore', args, a);
    },

    async decodeEndVersion(a) {
      let stdout: string;
      try {
        ({ stdout } = await runTool(
          opts.tiupBin,
          [component(a.version), 'validate', 'decode', '--field=end-version', '--storage', a.storage],
          {
            env,
            signal: a.signal,
            onLine: a.onLine,
            timeoutMs: a.timeoutMs,
            displayName: 'br validate decode',
            redact: redactFor(a.storage),
          },
        ));
      } catch (e) {
        // A non-zero exit means no readable backupmeta there; spawn failures, timeouts and aborts are real errors.
        if (e instanceof ToolError && e.exitCode !== undefined) return undefined;
        throw e;
      }
      const last = stdout.split('\n').map((l) => l.trim()).filter(Boolean).pop();
      return last && /^[1-9]\d*$/.test(last) ? last : undefined;
    },
  };
  return brClient;
}
