// Every rule of a clone request (spec §3, TiEM validation order §1.5). Pure module: the API calls
// it synchronously and the admission activity calls it again against the source it read.
//
// Error choice, as TiEM's gin binder: a body or field of the wrong JSON type is MARSHAL_ERROR
// (10004); a well-typed value breaking a rule is PARAMETER_INVALID (10001). Both are HTTP 400.
// Every count, array and string has an upper bound (domain/limits.ts), checked before the value is
// used: array sizes before any element is looked at.

import { TiemError } from './errors.js';
import {
  MAX_COUNT_PER_PLACEMENT,
  MAX_CPU_CORES,
  MAX_DISK_CAPACITY_GB,
  MAX_ID_LENGTH,
  MAX_INSTANCE_RESOURCES,
  MAX_IP_LENGTH,
  MAX_LABEL_LENGTH,
  MAX_MEMORY_GB,
  MAX_PASSWORD_LENGTH,
  MAX_PLACEMENTS,
  MAX_REQUEST_ID_LENGTH,
  MAX_SPEC_CODE_LENGTH,
  MAX_TAG_LENGTH,
  MAX_TAGS,
  MAX_TOTAL_INSTANCES,
  MAX_ZONE_CODE_LENGTH,
  MIN_ID_LENGTH,
  MIN_PASSWORD_LENGTH,
} from './limits.js';
import {
  CLONE_STRATEGIES,
  COMPONENT_TYPES,
  CPU_ARCHITECTURES,
  type CloneClusterRequest,
  type ComponentType,
  type InstanceResource,
  type ResourcePlacement,
  type SourceFacts,
} from './types.js';
import {
  brCompatibility,
  CDC_SYNC_MIN_SOURCE_VERSION,
  compareVersions,
  parseVersion,
  tryParseVersion,
} from './version.js';

/** PD replication.max-replicas accepts only these (TiEM parameter 333). */
export const VALID_COPIES = [1, 3, 5, 7] as const;
/** Components the target must have at least one of (TiEM panicked later without them). */
export const REQUIRED_COMPONENTS: ComponentType[] = ['PD', 'TiDB', 'TiKV'];

const SPEC_CODE = /^(\d+)C(\d+)G$/;
const REQUEST_ID = new RegExp(`^[A-Za-z0-9._:-]{1,${MAX_REQUEST_ID_LENGTH}}$`);

type Json = Record<string, unknown>;

const invalid = (detail: string) => new TiemError('PARAMETER_INVALID', detail);
const marshal = (detail: string) => new TiemError('MARSHAL_ERROR', detail);

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Go's validator counts runes, not UTF-16 units. Counted in place: the string may be huge. */
function runeLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++, n++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
  }
  return n;
}

/** More than `max` runes. A rune is 1 or 2 UTF-16 units, so most strings are judged by length alone. */
function tooLong(s: string, max: number): boolean {
  return s.length > max && (s.length > 2 * max || runeLength(s) > max);
}

/** A value quoted in a message, cut short: a refused value may be as large as the body. */
function shown(v: string): string {
  return v.length > 64 ? `${v.slice(0, 64)}…` : v;
}

function optionalOfType<T>(obj: Json, field: string, type: 'string' | 'number' | 'boolean', path = field): T | undefined {
  const v = obj[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== type) throw marshal(`${path} must be a ${type}`);
  return v as T;
}

function optionalString(obj: Json, field: string, max: number, path = field): string | undefined {
  const v = optionalOfType<string>(obj, field, 'string', path);
  if (v !== undefined && tooLong(v, max)) throw invalid(`${path} must be at most ${max} characters`);
  return v;
}

function atMost(path: string, value: number, max: number, unit = ''): void {
  if (value > max) throw invalid(`${path} must be at most ${max}${unit}, got ${value}`);
}

function requiredString(obj: Json, field: string, min: number, max: number): string {
  const v = optionalOfType<string>(obj, field, 'string');
  if (v === undefined || v === '') throw invalid(`${field} is required`);
  const n = runeLength(v);
  if (n < min || n > max) throw invalid(`${field} must be ${min}-${max} characters, got ${n}`);
  return v;
}

