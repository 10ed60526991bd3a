// TiEM error codes used by the clone (spec §3, reference tiem-clone-behavior §1.5–1.7).
// Pure module: no Node imports. Workflows turn a TiemError into an ApplicationFailure whose
// `type` is the constant name and whose first detail is { code, httpStatus }.

export const TiemErrorCode = {
  UNRECOGNIZED_ERROR: 10000,
  PARAMETER_INVALID: 10001,
  SQL_ERROR: 10002,
  CLUSTER_NOT_FOUND: 10003,
  MARSHAL_ERROR: 10004,
  CONNECT_TIDB_ERROR: 10007,
  TASK_FAILED: 9995,
  DUPLICATED_NAME: 20101,
  CLUSTER_MAINTENANCE_CONFLICT: 20114,
  CLUSTER_PARAMETER_QUERY_ERROR: 20514,
  PARAMETER_GROUP_DETAIL_ERROR: 20508,
  PARAMETER_GROUP_NAME_ALREADY_EXISTS: 20516,
  BACKUP_RECORD_QUERY_FAILED: 20604,
  CHANGE_FEED_EXECUTE_ERROR: 21206,
  CHECK_CLUSTER_VERSION_ERROR: 21301,
  CDC_NOT_FOUND: 21302,
  CLONE_TIKV_ERROR: 21303,
  CLONE_SLAVE_ERROR: 21304,
  // Ours: CDCSync of a source with tables TiCDC cannot replicate (no primary / NOT NULL unique key).
  CLONE_CDC_INELIGIBLE_TABLES: 21305,
  // Ours: a TLS source whose CA or client pair is not where TiUP keeps it.
  CLONE_TLS_MATERIAL_MISSING: 21306,
  RESOURCE_NO_ENOUGH_HOST: 30102,
  RESOURCE_NO_ENOUGH_DISK: 30103,
  RESOURCE_NO_ENOUGH_PORT: 30104,
  RESOURCE_ALLOCATE_ERROR: 30124,
  WORKFLOW_QUERY_FAILED: 40101,
  WORKFLOW_DETAIL_FAILED: 40102,
  SYSTEM_MISSING_DATA: 9899,
  USER_NOT_FOUND: 70601,
  // Ours: a tool refused in a way a retry cannot fix (e.g. BR version mismatch, CDC start-ts behind GC).
  TOOL_REJECTED: 21399,
} as const;

export type TiemErrorName = keyof typeof TiemErrorCode;

const explanations: Partial<Record<TiemErrorName, [string, number]>> = {
  UNRECOGNIZED_ERROR: ['Unrecognized error', 500],
  PARAMETER_INVALID: ['Parameter is invalid', 400],
  SQL_ERROR: ['SQL error', 500],
  CLUSTER_NOT_FOUND: ['Cluster not found', 404],
  MARSHAL_ERROR: ['Marshal error', 400],
  CONNECT_TIDB_ERROR: ['Failed to connect to TiDB', 500],
  TASK_FAILED: ['Task failed', 500],
  DUPLICATED_NAME: ['Duplicated cluster name', 400],
  CLUSTER_MAINTENANCE_CONFLICT: ['Cluster maintenance status conflict', 409],
  CLUSTER_PARAMETER_QUERY_ERROR: ['Failed to query cluster parameters', 500],
  // TiEM answers both with 500; a missing group is 404 and a taken name 409 here (the codes are TiEM's).
  PARAMETER_GROUP_DETAIL_ERROR: ['Failed to get parameter group details', 404],
  PARAMETER_GROUP_NAME_ALREADY_EXISTS: ['Parameter group name already exists', 409],
  BACKUP_RECORD_QUERY_FAILED: ['Failed to query backup record', 500],
  CHANGE_FEED_EXECUTE_ERROR: ['Failed to execute changefeed', 500],
  CHECK_CLUSTER_VERSION_ERROR: ['Cluster version not support', 500],
  CDC_NOT_FOUND: ['TiCDC not found when full clone', 404],
  CLONE_TIKV_ERROR: ['Failed to clone TiKV component', 500],
  CLONE_SLAVE_ERROR: ['Failed to clone when this cluster has been cloned', 500],
  CLONE_CDC_INELIGIBLE_TABLES: ['Tables of the source cannot be replicated by TiCDC', 400],
  CLONE_TLS_MATERIAL_MISSING: ['The TLS certificates of the source are missing on the control host', 400],
  RESOURCE_NO_ENOUGH_HOST: ['No enough host resource', 500],
  RESOURCE_NO_ENOUGH_DISK: ['No enough disk resource', 500],
  RESOURCE_NO_ENOUGH_PORT: ['No enough port resource', 500],
  RESOURCE_ALLOCATE_ERROR: ['Failed to allocate resource', 500],
  WORKFLOW_QUERY_FAILED: ['Failed to query workflow', 404], // the API answers it for an unknown workflow id
  WORKFLOW_DETAIL_FAILED: ['Workflow failed', 500],
  SYSTEM_MISSING_DATA: ['System data missing', 500],
  USER_NOT_FOUND: ['User not found', 404],
  TOOL_REJECTED: ['External tool rejected the operation', 500],
};

export interface TiemErrorDetails {
  code: number;
  httpStatus: number;
  /** For RESOURCE_ALLOCATE_ERROR: the wrapped reason code (30102/30103/30104). */
  causeCode?: number;
}

/** An error with a TiEM code. Message format follows TiEM: "[<code>]<explanation>\t<detail>". */
export class TiemError extends Error {
  readonly code: number;
  readonly httpStatus: number;
  readonly causeCode?: number;
  /** Overrides NON_RETRYABLE_ERROR_TYPES for this one error (e.g. a changefeed in the terminal failed state). */
  readonly nonRetryable?: boolean;
  constructor(
    readonly errorName: TiemErrorName,
    readonly detail: string,
    opts: { causeCode?: number; nonRetryable?: boolean } = {},
  ) {
    const [explanation, status] = explanations[errorName] ?? ['', 500];
    super(`[${TiemErrorCode[errorName]}]${explanation}\t${detail}`);
    this.name = 'TiemError';
    this.code = TiemErrorCode[errorName];
    this.httpStatus = status;
    this.causeCode = opts.causeCode;
    this.nonRetryable = opts.nonRetryable;
  }

  get details(): TiemErrorDetails {
    return { code: this.code, httpStatus: this.httpStatus, causeCode: this.causeCode };
  }
}

/** ApplicationFailure types that must never be retried (validation and tool refusals). */
export const NON_RETRYABLE_ERROR_TYPES: TiemErrorName[] = [
  'PARAMETER_INVALID',
  'MARSHAL_ERROR',
  'CLUSTER_NOT_FOUND',
  'DUPLICATED_NAME',
  'CLUSTER_MAINTENANCE_CONFLICT',
  'CHECK_CLUSTER_VERSION_ERROR',
  'CDC_NOT_FOUND',
  'CLONE_TIKV_ERROR',
  'CLONE_SLAVE_ERROR',
  'CLONE_CDC_INELIGIBLE_TABLES',
  'CLONE_TLS_MATERIAL_MISSING',
  'RESOURCE_ALLOCATE_ERROR',
  'CLUSTER_PARAMETER_QUERY_ERROR',
  'SYSTEM_MISSING_DATA',
  'TOOL_REJECTED',
  'USER_NOT_FOUND',
];

export function tiemCodeOf(name: string): number | undefined {
  return (TiemErrorCode as Record<string, number>)[name];
}
