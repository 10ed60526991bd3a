// Typed client of the tiem-clone HTTP API (api/types.ts): one method per route. The CLI uses it,
// so operators need only the API's URL and a token. Every answer is TiEM's envelope
// `{code, message, data}`; a non-zero code or a non-2xx status becomes an ApiError.
import type {
  ClusterDetail,
  ClusterInfo,
  ClonePreflightData,
  CloneRequestBody,
  CreateParameterGroupBody,
  ParameterGroupInfo,
  CloneResponseData,
  Envelope,
  HostBody,
  HostInfo,
  ReconcileReport,
  RepairRecord,
  TakeoverRequestBody,
  WorkflowDetail,
  WorkflowSummary,
} from './api-types.js';
import { ApiError } from './api-error.js';

/** An error answered by the API (httpStatus > 0) or a transport failure (httpStatus 0: unreachable). */
export { ApiError };

export interface WorkflowFilter {
  sourceClusterId?: string;
  clusterId?: string;
  strategy?: string;
  status?: WorkflowSummary['status'];
  pageSize?: number;
}

/** Lists may come bare or wrapped (`{clusters: […]}`, TiEM-style pages): accept both. */
function listOf<T>(data: unknown, key: string): T[] {
  if (Array.isArray(data)) return data as T[];
  const inner = (data as Record<string, unknown> | null)?.[key];
  return Array.isArray(inner) ? (inner as T[]) : [];
}

export class ApiClient {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly token: string | undefined,
    private readonly timeoutMs = 30_000,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new ApiError(0, 10000, `cannot reach the API at ${this.base}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
    const text = await res.text();
    let envelope: Partial<Envelope<T>> | undefined;
    try {
      envelope = text ? (JSON.parse(text) as Envelope<T>) : undefined;
    } catch {
      envelope = undefined;
    }
    if (!res.ok || !envelope || (envelope.code !== undefined && envelope.code !== 0)) {
      const code = typeof envelope?.code === 'number' && envelope.code !== 0 ? envelope.code : 10000;
      const message = envelope?.message ?? (text.slice(0, 200) || res.statusText);
      throw new ApiError(res.ok ? 500 : res.status, code, message);
    }
    return envelope.data as T;
  }

  cloneCluster(body: CloneRequestBody): Promise<CloneResponseData> {
    return this.call('POST', '/api/v1/clusters/clone', body);
  }

  /** `dryRun`: the pre-flight of a clone request; nothing is created. */
  precheckClone(body: CloneRequestBody): Promise<ClonePreflightData> {
    return this.call('POST', '/api/v1/clusters/clone', { ...body, dryRun: true });
  }

  getWorkflow(workFlowId: string): Promise<WorkflowDetail> {
    return this.call('GET', `/api/v1/workflow/${encodeURIComponent(workFlowId)}`);
  }

  async listWorkflows(filter: WorkflowFilter = {}): Promise<WorkflowSummary[]> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filter)) if (v !== undefined && v !== '') q.set(k, String(v));
    const qs = q.toString();
    return listOf<WorkflowSummary>(await this.call('GET', `/api/v1/workflows${qs ? `?${qs}` : ''}`), 'workflows');
  }

  /** TiEM's workflow stop: the flow waits at its next step boundary. */
  stopWorkflow(workFlowId: string): Promise<Record<string, never>> {
    return this.call('POST', '/api/v1/workflow/stop', { workFlowId });
  }

  /** TiEM's workflow start: a stopped flow goes on. */
  startWorkflow(workFlowId: string): Promise<Record<string, never>> {
    return this.call('POST', '/api/v1/workflow/start', { workFlowId });
  }

  cancelWorkflow(workFlowId: string): Promise<{ workFlowId: string }> {
    return this.call('POST', `/api/v1/workflow/${encodeURIComponent(workFlowId)}/cancel`, {});
  }

  async listClusters(): Promise<ClusterInfo[]> {
    return listOf<ClusterInfo>(await this.call('GET', '/api/v1/clusters'), 'clusters');
  }

  getCluster(clusterId: string): Promise<ClusterDetail> {
    return this.call('GET', `/api/v1/clusters/${encodeURIComponent(clusterId)}`);
  }

  deleteCluster(clusterId: string, force = false): Promise<{ workFlowId: string; clusterId: string }> {
    return this.call('DELETE', `/api/v1/clusters/${encodeURIComponent(clusterId)}?force=${force}`);
  }

  takeoverCluster(body: TakeoverRequestBody): Promise<{ clusterId: string; workFlowId?: string }> {
    return this.call('POST', '/api/v1/clusters/takeover', body);
  }

  importHosts(hosts: HostBody[]): Promise<{ hostIds: string[] }> {
    return this.call('POST', '/api/v1/resources/hosts', { hosts });
  }

  /** TiEM's parameter group list (defaults first); `clusterVersion` a minor version, `hasDefault` 1 default / 2 custom. */
  listParameterGroups(q: { clusterVersion?: string; name?: string; hasDefault?: number; hasDetail?: boolean; pageSize?: number } = {}): Promise<ParameterGroupInfo[]> {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries({ pageSize: 1000, ...q })) if (v !== undefined && v !== '') p.set(k, String(v));
    return this.call('GET', `/api/v1/param-groups/?${p.toString()}`);
  }

  getParameterGroup(id: string): Promise<ParameterGroupInfo> {
    return this.call('GET', `/api/v1/param-groups/${encodeURIComponent(id)}`);
  }

  createParameterGroup(body: CreateParameterGroupBody): Promise<{ paramGroupId: string }> {
    return this.call('POST', '/api/v1/param-groups/', body);
  }

  async listHosts(): Promise<HostInfo[]> {
    return listOf<HostInfo>(await this.call('GET', '/api/v1/resources/hosts'), 'hosts');
  }

  runReconciler(dryRun: boolean): Promise<ReconcileReport> {
    return this.call('POST', '/api/v1/reconciler/run', { dryRun });
  }

  async listRepairs(limit?: number): Promise<RepairRecord[]> {
    return listOf<RepairRecord>(await this.call('GET', `/api/v1/reconciler/repairs${limit ? `?limit=${limit}` : ''}`), 'repairs');
  }
}