function oneOf<T extends string>(field: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw invalid(`${field} "${shown(value)}" is invalid, allowed values: ${allowed.join(', ')}`);
  }
  return value as T;
}

/** '4C8G' → { cpuCores: 4, memoryGb: 8 }. Throws PARAMETER_INVALID (TiEM panicked instead). */
export function parseSpecCode(specCode: string): { cpuCores: number; memoryGb: number } {
  const m = typeof specCode === 'string' ? SPEC_CODE.exec(specCode) : null;
  const cpuCores = m ? Number(m[1]) : 0;
  const memoryGb = m ? Number(m[2]) : 0;
  if (!m || cpuCores <= 0 || memoryGb <= 0) {
    throw invalid(`specCode "${shown(String(specCode))}" is invalid, expected <cpu>C<memory>G such as 4C8G`);
  }
  return { cpuCores, memoryGb };
}

/** TiEM keeps only the text after the last ',' of a zoneCode ("Region1,Zone1_1" → "Zone1_1"). */
export function zoneOf(zoneCode: string): string {
  return zoneCode.slice(zoneCode.lastIndexOf(',') + 1);
}

function validatePlacement(raw: unknown, path: string): ResourcePlacement {
  if (!isObject(raw)) throw marshal(`${path} must be an object`);
  const zoneCode = optionalString(raw, 'zoneCode', MAX_ZONE_CODE_LENGTH, `${path}.zoneCode`);
  if (!zoneCode || zoneOf(zoneCode).trim() === '') throw invalid(`${path}.zoneCode is required`);
  const specCode = optionalString(raw, 'specCode', MAX_SPEC_CODE_LENGTH, `${path}.specCode`);
  if (!specCode) throw invalid(`${path}.specCode is required`);
  const spec = parseSpecCode(specCode);
  atMost(`${path}.specCode CPU cores`, spec.cpuCores, MAX_CPU_CORES);
  atMost(`${path}.specCode memory`, spec.memoryGb, MAX_MEMORY_GB, ' GB');
  const count = optionalOfType<number>(raw, 'count', 'number', `${path}.count`);
  if (count === undefined || !Number.isInteger(count) || count <= 0) {
    throw invalid(`${path}.count must be a positive integer`);
  }
  // prepareResource builds one object per instance
  atMost(`${path}.count`, count, MAX_COUNT_PER_PLACEMENT);
  const diskType = optionalString(raw, 'diskType', MAX_LABEL_LENGTH, `${path}.diskType`);
  const diskCapacity = optionalOfType<number>(raw, 'diskCapacity', 'number', `${path}.diskCapacity`);
  if (diskCapacity !== undefined && (!Number.isInteger(diskCapacity) || diskCapacity < 0)) {
    throw invalid(`${path}.diskCapacity must be a non-negative integer`);
  }
  if (diskCapacity !== undefined) atMost(`${path}.diskCapacity`, diskCapacity, MAX_DISK_CAPACITY_GB, ' GB');
  const hostIp = optionalString(raw, 'hostIp', MAX_IP_LENGTH, `${path}.hostIp`);
  const diskId = optionalString(raw, 'diskId', MAX_ID_LENGTH, `${path}.diskId`);
  // A disk can only be pinned on a pinned host (TiEM ignored it otherwise); say so instead.
  if (diskId && !hostIp) throw invalid(`${path}.diskId requires hostIp`);
  const p: ResourcePlacement = { zoneCode, specCode, count };
  if (diskType) p.diskType = diskType;
  if (diskCapacity !== undefined) p.diskCapacity = diskCapacity;
  if (hostIp) p.hostIp = hostIp;
  if (diskId) p.diskId = diskId;
  return p;
}

