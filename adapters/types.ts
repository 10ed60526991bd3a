// Contracts of the thin clients that reach the external systems (spec §2).
// Implementations: tiup.ts (execa → `tiup cluster …`), br.ts (execa → `tiup br:<ver> …`),
// tidb-sql.ts (mysql2 → TiDB), ticdc.ts (HTTP → TiCDC OpenAPI v2).

/** Cancellation and streaming hooks shared by every long tool run. */
export interface RunOptions {
  /** Aborting kills the whole process group of the tool. */
  signal?: AbortSignal;
  /** Every output line, as it arrives (for heartbeats and logs). */
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  timeoutMs?: number;
}

/** `tiup cluster list --format json` → clusters[] */
export interface TiupClusterListEntry {
  name: string;
  user: string;
  version: string;
  path: string;
  private_key: string;
}

/** `tiup cluster display <name> --format json` */
export interface TiupDisplay {
  cluster_meta: {
    cluster_type: string;
    cluster_name: string;
    cluster_version: string;
    deploy_user: string;
    ssh_type?: string;
    tls_enabled: boolean;
    dashboard_url?: string;
    grafana_urls?: string[];
  };
  instances: TiupDisplayInstance[];
}

export interface TiupDisplayInstance {
  id: string; // "host:port"
  role: string; // pd, tikv, tidb, tiflash, cdc, prometheus, grafana, alertmanager
  host: string;
  ports: string; // "2379/2380"
  os_arch: string;
  status: string; // "Up", "Up|L", "Up|L|UI", "Down", "N/A", ...
  data_dir?: string;
  deploy_dir?: string;
  ComponentName: string;
  Port: number;
}

/** Raised when a tool exits non-zero. `stderrTail`/`stdoutTail` are the last lines (no secrets are passed on argv). */
export class ToolError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | undefined,
    readonly stdoutTail: string,
    readonly stderrTail: string,
    /** tiup-cluster's `{"exit_code":N,"error":"..."}` stderr line when present. */
    readonly toolError?: string,
  ) {
    super(message);
    this.name = 'ToolError';
  }
}

export interface TiupClient {
  /** $TIUP_HOME/storage/cluster/clusters/<name> — where meta.yaml and ssh/ keys live. */
  clusterDir(name: string): string;
  list(opts?: RunOptions): Promise<TiupClusterListEntry[]>;
  /** Writes the topology to a temp file and runs `tiup cluster deploy <name> <version> <file> --user <u> -i <key> --yes`. */
  deploy(name: string, version: string, topologyYaml: string, opts?: RunOptions): Promise<void>;
  start(name: string, opts?: RunOptions): Promise<void>;
  stop(name: string, opts?: RunOptions): Promise<void>;
  display(name: string, opts?: RunOptions): Promise<TiupDisplay>;
  destroy(name: string, o?: { force?: boolean } & RunOptions): Promise<void>;
  showConfig(name: string, opts?: RunOptions): Promise<string>;
  editConfig(name: string, topologyYaml: string, opts?: RunOptions): Promise<void>;
  reload(name: string, o?: { roles?: string[]; nodes?: string[]; skipRestart?: boolean } & RunOptions): Promise<void>;
  /** `tiup cluster push <name> <local> <remote> [-N node]` — used by buildLogConfig. */
  push(name: string, localPath: string, remotePath: string, o?: { nodes?: string[] } & RunOptions): Promise<void>;
}

/**
 * A cluster's TLS client material on the control host: TiUP's CA and client pair
 * ($TIUP_HOME/storage/cluster/clusters/<name>/tls/ca.crt, client.crt, client.pem).
 */
export interface TlsFiles {
  caPath: string;
  certPath: string;
  keyPath: string;
}

/** One `[progress]` sample parsed from BR's output. */
export interface BrProgressLine {
  step: string;
  percent: number;
}

export interface BrRunResult {
  backupTs: string; // TSO as a decimal string (64-bit)
  sizeBytes: number; // "Size" / "total-kv-size" of the summary, bytes
  summary: string; // the summary line
}

export interface BrClient {
  /** `tiup br:<version> backup full --pd <pd> --storage <uri> [--ratelimit N]` */
  backupFull(a: {
    version: string;
    pd: string;
    storage: string;
    rateLimitMiBps?: number;
    /** A TLS cluster's material: `--ca --cert --key`. */
    tls?: TlsFiles;
    onProgress?: (p: BrProgressLine) => void;
  } & RunOptions): Promise<BrRunResult>;
  /** `tiup br:<version> restore full --pd <pd> --storage <uri> [--with-sys-table=…]` */
  restoreFull(a: {
    version: string;
    pd: string;
    storage: string;
    withSysTable?: boolean;
    tls?: TlsFiles;
    onProgress?: (p: BrProgressLine) => void;
  } & RunOptions): Promise<BrRunResult>;
  /** `tiup br:<version> validate decode --field=end-version --storage <uri>`; undefined when no complete backup is there. */
  decodeEndVersion(a: { version: string; storage: string } & RunOptions): Promise<string | undefined>;
}

