// The thin clients of spec §2: factories plus the pure parsers their callers may reuse.
export * from './types.js';
export { runTool, ToolTimeoutError, maskSecrets, type RunToolOptions, type ToolResult } from './process.js';
export { LEASE_ENV, type LeaseTimings, type LeaseRecord, type ToolLeaseSpec } from './tool-lease.js';
export { createTiupClient, parseTiupJson, parseTiupErrorLine, type TiupClientOptions, type TiupErrorLine } from './tiup.js';
export {
  createBrClient,
  parseBrProgress,
  parseBrSummary,
  parseByteSize,
  maskStorageUri,
  type BrClientOptions,
  type BrSummary,
} from './br.js';
export { createTidbSqlClient, TidbSqlError, parseTidbVersion, escapeId } from './tidb-sql.js';
export { createTicdcClient, parseJsonKeepingBigInts, maskSinkUri, type TicdcClientOptions } from './ticdc.js';