function validateInstanceResources(raw: unknown): InstanceResource[] {
  if (raw === undefined || raw === null) throw invalid('resourceParameters.instanceResource is required');
  if (!Array.isArray(raw)) throw marshal('resourceParameters.instanceResource must be an array');
  if (raw.length === 0) throw invalid('resourceParameters.instanceResource is empty: parameter is invalid!');
  if (raw.length > MAX_INSTANCE_RESOURCES) {
    throw invalid(`resourceParameters.instanceResource must have at most ${MAX_INSTANCE_RESOURCES} entries, got ${raw.length}`);
  }
  // every list size before any placement is looked at
  raw.forEach((item, i) => {
    const resources = isObject(item) ? item.resource : undefined;
    if (Array.isArray(resources) && resources.length > MAX_PLACEMENTS) {
      throw invalid(`instanceResource[${i}].resource must have at most ${MAX_PLACEMENTS} placements, got ${resources.length}`);
    }
  });
  const out: InstanceResource[] = raw.map((item, i) => {
    const path = `instanceResource[${i}]`;
    if (!isObject(item)) throw marshal(`${path} must be an object`);
    const type = optionalOfType<string>(item, 'componentType', 'string', `${path}.componentType`);
    if (!type) throw invalid(`${path}.componentType is required`);
    const componentType = oneOf(`${path}.componentType`, type, COMPONENT_TYPES);
    const totalNodeCount = optionalOfType<number>(item, 'totalNodeCount', 'number', `${path}.totalNodeCount`);
    if (totalNodeCount !== undefined) atMost(`${path}.totalNodeCount`, totalNodeCount, MAX_TOTAL_INSTANCES);
    const resources = item.resource ?? [];
    if (!Array.isArray(resources)) throw marshal(`${path}.resource must be an array`);
    const r: InstanceResource = {
      componentType,
      resource: resources.map((p, j) => validatePlacement(p, `${path}.resource[${j}]`)),
    };
    if (totalNodeCount !== undefined) r.totalNodeCount = totalNodeCount;
    return r;
  });
  const total = out.reduce((sum, r) => sum + r.resource.reduce((s, p) => s + p.count, 0), 0);
  if (total > MAX_TOTAL_INSTANCES) {
    throw invalid(`resourceParameters.instanceResource places ${total} instances, at most ${MAX_TOTAL_INSTANCES} are allowed`);
  }
  for (const c of REQUIRED_COMPONENTS) {
    if (countInstances(out, c) < 1) throw invalid(`the target needs at least one ${c} instance`);
  }
  return out;
}

/** Σ count of the placements of one component. */
export function countInstances(resources: InstanceResource[], component: ComponentType): number {
  return resources
    .filter((r) => r.componentType === component)
    .reduce((sum, r) => sum + r.resource.reduce((s, p) => s + p.count, 0), 0);
}

/**
 * Field rules that need no database, first failing rule wins. Returns a clean copy holding only
 * the known fields; `copies: 0` means "the source's", as in TiEM, and is dropped.
 */
/**
 * The first string holding a NUL character, as a field path (`tags[3]`), or undefined. No name,
 * id or password of a TiDB cluster holds one, and PostgreSQL text cannot store it: refused as input.
 */
export function nulFieldOf(value: unknown, path = ''): string | undefined {
  // Iterative: a body nested 50,000 deep must not overflow the stack.
  const todo: [unknown, string][] = [[value, path]];
  while (todo.length) {
    const [v, at] = todo.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return at || 'value';
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) todo.push([v[i], `${at}[${i}]`]);
    } else if (v && typeof v === 'object') {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, child] = entries[i];
        if (k.includes('\u0000')) return at ? `${at}.<key>` : '<key>';
        todo.push([child, at ? `${at}.${k}` : k]);
      }
    }
  }
  return undefined;
}

export function nulRefusal(field: string): TiemError {
  return invalid(`${field} must not contain a NUL character`);
}