export interface TidbEndpoint {
  host: string;
  port: number;
  user: string;
  password: string;
  /**
   * A TLS cluster's material. TLS is used when the server offers it, with the server verified
   * against the cluster's CA (the MySQL client's ssl-mode PREFERRED, verifying): TiUP's enable_tls
   * leaves SQL TLS to `security.ssl-cert`, so many TLS clusters serve SQL in plaintext.
   */
  tls?: TlsFiles;
}

export interface TableChecksum {
  db: string;
  table: string;
  checksum: string; // Checksum_crc64_xor
  totalKvs: number;
  totalBytes: number;
}

/** One connection-scoped session against a TiDB server. Every SQL value is a parameter or an escaped identifier. */
export interface TidbSession {
  /** The connection runs over TLS. */
  readonly secure: boolean;
  ping(): Promise<void>;
  /** `db.table` of the user tables TiCDC cannot replicate: no primary key, no unique index over NOT NULL columns. */
  tablesWithoutUniqueKey(): Promise<string[]>;
  /** Parsed `Release Version:` of `SELECT tidb_version()`. */
  version(): Promise<string>;
  getGlobalVariable(name: string): Promise<string | undefined>;
  /** Every row of mysql.global_variables (the persisted global values). */
  globalVariables(): Promise<Record<string, string>>;
  setGlobalVariable(name: string, value: string): Promise<void>;
  /** `SELECT TIDB_CURRENT_TSO()` as a decimal string. */
  currentTso(): Promise<string>;
  /** `tikv_gc_safe_point` from mysql.tidb, as TiDB prints it. */
  gcSafePoint(): Promise<string | undefined>;
  alterUserPassword(user: string, host: string, password: string): Promise<void>;
  /** CREATE USER IF NOT EXISTS …; ALTER USER … (so the password is asserted); GRANT …; FLUSH PRIVILEGES. */
  ensureUser(user: string, password: string, privileges: string[]): Promise<void>;
  listUsers(): Promise<{ user: string; host: string }[]>;
  showConfig(filter?: { type?: string; name?: string }): Promise<{ type: string; instance: string; name: string; value: string }[]>;
  /** `SET CONFIG <component> \`<name>\` = <value>`; throws if SHOW WARNINGS reports anything. */
  setConfig(component: 'tikv' | 'pd' | 'tidb' | 'tiflash', name: string, value: string | number | boolean): Promise<void>;
  /** Checksum of every user table, at `snapshotTs` (via @@tidb_snapshot) when given. */
  checksumAll(snapshotTs?: string): Promise<TableChecksum[]>;
  close(): Promise<void>;
}

export interface TidbSqlClient {
  connect(endpoint: TidbEndpoint, opts?: { connectTimeoutMs?: number }): Promise<TidbSession>;
}

export interface ChangefeedInfo {
  id: string;
  state: string; // normal, pending, warning, stopped, failed, finished, removed, error
  checkpoint_ts: string;
  checkpoint_time?: string;
  start_ts?: string;
  sink_uri?: string;
  error?: { addr?: string; code?: string; message?: string } | null;
}

/** TiCDC answered with `{"error_msg","error_code"}`. */
export class TicdcApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
    this.name = 'TicdcApiError';
  }
}

/** A TiCDC server: "host:port", or with the TLS material of its cluster (then https with a client certificate). */
export type CdcServer = string | { address: string; tls?: TlsFiles };

/** TiCDC's OpenAPI, v2 or v1 as the server's version has it (adapters/ticdc.ts). */
export interface TicdcClient {
  /** Creates a changefeed on `server`. The sink URI carries a password: never logged. */
  createChangefeed(
    server: CdcServer,
    a: { changefeedId: string; sinkUri: string; startTs: string; filterRules?: string[]; ignoreIneligibleTables?: boolean },
  ): Promise<ChangefeedInfo>;
  /** undefined only when TiCDC answers ErrChangeFeedNotExists. */
  getChangefeed(server: CdcServer, id: string): Promise<ChangefeedInfo | undefined>;
  /** Resolves once TiCDC says the changefeed does not exist (also when it never did). */
  removeChangefeed(server: CdcServer, id: string): Promise<void>;
  listChangefeeds(server: CdcServer): Promise<ChangefeedInfo[]>;
  health(server: CdcServer): Promise<boolean>;
}