export function validateCloneRequestShape(req: unknown): CloneClusterRequest {
  if (!isObject(req)) throw marshal('request body must be a JSON object');
  const nul = nulFieldOf(req);
  if (nul) throw nulRefusal(nul);

  const sourceClusterId = requiredString(req, 'sourceClusterId', MIN_ID_LENGTH, MAX_ID_LENGTH);
  const strategy = optionalOfType<string>(req, 'cloneStrategy', 'string');
  if (!strategy) throw invalid('cloneStrategy is required');
  const cloneStrategy = oneOf('cloneStrategy', strategy, CLONE_STRATEGIES);
  const clusterName = requiredString(req, 'clusterName', MIN_ID_LENGTH, MAX_ID_LENGTH);
  const dbPassword = requiredString(req, 'dbPassword', MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH);
  const dbUser = optionalString(req, 'dbUser', MAX_LABEL_LENGTH);
  const clusterType = optionalString(req, 'clusterType', MAX_LABEL_LENGTH);
  const clusterVersion = optionalString(req, 'clusterVersion', MAX_LABEL_LENGTH);
  if (!clusterVersion) throw invalid('clusterVersion is required');
  parseVersion(clusterVersion);
  const region = requiredString(req, 'region', 1, MAX_LABEL_LENGTH);
  const arch = optionalOfType<string>(req, 'cpuArchitecture', 'string');
  if (!arch) throw invalid('cpuArchitecture is required');
  const cpuArchitecture = oneOf('cpuArchitecture', arch, CPU_ARCHITECTURES);

  const copiesRaw = optionalOfType<number>(req, 'copies', 'number');
  if (copiesRaw !== undefined && copiesRaw !== 0 && !(VALID_COPIES as readonly number[]).includes(copiesRaw)) {
    throw invalid(`copies ${copiesRaw} is invalid, allowed values: ${VALID_COPIES.join(', ')}`);
  }
  const parameterGroupID = optionalString(req, 'parameterGroupID', MAX_ID_LENGTH);
  const tagsRaw = req.tags;
  let tags: string[] | undefined;
  if (tagsRaw !== undefined && tagsRaw !== null) {
    if (!Array.isArray(tagsRaw)) throw marshal('tags must be an array of strings');
    if (tagsRaw.length > MAX_TAGS) throw invalid(`tags must have at most ${MAX_TAGS} items, got ${tagsRaw.length}`);
    if (!tagsRaw.every((t) => typeof t === 'string')) throw marshal('tags must be an array of strings');
    const long = tagsRaw.findIndex((t: string) => tooLong(t, MAX_TAG_LENGTH));
    if (long >= 0) throw invalid(`tags[${long}] must be at most ${MAX_TAG_LENGTH} characters`);
    tags = [...tagsRaw];
  }
  const tls = optionalOfType<boolean>(req, 'tls', 'boolean');
  const exclusive = optionalOfType<boolean>(req, 'exclusive', 'boolean');
  const vendor = optionalString(req, 'vendor', MAX_LABEL_LENGTH);

  const rp = req.resourceParameters;
  if (rp === undefined || rp === null) throw invalid('resourceParameters is required');
  if (!isObject(rp)) throw marshal('resourceParameters must be an object');
  const requestResourceMode = optionalString(rp, 'requestResourceMode', MAX_LABEL_LENGTH, 'resourceParameters.requestResourceMode');
  const instanceResource = validateInstanceResources(rp.instanceResource);

  const ignoreIneligibleTables = optionalOfType<boolean>(req, 'ignoreIneligibleTables', 'boolean');
  const requestId = optionalOfType<string>(req, 'requestId', 'string');
  if (requestId !== undefined && !REQUEST_ID.test(requestId)) {
    throw invalid(`requestId must be 1-${MAX_REQUEST_ID_LENGTH} characters of A-Z a-z 0-9 . _ : -`);
  }

  const out: CloneClusterRequest = {
    sourceClusterId,
    cloneStrategy,
    clusterName,
    dbPassword,
    clusterVersion,
    region,
    cpuArchitecture,
    resourceParameters: { instanceResource },
  };
  if (requestResourceMode !== undefined) out.resourceParameters.requestResourceMode = requestResourceMode;
  if (copiesRaw) out.copies = copiesRaw;
  if (parameterGroupID) out.parameterGroupID = parameterGroupID;
  if (tags !== undefined) out.tags = tags;
  if (tls !== undefined) out.tls = tls;
  if (exclusive !== undefined) out.exclusive = exclusive;
  if (vendor !== undefined) out.vendor = vendor;
  if (dbUser !== undefined) out.dbUser = dbUser;
  if (clusterType !== undefined) out.clusterType = clusterType;
  if (requestId !== undefined) out.requestId = requestId;
  if (ignoreIneligibleTables !== undefined) out.ignoreIneligibleTables = ignoreIneligibleTables;
  return out;
}

/**
 * Rules that need the source, in TiEM's order (§1.5 #5–#12) plus ours (BR compatibility, copies
 * set). Expects a request that passed validateCloneRequestShape. Returns the effective copies.
 */
export function validateCloneAgainstSource(req: CloneClusterRequest, source: SourceFacts): { copies: number } {
  const { copies, problems } = cloneRuleProblems(req, source);
  if (problems.length) throw problems[0];
  return { copies };
}

/**
 * Every rule a clone request breaks against its source, in the order TiEM checks them (the first is
 * what a clone answers; a pre-flight reports them all).
 */
export function cloneRuleProblems(req: CloneClusterRequest, source: SourceFacts): { copies: number; problems: TiemError[] } {
  const src = source.cluster;
  const problems: TiemError[] = [];
  if (!tryParseVersion(src.version)) return { copies: src.copies, problems: [invalid(`TiDB version ${src.version} format is invalid`)] };
  if (compareVersions(req.clusterVersion, src.version) < 0) {
    problems.push(new TiemError('CHECK_CLUSTER_VERSION_ERROR', 'the specified cluster version is less than source cluster version'));
  } else if (req.cloneStrategy === 'Snapshot' || req.cloneStrategy === 'CDCSync') {
    const br = brCompatibility(src.version, req.clusterVersion);
    if (!br.ok) problems.push(new TiemError('CHECK_CLUSTER_VERSION_ERROR', br.rule));
  }
  if (req.cloneStrategy === 'CDCSync') {
    if (source.isSlave) {
      problems.push(new TiemError('CLONE_SLAVE_ERROR', `cluster ${src.id} is slave, which can not be cloned by CDCSync`));
    }
    if (compareVersions(src.version, CDC_SYNC_MIN_SOURCE_VERSION) < 0) {
      problems.push(new TiemError('CHECK_CLUSTER_VERSION_ERROR', `cluster ${src.id} version must be greater than or equal to ${CDC_SYNC_MIN_SOURCE_VERSION}`));
    }
    if ((source.componentCounts.CDC ?? 0) < 1) {
      problems.push(new TiemError('CDC_NOT_FOUND', `cluster ${src.id} not found CDC, which cloned by CDCSync`));
    }
  }
  const copies = req.copies && req.copies > 0 ? req.copies : src.copies;
  if (countInstances(req.resourceParameters.instanceResource, 'TiKV') < copies) {
    problems.push(new TiemError('CLONE_TIKV_ERROR', 'the number of TiKV instances is less than the copies'));
  }
  if (!(VALID_COPIES as readonly number[]).includes(copies)) {
    problems.push(invalid(`copies ${copies} is invalid, allowed values: ${VALID_COPIES.join(', ')}`));
  }
  return { copies, problems };
}

const HTTP_STATUS: Record<number, number> = {
  10001: 400, // PARAMETER_INVALID
  10003: 404, // CLUSTER_NOT_FOUND
  10004: 400, // MARSHAL_ERROR
  20101: 400, // DUPLICATED_NAME
  20114: 409, // CLUSTER_MAINTENANCE_CONFLICT
  21301: 500, // the seed's statuses (TiEM itself answered 200, a bug)
  21302: 404,
  21303: 500,
  21304: 500,
};

/** HTTP status the API answers for a TiEM error (spec §3 table); 500 for anything unknown. */
export function httpStatusOf(err: { code: number; httpStatus?: number }): number {
  return HTTP_STATUS[err.code] ?? (err.httpStatus && err.httpStatus > 0 ? err.httpStatus : 500);
}
