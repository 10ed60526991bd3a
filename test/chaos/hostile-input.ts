// Chaos suite, matrix "hostile input": requests generated from the OpenAPI document (fast-check)
// plus hand-written ones (hostile-input-cases.ts), sent to the operations that are safe to fuzz on
// a live stack. Every answer must be TiEM's envelope, a 4xx for bad input, never an undocumented
// 5xx, never a hang; and afterwards nothing may be left behind (cluster rows, locks, allocations,
// GC holds, hosts, repairs, running flows).
//
// Why it is safe to run against a live stack: the clone's source is locked by a hung clone (so a
// request that passes every check meets 20114 and nothing is admitted), takeover names and DELETE
// ids never name a known cluster, the reconciler only gets dryRun:true or bodies that break a rule,
// and host imports always break a rule that does not depend on a regex dialect.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { newClusterId } from '../../client/clone.js';
import type { MetadataStore } from '../../metadata/types.js';
import { handWrittenCases, type CaseKit } from './hostile-input-cases.js';

export interface MatrixResult {
  matrix: string;
  cases: number;
  survived: number;
  violations: string[];
  failures: { name: string; detail: string; workflowId?: string }[];
}

export interface HostileInputContext {
  apiUrl: string; // base URL of a running API server
  token: string; // bearer token
  /** A source cluster that exists and whose maintenance lock is held by a running (hung) clone: a request that passes every check meets 20114 on it, so no clone is ever admitted. */
  lockedSourceId: string;
  store: MetadataStore; // metadata/types.ts — to check for orphan rows and locks
  cases: number; // generated requests (a few thousand in the full run, a few hundred in CI)
  seed?: number;
}

// --- requests and what they must get ----------------------------------------------------------

/** What a request must get, beyond the rules every answer follows (judge()). */
export type Expectation =
  /** Must not succeed: any 4xx (or a documented coded 5xx), never a 2xx. */
  | { kind: 'rejected' }
  /** Broke a rule of the document: 400/413/431 with 10001 or 10004. */
  | { kind: 'invalid'; issues?: string }
  /** One of these codes (and statuses, when given). */
  | { kind: 'codes'; codes: number[]; statuses?: number[] }
  /** A harmless read: success allowed. */
  | { kind: 'read' }
  /** The reconciler: 200 with data.dryRun === true, nothing else. */
  | { kind: 'dryRun' }
  /** The reconciler, sent in a form it may refuse: refused, or a dry run. */
  | { kind: 'dryRunIfAccepted' };

export interface HostileRequest {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path and query, already percent-encoded (sent as is). */
  path: string;
  body?: string | Buffer;
  /** Content-Type header; none when undefined. */
  contentType?: string;
  /** Extra headers (e.g. Content-Encoding). */
  headers?: Record<string, string>;
  /** Authorization header: undefined → `Bearer <token>`, null → none. */
  auth?: string | null;
  /** Send the body chunked, without Content-Length. */
  chunked?: boolean;
  expect: Expectation;
  /** Secrets of the request that must never come back in an answer. */
  secrets?: string[];
  workflowId?: string;
  /** The operation, for the case name (the path of a generated request can be anything). */
  op?: string;
}

interface Answer {
  status?: number;
  contentType?: string;
  text: string;
  ms: number;
  error?: string;
}

// --- JSON values with holes and raw numbers ---------------------------------------------------

/** A property left out of an object. */
export const OMIT: unique symbol = Symbol('omit');
/** A JSON number written verbatim (1e999, -0, 9007199254740993), which JSON.stringify cannot write. */
export class RawJson {
  constructor(readonly text: string) {}
}
const raw = (text: string) => new RawJson(text);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof RawJson);

/** An own property even for "__proto__" (plain assignment would set the prototype instead). */
function put(o: Obj, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

export function toJson(v: unknown): string {
  if (v instanceof RawJson) return v.text;
  if (Array.isArray(v)) return `[${v.map((x) => (x === OMIT ? 'null' : toJson(x))).join(',')}]`;
  if (isObj(v)) {
    const parts: string[] = [];
    for (const k of Object.keys(v)) if (v[k] !== OMIT) parts.push(`${JSON.stringify(k)}:${toJson(v[k])}`);
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** Deep copy that keeps RawJson and own "__proto__" keys. */
function copy<T>(v: T): T {
  if (Array.isArray(v)) return v.map(copy) as T;
  if (isObj(v)) {
    const o: Obj = {};
    for (const k of Object.keys(v)) put(o, k, copy(v[k]));
    return o as T;
  }
  return v;
}

/** Code points, as JSON Schema, TypeBox and the domain validator count string length. */
const cpLen = (s: string) => Array.from(s).length;

/** Pads (x) or cuts a string to [min, max] code points. */
export function fitLength(s: string, min: number, max: number): string {
  const cps = Array.from(s);
  while (cps.length < min) cps.push('x');
  return cps.slice(0, max).join('');
}

/** Lone surrogates → U+FFFD: they can go into a JSON body, not into a percent-encoded URL. */
const wellFormed = (s: string) => s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
export const enc = (s: string) => encodeURIComponent(wellFormed(s));

// --- the OpenAPI document -----------------------------------------------------------------------

export interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  $ref?: string;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  additionalProperties?: boolean | Schema;
}

interface Operation {
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  parameters?: { in: string; name: string; required?: boolean; schema: Schema }[];
}

export interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

function deref(s: Schema, doc: OpenApiDoc): Schema {
  for (let i = 0; s.$ref && i < 16; i++) {
    const name = s.$ref.split('/').pop()!;
    const target = doc.components?.schemas?.[name];
    if (!target) throw new Error(`unresolved $ref ${s.$ref}`);
    s = target;
  }
  return s;
}

function operation(doc: OpenApiDoc, method: string, path: string): Operation {
  const op = doc.paths[path]?.[method];
  if (!op) throw new Error(`the OpenAPI document has no ${method.toUpperCase()} ${path}`);
  return op;
}

function bodySchemaOf(doc: OpenApiDoc, method: string, path: string): Schema {
  const s = operation(doc, method, path).requestBody?.content?.['application/json']?.schema;
  if (!s) throw new Error(`${method.toUpperCase()} ${path} has no JSON request body in the OpenAPI document`);
  return s;
}

function paramsOf(doc: OpenApiDoc, method: string, path: string, where: 'path' | 'query') {
  return (operation(doc, method, path).parameters ?? []).filter((p) => p.in === where);
}

// --- the oracle: does a value break a rule of the document? -----------------------------------

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

interface Issue {
  path: string;
  keyword: string;
}

function typeOk(t: string, v: unknown): boolean {
  switch (t) {
    case 'string':
      return typeof v === 'string';
    // JSON.parse turns 1e999 into Infinity; counted as a number so bounds decide (conservative)
    case 'number':
      return typeof v === 'number' && !Number.isNaN(v);
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    case 'array':
      return Array.isArray(v);
    case 'object':
      return isObj(v);
    default:
      return true;
  }
}

/** The rules of `s` that the parsed JSON value `v` breaks (the subset of JSON Schema our document uses). */
export function schemaIssues(s: Schema, v: unknown, doc: OpenApiDoc, path = ''): Issue[] {
  s = deref(s, doc);
  if (s.anyOf) {
    const each = s.anyOf.map((b) => schemaIssues(b, v, doc, path));
    if (each.some((e) => e.length === 0)) return [];
    // the branch that came closest tells which rule it was
    return [{ path, keyword: 'anyOf' }, ...each.reduce((a, b) => (b.length < a.length ? b : a))];
  }
  if (s.enum && !s.enum.some((e) => e === v)) return [{ path, keyword: 'enum' }];
  if ('const' in s && s.const !== v) return [{ path, keyword: 'const' }];
  const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
  if (types.length && !types.some((t) => typeOk(t, v))) return [{ path, keyword: 'type' }];
  const out: Issue[] = [];
  if (typeof v === 'string') {
    const n = cpLen(v);
    if (s.minLength !== undefined && n < s.minLength) out.push({ path, keyword: 'minLength' });
    if (s.maxLength !== undefined && n > s.maxLength) out.push({ path, keyword: 'maxLength' });
    if (s.pattern !== undefined && !new RegExp(s.pattern).test(v)) out.push({ path, keyword: 'pattern' });
    if (s.format === 'ipv4' && !IPV4.test(v)) out.push({ path, keyword: 'format' });
  }
  if (typeof v === 'number') {
    if (s.minimum !== undefined && !(v >= s.minimum)) out.push({ path, keyword: 'minimum' });
    if (s.maximum !== undefined && !(v <= s.maximum)) out.push({ path, keyword: 'maximum' });
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) out.push({ path, keyword: 'minItems' });
    if (s.maxItems !== undefined && v.length > s.maxItems) out.push({ path, keyword: 'maxItems' });
    if (s.items) v.forEach((x, i) => out.push(...schemaIssues(s.items!, x, doc, `${path}[${i}]`)));
  }
  if (isObj(v)) {
    for (const k of s.required ?? []) if (!Object.prototype.hasOwnProperty.call(v, k)) out.push({ path: `${path}.${k}`, keyword: 'required' });
    for (const k of Object.keys(v)) {
      const ps = s.properties?.[k];
      if (ps) out.push(...schemaIssues(ps, v[k], doc, `${path}.${k}`));
      else if (s.additionalProperties === false) out.push({ path: `${path}.${k}`, keyword: 'additionalProperties' });
    }
  }
  return out;
}

/** Issues whose verdict cannot depend on a regex or format dialect: what we rely on before sending to a route that writes. */
const DIALECT_FREE = new Set(['type', 'required', 'minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems', 'enum', 'const', 'additionalProperties']);
const dialectFree = (issues: Issue[]) => issues.some((i) => DIALECT_FREE.has(i.keyword));
const describeIssues = (issues: Issue[]) =>
  issues
    .slice(0, 3)
    .map((i) => `${i.path.replace(/^\./, '') || 'body'} ${i.keyword}`)
    .join(', ');

// --- the schema → fast-check converter ----------------------------------------------------------

type Arb = fc.Arbitrary<unknown>;

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** Shell and SQL metacharacters, one code point each (multi-character ones are in TOKENS). */
const META = [...'\'";$()`|&<>-/*\\%_{}[]!#~^=+,.:?@ ', '\t', '\n', '\r'];
/** NUL, RTL override and marks, zero-width, BOM, line separator, combining mark, astral, non-characters. */
const UNICODE = ['\u0000', '\u202E', '\u200F', '\u200B', '\uFEFF', '\u2028', 'ع', 'ש', 'é', '\u0301', '😀', '𝕏', '𠜎', '\uFFFF', '\u007F', '\u001B', 'İ', 'ß'];

/** Whole hostile strings; `marker` is a file a shell would create if one ever ran our input. */
export function hostileTokens(marker: string): string[] {
  return [
    "'; DROP TABLE clusters; --",
    '" OR "1"="1',
    "' OR '1'='1",
    "1'); SELECT sleep(10); --",
    '/* comment */',
    '$(reboot)',
    '`id`',
    '| cat /etc/passwd',
    '&& rm -rf /',
    `$(touch ${marker})`,
    `;touch ${marker};`,
    `\`touch ${marker}\``,
    '../../../../etc/passwd',
    '..\\..\\windows\\win.ini',
    '%s%s%s%n',
    '{{7*7}}',
    '${jndi:ldap://127.0.0.1/a}',
    '<script>alert(1)</script>',
    '\u202Egnp.exe',
    '😀😀😀😀',
    '\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627',
    'a\u0000b',
    'NaN',
    'Infinity',
    '-0',
    'null',
    'undefined',
    'true',
    '__proto__',
    'constructor',
    '[object Object]',
    '%00',
    '%2e%2e%2f',
    '\r\nX-Injected: 1',
    '*',
    '%',
    '_',
    '--',
    'root',
  ];
}

interface GenCtx {
  doc: OpenApiDoc;
  /** Probability that a node is deliberately broken. */
  rate: number;
  char: fc.Arbitrary<string>;
  tokens: string[];
}

function charArb(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...ALNUM) },
    { weight: 2, arbitrary: fc.constantFrom(...META) },
    { weight: 2, arbitrary: fc.constantFrom(...UNICODE) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 0x10ffff }).filter((c) => c < 0xd800 || c > 0xdfff).map((c) => String.fromCodePoint(c)) },
    // lone surrogates: valid JSON (\ud800), invalid UTF-16
    { weight: 1, arbitrary: fc.constantFrom('\uD800', '\uDFFF') },
  );
}

const alnumString = (minLength: number, maxLength: number) => fc.string({ unit: fc.constantFrom(...ALNUM), minLength, maxLength });

/** Values of every JSON type but the ones `types` allow. */
function wrongType(types: string[]): Arb {
  const all: unknown[] = ['x', '', '3', 0, 1, -1, 1.5, true, false, null, [], ['x'], [1, 2], {}, { a: 1 }];
  const wrong = all.filter((v) => !types.some((t) => typeOk(t, v) || (t === 'number' && typeof v === 'number')));
  return fc.constantFrom(...(wrong.length ? wrong : [null]));
}

function typesOf(s: Schema): string[] {
  if (s.type) return Array.isArray(s.type) ? s.type : [s.type];
  if (s.enum) return [...new Set(s.enum.map((e) => (e === null ? 'null' : typeof e)))];
  return [];
}

const extraKey = fc.oneof(alnumString(1, 12), fc.constantFrom('__proto__', 'constructor', 'prototype', 'dryRun ', 'SOURCECLUSTERID', '', '$where', 'a.b', 'x'.repeat(300)));
const extraValue: Arb = fc.oneof(fc.constantFrom(null, true, 1, -1, 'x', [], {}), alnumString(0, 8), fc.jsonValue({ maxDepth: 2 }));

/** Valid most of the time, deliberately broken with probability g.rate. */
export function arbitraryOf(s: Schema, g: GenCtx): Arb {
  s = deref(s, g.doc);
  const valid = validArb(s, g);
  const wb = Math.round(g.rate * 100);
  if (wb <= 0) return valid;
  return fc.oneof({ weight: 100 - wb, arbitrary: valid }, { weight: wb, arbitrary: brokenArb(s, g) });
}

function validArb(s: Schema, g: GenCtx): Arb {
  if (s.anyOf) return fc.oneof(...s.anyOf.map((b) => validArb(deref(b, g.doc), g)));
  if (s.enum) return fc.constantFrom(...s.enum);
  if ('const' in s) return fc.constant(s.const);
  const t = typesOf(s)[0];
  switch (t) {
    case 'string':
      return stringArb(s, g);
    case 'integer':
    case 'number': {
      const lo = s.minimum ?? -1000;
      const hi = s.maximum ?? 1_000_000;
      const ints = fc.oneof(fc.integer({ min: lo, max: Math.min(hi, lo + 16) }), fc.integer({ min: lo, max: hi }), fc.constantFrom(lo, hi));
      return t === 'integer' ? ints : fc.oneof(ints, fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true }));
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const item = arbitraryOf(s.items ?? {}, g);
      const minI = s.minItems ?? 0;
      const maxI = s.maxItems ?? 8;
      return fc.oneof(
        { weight: 6, arbitrary: fc.array(item, { minLength: minI, maxLength: Math.min(maxI, minI + 4) }) },
        // exactly at maxItems, one element repeated (cheap to build and to send)
        { weight: 1, arbitrary: item.map((x) => Array.from({ length: maxI }, () => x)) },
      );
    }
    case 'object':
      return objectArb(s, g);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function stringArb(s: Schema, g: GenCtx): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = s.maxLength ?? 64;
  if (s.format === 'ipv4') return fc.oneof(fc.ipV4(), fc.constantFrom('127.0.0.1', '0.0.0.0', '255.255.255.255'));
  if (s.pattern) {
    const re = new RegExp(s.pattern);
    return fc.stringMatching(re).filter((x) => cpLen(x) >= min && cpLen(x) <= max);
  }
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: g.char, minLength: min, maxLength: Math.min(max, min + 24) }) },
    { weight: 2, arbitrary: fc.constantFrom(...g.tokens).map((t) => fitLength(t, min, max)) },
    // exactly at maxLength, in code points (astral characters make it longer in UTF-16 and UTF-8)
    { weight: 1, arbitrary: fc.string({ unit: g.char, minLength: max, maxLength: max }) },
  );
}

function objectArb(s: Schema, g: GenCtx): fc.Arbitrary<Obj> {
  const required = new Set(s.required ?? []);
  const props = Object.entries(s.properties ?? {}).map(([k, ps]) =>
    required.has(k) ? arbitraryOf(ps, g).map((v) => [k, v] as const) : fc.tuple(fc.boolean(), arbitraryOf(ps, g)).map(([present, v]) => [k, present ? v : OMIT] as const),
  );
  // unknown fields are ignored where the schema allows them (TiEM's binder did the same)
  const someExtra = fc.array(fc.tuple(extraKey, extraValue), { minLength: 1, maxLength: 3 });
  const extras = s.additionalProperties !== false ? fc.oneof({ weight: 5, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: someExtra }) : fc.constant([]);
  return fc.tuple(fc.tuple(...props), extras).map(([entries, extra]) => {
    const o: Obj = {};
    for (const [k, v] of entries) if (v !== OMIT) put(o, k, v);
    for (const [k, v] of extra) if (!Object.prototype.hasOwnProperty.call(o, k)) put(o, k, v);
    return o;
  });
}

function brokenArb(s: Schema, g: GenCtx): Arb {
  const types = typesOf(s);
  const options: Arb[] = [wrongType(s.anyOf ? s.anyOf.flatMap((b) => typesOf(deref(b, g.doc))) : types)];
  if (s.anyOf) {
    options.push(...s.anyOf.map((b) => brokenArb(deref(b, g.doc), g)));
    return fc.oneof(...options);
  }
  if (s.enum) {
    const strings = s.enum.filter((e): e is string => typeof e === 'string');
    const nearMiss = strings.flatMap((e) => [e.toLowerCase(), e.toUpperCase(), `${e} `, ` ${e}`, `${e}\u0000`, `${e}'--`]);
    const numbers = s.enum.some((e) => typeof e === 'number') ? [2, 4, -1, 3.5, 1e9, raw('1e999'), raw('-0.0001')] : [];
    const misses = [...nearMiss, ...numbers, 'FullClone', 'RISCV', ''].filter((v) => !s.enum!.includes(v));
    options.push(fc.constantFrom(...misses), fc.string({ unit: g.char, maxLength: 12 }).filter((x) => !s.enum!.includes(x)));
    return fc.oneof(...options);
  }
  switch (types[0]) {
    case 'string': {
      const min = s.minLength ?? 0;
      const max = s.maxLength ?? 64;
      options.push(
        fc.integer({ min: max + 1, max: max * 3 + 8 }).chain((n) => fc.string({ unit: g.char, minLength: n, maxLength: n })),
        fc.constant('A'.repeat(Math.max(100_000, max + 1))),
      );
      if (min > 0) options.push(alnumString(0, min - 1));
      if (s.pattern) {
        const re = new RegExp(s.pattern);
        options.push(
          fc
            .tuple(fc.string({ unit: g.char, minLength: 1, maxLength: 16 }), fc.constantFrom(...META, ...UNICODE))
            .map(([a, m]) => `${a}${m}`)
            .filter((x) => !re.test(x)),
          fc.constantFrom(...g.tokens).filter((x) => !re.test(x)),
        );
      }
      if (s.format === 'ipv4') {
        options.push(fc.constantFrom('999.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', 'not-an-ip', '127.0.0.1; rm -rf /', '::1', '١.٢.٣.٤', ' 1.2.3.4', '1.2.3.4\n'));
      }
      break;
    }
    case 'integer':
    case 'number': {
      const out: unknown[] = [100_000_000, 2 ** 31, 2 ** 53, raw('9007199254740993'), 1e308, raw('1e999'), raw('-1e999'), -1, -2147483648];
      if (s.minimum !== undefined) out.push(s.minimum - 1, s.minimum - 0.5, raw('-0'));
      if (s.maximum !== undefined) out.push(s.maximum + 1, s.maximum + 0.5);
      if (types[0] === 'integer') out.push(1.5, 2.000001, (s.minimum ?? 0) + 0.5, raw('1.0000000000000002'));
      options.push(fc.constantFrom(...out), fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e309', '0x10', '1_000', ' 1', '١', '3'));
      break;
    }
    case 'boolean':
      options.push(fc.constantFrom('true', 'false', '1', '0', 'yes', 'TRUE', 1, 0));
      break;
    case 'array': {
      const item = arbitraryOf(s.items ?? {}, g);
      if (s.maxItems !== undefined) {
        const over = s.maxItems + 1;
        options.push(item.map((x) => Array.from({ length: over }, () => x)), fc.constant(Array.from({ length: Math.min(s.maxItems * 10, 20_000) }, () => null)));
      }
      if (s.minItems) options.push(fc.constant([]));
      options.push(fc.array(wrongType(typesOf(deref(s.items ?? {}, g.doc))), { minLength: 1, maxLength: 3 }));
      break;
    }
    case 'object': {
      const required = s.required ?? [];
      if (required.length) {
        options.push(
          fc.tuple(objectArb(s, g), fc.nat()).map(([o, i]) => {
            delete o[required[i % required.length]];
            return o;
          }),
        );
      }
      if (s.additionalProperties === false) {
        options.push(
          fc.tuple(objectArb(s, g), alnumString(1, 8)).map(([o, k]) => {
            put(o, `x${k}`, true);
            return o;
          }),
        );
      }
      break;
    }
  }
  return fc.oneof(...options);
}

// --- templates and mutation -----------------------------------------------------------------------

interface Slot {
  path: (string | number)[];
  schema: Schema;
}

/** Every place of `value` a mutation can replace: each schema property (present or not) and each array element. */
function slotsOf(s: Schema, value: unknown, doc: OpenApiDoc, path: (string | number)[] = []): Slot[] {
  s = deref(s, doc);
  if (s.anyOf) {
    const fit = s.anyOf.map((b) => deref(b, doc)).find((b) => schemaIssues(b, value, doc).length === 0);
    return fit ? slotsOf(fit, value, doc, path) : [];
  }
  const out: Slot[] = [];
  if (isObj(value) && s.properties) {
    for (const [k, ps] of Object.entries(s.properties)) {
      out.push({ path: [...path, k], schema: ps });
      if (k in value) out.push(...slotsOf(ps, value[k], doc, [...path, k]));
    }
  }
  if (Array.isArray(value) && s.items) value.forEach((x, i) => out.push({ path: [...path, i], schema: s.items! }, ...slotsOf(s.items!, x, doc, [...path, i])));
  return out;
}

function setAt(root: unknown, path: (string | number)[], v: unknown): void {
  let cur = root as Obj;
  for (const p of path.slice(0, -1)) {
    const next = (cur as Record<string | number, unknown>)[p];
    if (!isObj(next) && !Array.isArray(next)) return; // an earlier mutation replaced the parent
    cur = next as Obj;
  }
  const last = path[path.length - 1]!;
  if (v === OMIT) {
    if (Array.isArray(cur)) cur.splice(Number(last), 1);
    else delete cur[last];
  } else if (Array.isArray(cur)) cur[Number(last)] = v;
  else put(cur, String(last), v);
}

/** A known-good template with 0–3 of its places replaced by generated values (or left out). */
function mutated(template: fc.Arbitrary<Obj>, sample: Obj, s: Schema, g: GenCtx): fc.Arbitrary<Obj> {
  const slots = slotsOf(s, sample, g.doc);
  const values = slots.map((slot) => fc.oneof({ weight: 7, arbitrary: arbitraryOf(slot.schema, g) }, { weight: 1, arbitrary: fc.constant(OMIT) }));
  return fc
    .tuple(template, fc.uniqueArray(fc.nat({ max: slots.length - 1 }), { maxLength: 3 }))
    .chain(([t, picks]) =>
      fc.tuple(...picks.map((i) => values[i]!)).map((vals) => {
        const o = copy(t);
        // shallowest first: a child's replacement then lands inside its replaced parent, if the path still exists
        picks
          .map((i, n) => [slots[i]!.path, vals[n]] as const)
          .sort((a, b) => a[0].length - b[0].length)
          .forEach(([p, v]) => setAt(o, p, v));
        return o;
      }),
    );
}

// --- the generated requests -----------------------------------------------------------------------

const CLONE = '/api/v1/clusters/clone';
const TAKEOVER = '/api/v1/clusters/takeover';
const CLUSTER = '/api/v1/clusters/{id}';
const WORKFLOWS = '/api/v1/workflows';
const WORKFLOW = '/api/v1/workflow/{workFlowId}';
const RECONCILE = '/api/v1/reconciler/run';
const HOSTS = '/api/v1/resources/hosts';

/** Break rates a generated request is drawn with: most requests are valid or nearly so. */
const RATES = [
  { rate: 0, weight: 3 },
  { rate: 0.01, weight: 2 },
  { rate: 0.03, weight: 2 },
  { rate: 0.08, weight: 2 },
  { rate: 0.25, weight: 1 },
];

interface World {
  doc: OpenApiDoc;
  lockedSourceId: string;
  /** Ids and names of every cluster (and so every TiUP cluster): never a DELETE or takeover target. */
  known: Set<string>;
  kit: CaseKit;
  marker: string;
}

const isKnown = (w: World, id: unknown) => typeof id === 'string' && w.known.has(id.trim().toLowerCase());

type Draft = Omit<HostileRequest, 'name'>;

function jsonRequest(method: 'POST', path: string, body: unknown, expect: Expectation, extra: Partial<Draft> = {}): Draft {
  return { method, path, body: toJson(body), contentType: 'application/json', expect, ...extra };
}

/** Passwords long enough not to match by chance, written once in the body: must never come back. */
function secretsOf(body: unknown, json: string): string[] {
  const pw = isObj(body) ? body.dbPassword : undefined;
  return typeof pw === 'string' && pw.length >= 12 && json.split(JSON.stringify(pw).slice(1, -1)).length === 2 ? [pw] : [];
}

function cloneRequests(w: World, g: GenCtx): fc.Arbitrary<Draft> {
  const schema = bodySchemaOf(w.doc, 'post', CLONE);
  const sourceIdSchema = schema.properties?.sourceClusterId ?? { type: 'string' };
  const body = fc.oneof({ weight: 3, arbitrary: mutated(w.kit.cloneTemplate, w.kit.cloneSample, schema, g) }, { weight: 1, arbitrary: objectArb(schema, g) as Arb });
  return fc.tuple(body, fc.boolean(), arbitraryOf(sourceIdSchema, g), fc.nat(9)).map(([generated, locked, randomId, shape]) => {
    // a copy: generated values may share constants, which must not be changed in place
    const b = copy(generated);
    // half of them at the locked source (to get past validation to the admission check), the rest random ids
    if (isObj(b) && shape > 0) setAt(b, ['sourceClusterId'], locked ? w.lockedSourceId : randomId);
    const json = toJson(b);
    const issues = schemaIssues(schema, JSON.parse(json), w.doc);
    const requestId = isObj(b) && typeof b.requestId === 'string' ? b.requestId : undefined;
    return {
      method: 'POST',
      path: CLONE,
      body: json,
      contentType: 'application/json',
      // A dry run is a read: answered with its problems (200, dryRun: true) or refused by a domain rule
      // the schema does not express; either way it creates nothing (the invariants check that).
      expect: issues.length ? { kind: 'invalid', issues: describeIssues(issues) } : isObj(b) && b.dryRun === true ? { kind: 'read' } : { kind: 'rejected' },
      secrets: secretsOf(b, json),
      workflowId: requestId && !(isObj(b) && b.dryRun === true) ? `clone-${newClusterId(requestId)}` : undefined,
    } satisfies Draft;
  });
}

function takeoverRequests(w: World, g: GenCtx): fc.Arbitrary<Draft> {
  const schema = bodySchemaOf(w.doc, 'post', TAKEOVER);
  const body = fc.oneof({ weight: 3, arbitrary: mutated(w.kit.takeoverTemplate, w.kit.takeoverSample, schema, g) }, { weight: 1, arbitrary: objectArb(schema, g) as Arb });
  return fc
    .tuple(body, alnumString(6, 12))
    .map(([generated, suffix]) => {
      const b = copy(generated);
      // random names fail to be found; a generated name that is a real cluster would register it
      if (isObj(b) && isKnown(w, b.clusterName)) b.clusterName = `hostile-missing-${suffix}`;
      const json = toJson(b);
      const issues = schemaIssues(schema, JSON.parse(json), w.doc);
      const name = isObj(b) && typeof b.clusterName === 'string' ? b.clusterName : undefined;
      return jsonRequest('POST', TAKEOVER, b, issues.length ? { kind: 'invalid', issues: describeIssues(issues) } : { kind: 'rejected' }, {
        secrets: secretsOf(b, json),
        workflowId: name ? `takeover-${name}` : undefined,
      });
    });
}

/** A typed value as it goes into a URL. */
function urlText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof RawJson) return v.text;
  return toJson(v);
}

function deleteRequests(w: World, g: GenCtx): fc.Arbitrary<Draft> {
  const idSchema = paramsOf(w.doc, 'delete', CLUSTER, 'path').find((p) => p.name === 'id')?.schema ?? { type: 'string' };
  const query = paramsOf(w.doc, 'delete', CLUSTER, 'query');
  return fc
    .tuple(arbitraryOf(idSchema, g), fc.tuple(...query.map((p) => fc.tuple(fc.boolean(), arbitraryOf(p.schema, g)))))
    .filter(([id]) => !isKnown(w, urlText(id)))
    .map(([id, qs]) => {
      const q = qs
        .map(([present, v], i) => (present && v !== OMIT ? `${enc(query[i]!.name)}=${enc(urlText(v))}` : ''))
        .filter(Boolean)
        .join('&');
      // the id never names a cluster: every DELETE is refused, forced or not
      return { method: 'DELETE', path: `/api/v1/clusters/${enc(urlText(id))}${q ? `?${q}` : ''}`, expect: { kind: 'rejected' }, op: `DELETE ${CLUSTER}` } satisfies Draft;
    });
}

function getWorkflowRequests(w: World, g: GenCtx): fc.Arbitrary<Draft> {
  const idSchema = paramsOf(w.doc, 'get', WORKFLOW, 'path').find((p) => p.name === 'workFlowId')?.schema ?? { type: 'string' };
  return arbitraryOf(idSchema, g).map((id) => {
    const path = `/api/v1/workflow/${enc(urlText(id))}`;
    // An empty id is TiEM's workflow list (GET /api/v1/workflow/), a harmless read.
    if (path === '/api/v1/workflow/') return { method: 'GET', path, expect: { kind: 'read' }, op: 'GET /api/v1/workflow/' } satisfies Draft;
    return { method: 'GET', path, expect: { kind: 'rejected' }, op: `GET ${WORKFLOW}` } satisfies Draft;
  });
}

function listWorkflowRequests(w: World, g: GenCtx): fc.Arbitrary<Draft> {
  const query = paramsOf(w.doc, 'get', WORKFLOWS, 'query');
  const hostileQuery = fc.string({ unit: fc.oneof(g.char, fc.constantFrom('&', '=', '%', '%zz', '%E0%A4%A', '[]', '[0]', '+')), maxLength: 40 });
  return fc
    .tuple(fc.tuple(...query.map((p) => fc.tuple(fc.nat(2), arbitraryOf(p.schema, g)))), fc.array(fc.tuple(extraKey, fc.string({ unit: g.char, maxLength: 16 })), { maxLength: 2 }), fc.nat(9), hostileQuery)
    .map(([qs, extra, shape, rawTail]) => {
      const parts: string[] = [];
      qs.forEach(([n, v], i) => {
        if (n === 0 || v === OMIT) return;
        const k = enc(query[i]!.name);
        // arrays become repeated keys (status=a&status=b), as browsers and Go clients send them
        for (const x of Array.isArray(v) && v.length ? v : [v]) parts.push(`${k}=${enc(urlText(x))}`);
        if (n === 2 && shape === 0) parts.push(`${k}=${enc(urlText(v))}`);
      });
      for (const [k, v] of extra) parts.push(`${enc(k)}=${enc(v)}`);
      // sometimes a raw tail with bad percent-escapes, brackets and bare separators
      const tail = shape === 9 ? `&${rawTail.replace(/[^\x21-\x7e]/g, (c) => enc(c))}` : '';
      const q = parts.join('&') + tail;
      return { method: 'GET', path: `${WORKFLOWS}${q ? `?${q}` : ''}`, expect: { kind: 'read' }, op: `GET ${WORKFLOWS}` } satisfies Draft;
    });
}

function reconcilerRequests(w: World, g: GenCtx): fc.Arbitrary<Draft> {
  const schema = bodySchemaOf(w.doc, 'post', RECONCILE);
  return arbitraryOf(schema, g).map((generated) => {
    const b = copy(generated);
    let issues = schemaIssues(schema, JSON.parse(toJson(b)), w.doc);
    // a body the route accepts is made a dry run: the matrix never repairs anything for real
    if (!issues.length && isObj(b)) {
      put(b, 'dryRun', true);
      issues = schemaIssues(schema, JSON.parse(toJson(b)), w.doc);
    }
    if (!issues.length) return jsonRequest('POST', RECONCILE, b, { kind: 'dryRun' });
    if (!dialectFree(issues)) return jsonRequest('POST', RECONCILE, { dryRun: true }, { kind: 'dryRun' });
    return jsonRequest('POST', RECONCILE, b, { kind: 'invalid', issues: describeIssues(issues) });
  });
}

/** Rule breaks of a host import that hold whatever the rest of the body is. */
const HOST_BREAKS: ((b: Obj) => void)[] = [
  (b) => setAt(b, ['hosts', 0, 'cpuCores'], 0),
  (b) => setAt(b, ['hosts', 0, 'cpuCores'], 100_000_000),
  (b) => setAt(b, ['hosts', 0, 'cpuCores'], -1),
  (b) => setAt(b, ['hosts', 0, 'memory'], 1.5),
  (b) => setAt(b, ['hosts', 0, 'memory'], '64'),
  (b) => setAt(b, ['hosts', 0, 'ip'], OMIT),
  (b) => setAt(b, ['hosts', 0, 'disks'], []),
  (b) => setAt(b, ['hosts', 0, 'region'], ''),
  (b) => setAt(b, ['hosts', 0, 'arch'], 'RISCV'),
  (b) => setAt(b, ['hosts', 0, 'rack'], "'; DROP TABLE hosts; --".repeat(3)),
  (b) => setAt(b, ['hosts'], []),
  (b) => setAt(b, ['hosts'], null),
];

function hostRequests(w: World, g: GenCtx): fc.Arbitrary<Draft> {
  const schema = bodySchemaOf(w.doc, 'post', HOSTS);
  const body = fc.oneof({ weight: 3, arbitrary: mutated(w.kit.hostsTemplate, w.kit.hostsSample, schema, g) }, { weight: 1, arbitrary: objectArb(schema, g) as Arb });
  return fc.tuple(body, fc.nat(HOST_BREAKS.length - 1)).map(([generated, k]) => {
    let b = copy(generated);
    let issues = schemaIssues(schema, JSON.parse(toJson(b)), w.doc);
    // only bodies that break a rule, so nothing is ever added to the pool
    if (!dialectFree(issues)) {
      const o = isObj(b) ? b : copy(w.kit.hostsSample);
      if (!isObj(o.hosts) && !Array.isArray(o.hosts)) o.hosts = copy(w.kit.hostsSample.hosts);
      if (Array.isArray(o.hosts) && !isObj(o.hosts[0])) o.hosts[0] = copy((w.kit.hostsSample.hosts as Obj[])[0]);
      HOST_BREAKS[k]!(o);
      b = o;
      issues = schemaIssues(schema, JSON.parse(toJson(b)), w.doc);
    }
    if (!dialectFree(issues)) throw new Error(`hostile-input: a host import that breaks no rule: ${toJson(b).slice(0, 200)}`);
    return jsonRequest('POST', HOSTS, b, { kind: 'invalid', issues: describeIssues(issues) });
  });
}

/** The same JSON in a form the server may read or refuse (a BOM, a charset): never more than the JSON itself allows. */
function readAsJsonOrRefused(e: Expectation): Expectation {
  if (e.kind === 'dryRun') return { kind: 'dryRunIfAccepted' };
  return e.kind === 'read' ? e : { kind: 'rejected' };
}

/** Malformed bodies: not JSON, the wrong content type, empty, too large. */
function rawRequests(w: World, g: GenCtx): fc.Arbitrary<Draft> {
  const targets = [
    { path: CLONE, inner: cloneRequests(w, g) },
    { path: TAKEOVER, inner: takeoverRequests(w, g) },
    { path: RECONCILE, inner: reconcilerRequests(w, g) },
    { path: HOSTS, inner: hostRequests(w, g) },
  ];
  const kinds = fc.oneof(
    { weight: 3, arbitrary: fc.constant('truncated' as const) },
    { weight: 2, arbitrary: fc.constant('garbage' as const) },
    { weight: 1, arbitrary: fc.constant('empty' as const) },
    { weight: 1, arbitrary: fc.constant('none' as const) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'text/plain',
        'application/xml',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json; charset=utf-16',
        "application/json'; DROP TABLE x;--",
        'application/jsonx',
        '*/*',
      ),
    },
    { weight: 1, arbitrary: fc.constant('bom' as const) },
    { weight: 1, arbitrary: fc.constant('nonfinite' as const) },
  );
  return fc.tuple(fc.constantFrom(...targets), kinds, fc.nat(), fc.string({ unit: g.char, minLength: 1, maxLength: 40 })).chain(([t, kind, cut, junk]) =>
    t.inner.map((d): Draft => {
      const text = String(d.body ?? '');
      const base = { method: 'POST' as const, path: t.path, expect: { kind: 'rejected' } as Expectation, op: `POST ${t.path} (${kind})` };
      switch (kind) {
        case 'truncated':
          return { ...base, body: text.slice(0, cut % Math.max(1, text.length)), contentType: 'application/json' };
        case 'garbage':
          return { ...base, body: `${junk}{`, contentType: 'application/json' };
        case 'empty':
          return { ...base, body: '', contentType: 'application/json' };
        case 'none':
          return { ...base };
        case 'bom':
          // a UTF-8 BOM in front of the same JSON: either refused or read as that JSON
          return { ...d, body: `\uFEFF${text}`, op: base.op, expect: readAsJsonOrRefused(d.expect) };
        case 'nonfinite': {
          // NaN and Infinity are not JSON
          const broken = text.replace(/:(-?\d+(\.\d+)?)/, ':NaN').replace(/^{/, '{"n":Infinity,');
          return { ...base, body: broken === text ? `NaN${text}` : broken, contentType: 'application/json' };
        }
        default: {
          // the right bytes under a wrong content type; the reconciler's never a body it would run
          const json = kind.startsWith('application/json');
          if (t.path === RECONCILE) return { ...base, body: '{"dryRun":true}', contentType: kind, expect: json ? { kind: 'dryRunIfAccepted' } : base.expect };
          // a JSON type with another charset label: the bytes are still UTF-8 JSON and may be read as such
          return { ...base, body: text, contentType: kind, expect: json ? readAsJsonOrRefused(d.expect) : base.expect };
        }
      }
    }),
  );
}

function generatedRequests(w: World, marker: string): fc.Arbitrary<Draft> {
  const char = charArb();
  const tokens = hostileTokens(marker);
  const byRate = RATES.map(({ rate, weight }) => {
    const g: GenCtx = { doc: w.doc, rate, char, tokens };
    const ops = fc.oneof(
      { weight: 36, arbitrary: cloneRequests(w, g) },
      { weight: 9, arbitrary: takeoverRequests(w, g) },
      { weight: 11, arbitrary: deleteRequests(w, g) },
      { weight: 9, arbitrary: getWorkflowRequests(w, g) },
      { weight: 11, arbitrary: listWorkflowRequests(w, g) },
      { weight: 5, arbitrary: reconcilerRequests(w, g) },
      { weight: 9, arbitrary: hostRequests(w, g) },
      { weight: 10, arbitrary: rawRequests(w, g) },
    );
    return { weight, arbitrary: ops };
  });
  return fc.oneof(...byRate);
}

// --- sending ------------------------------------------------------------------------------------

const TIMEOUT_MS = 15_000;
const MAX_ANSWER_BYTES = 1024 * 1024;

function send(base: URL, agent: Agent, token: string, r: HostileRequest): Promise<Answer> {
  const started = Date.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (a: Omit<Answer, 'ms'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...a, ms: Date.now() - started });
    };
    const headers: Record<string, string | number> = { ...r.headers };
    const auth = r.auth === undefined ? `Bearer ${token}` : r.auth;
    if (auth !== null) headers.authorization = auth;
    if (r.contentType !== undefined) headers['content-type'] = r.contentType;
    const body = r.body === undefined ? undefined : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body, 'utf8');
    if (body && !r.chunked) headers['content-length'] = body.length;
    let req: ReturnType<typeof httpRequest>;
    try {
      req = httpRequest({ host: base.hostname, port: base.port, method: r.method, path: r.path, headers, agent });
    } catch (err) {
      // the client refused to send it (e.g. a character Node does not allow in a path)
      resolve({ text: '', ms: 0, error: `not sendable: ${(err as Error).message}` });
      return;
    }
    const timer = setTimeout(() => {
      finish({ text: '', error: `no answer within ${TIMEOUT_MS / 1000} s` });
      req.destroy();
    }, TIMEOUT_MS);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_ANSWER_BYTES) chunks.push(c);
      });
      res.on('end', () => finish({ status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => finish({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8'), error: `answer cut: ${err.message}` }));
    });
    // a server that answers an oversized body early may reset the upload: the answer decides, if one came
    req.on('error', (err) => setTimeout(() => finish({ text: '', error: `transport: ${err.message}` }), 250));
    if (body && r.chunked) {
      for (let i = 0; i < body.length; i += 64 * 1024) req.write(body.subarray(i, i + 64 * 1024));
      req.end();
    } else req.end(body);
  });
}

async function pool<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

// --- judging an answer ----------------------------------------------------------------------------

export interface Rules {
  /** Codes the spec answers with a 5xx (§3): the only 5xx allowed. */
  documented5xx: Set<number>;
  /** HTTP statuses the spec gives a code. */
  statusOf: Map<number, number[]>;
}

const SPEC = fileURLToPath(new URL('../../../shared/spec/clone-service.md', import.meta.url));

/** Used when the spec is not next to the repository (a CI checkout): its §3 table as of writing. */
const FALLBACK_5XX = [21301, 21303, 21304, 30124, 30102, 30103, 30104];

/**
 * Reads §3 of the spec: the error table (code → HTTP status; the 5xx rows are the documented coded
 * errors) and the "(<code> <NAME>, <status>)" of the field table. Codes outside §3 that the API
 * documents on its routes: 401 (auth), 404 (no route), 40101 (unknown workflow).
 */
export function rulesFromSpec(path = SPEC): Rules {
  const statusOf = new Map<number, number[]>([
    [401, [401]],
    [404, [404]],
    [40101, [404]],
    // 413 answers an oversized body, 431 oversized headers or URL, with 10001 (api/errors.ts)
    [10001, [400, 413, 431]],
  ]);
  const add = (code: number, status: number) => statusOf.set(code, [...new Set([...(statusOf.get(code) ?? []), status])]);
  const documented5xx = new Set<number>();
  if (!existsSync(path)) {
    for (const c of FALLBACK_5XX) {
      documented5xx.add(c);
      add(c, 500);
    }
    return { documented5xx, statusOf };
  }
  const text = readFileSync(path, 'utf8');
  const section = text.slice(text.indexOf('## 3.'), text.indexOf('## 4.'));
  for (const m of section.matchAll(/\((\d{5}) [A-Z_]+, (\d{3})\)/g)) add(Number(m[1]), Number(m[2]));
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // | condition | code | constant | HTTP |
    if (cells.length < 6 || !/^\d{3}/.test(cells[4] ?? '')) continue;
    const status = Number(cells[4]!.slice(0, 3));
    for (const m of cells[2]!.matchAll(/\d{5}/g)) {
      add(Number(m[0]), status);
      if (status >= 500) documented5xx.add(Number(m[0]));
    }
  }
  return { documented5xx, statusOf };
}

const short = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);

/** Control characters escaped, so a report of an echoed hostile value stays one readable line. */
const printable = (s: string) => s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** Every rule an answer breaks; none when the case survived. */
export function judge(r: HostileRequest, a: Answer, rules: Rules): string[] {
  if (a.status === undefined) return [a.error ?? 'no answer'];
  const out: string[] = [];
  const status = a.status;
  let body: unknown;
  try {
    body = JSON.parse(a.text);
  } catch {
    return [`HTTP ${status} with a body that is not JSON: ${JSON.stringify(short(a.text, 200))}`];
  }
  if (!isObj(body) || !Number.isInteger(body.code) || typeof body.message !== 'string' || !('data' in body)) {
    return [`HTTP ${status} without the {code, message, data} envelope: ${short(a.text, 200)}`];
  }
  if (!/^application\/json/.test(a.contentType ?? '')) out.push(`envelope served as ${a.contentType || 'no content type'}`);
  const code = body.code as number;
  const ok = status >= 200 && status < 300;
  if (status >= 500 && !rules.documented5xx.has(code)) out.push(`HTTP ${status} with code ${code}, not a documented coded error: ${short(body.message as string, 160)}`);
  const spec = rules.statusOf.get(code);
  if (spec && !spec.includes(status)) out.push(`code ${code} answered with HTTP ${status}, the spec says ${spec.join('/')}`);
  if (ok !== (code === 0)) out.push(`HTTP ${status} with code ${code}`);
  if (!ok) {
    if (!isObj(body.data) || Object.keys(body.data).length) out.push(`error envelope with data ${short(JSON.stringify(body.data), 120)}`);
    if (!(body.message as string).length) out.push('error envelope without a message');
  }
  if (/node_modules|\n\s+at |\bat [\w.<>]+ \(/.test(a.text)) out.push('the answer shows a stack trace');
  for (const s of r.secrets ?? []) if (a.text.includes(s) || a.text.includes(JSON.stringify(s).slice(1, -1))) out.push('the answer repeats the dbPassword');
  const e = r.expect;
  switch (e.kind) {
    case 'rejected':
      if (ok) out.push(`accepted: HTTP ${status} ${short(JSON.stringify(body.data), 200)}`);
      break;
    case 'invalid':
      if (![400, 413, 431].includes(status) || ![10001, 10004].includes(code)) {
        out.push(`breaks ${e.issues ?? 'a rule'} but was answered HTTP ${status} code ${code}: ${short(body.message as string, 160)}`);
      }
      break;
    case 'codes':
      if (!e.codes.includes(code) || (e.statuses && !e.statuses.includes(status))) {
        out.push(`expected code ${e.codes.join('/')}${e.statuses ? ` HTTP ${e.statuses.join('/')}` : ''}, got HTTP ${status} code ${code}: ${short(body.message as string, 160)}`);
      }
      break;
    case 'dryRunIfAccepted':
      if (ok && (!isObj(body.data) || body.data.dryRun !== true)) out.push(`the reconciler ran for real: dryRun=${isObj(body.data) ? String(body.data.dryRun) : '?'}`);
      break;
    case 'dryRun':
      if (status !== 200 || !isObj(body.data) || body.data.dryRun !== true) {
        out.push(`a dry run answered HTTP ${status} code ${code} dryRun=${isObj(body.data) ? String(body.data.dryRun) : '?'}`);
      }
      break;
    case 'read':
      break;
  }
  return out;
}

// --- what must not change ---------------------------------------------------------------------

interface Snapshot {
  clusters: Map<string, string>;
  allocations: Set<string>;
  gcHolds: Set<string>;
  hosts: Set<string>;
  repairs: number;
}

async function snapshot(store: MetadataStore): Promise<Snapshot> {
  const clusters = new Map<string, string>();
  for (const c of await store.listClusters()) {
    const { id, name, status, maintenanceStatus, maintenanceHolder, version, updatedAt } = c;
    clusters.set(id, JSON.stringify({ name, status, maintenanceStatus, maintenanceHolder, version, updatedAt }));
  }
  return {
    clusters,
    allocations: new Set((await store.listAllocationHeaders()).map((h) => `${h.requestId} held by ${h.holderId}`)),
    gcHolds: new Set((await store.listGcHolds({ active: true })).map((h) => `${h.sourceClusterId} held by ${h.holder} (original ${h.original})`)),
    hosts: new Set((await store.listHosts()).map((h) => `${h.id} ${h.ip}`)),
    repairs: (await store.listRepairs({ limit: 1000 })).length,
  };
}

function setDiff(name: string, before: Set<string>, after: Set<string>): string[] {
  return [...[...after].filter((x) => !before.has(x)).map((x) => `new ${name}: ${x}`), ...[...before].filter((x) => !after.has(x)).map((x) => `${name} gone: ${x}`)];
}

function compare(before: Snapshot, after: Snapshot): { name: string; problems: string[] }[] {
  const clusters: string[] = [];
  for (const [id, row] of after.clusters) {
    const was = before.clusters.get(id);
    if (!was) clusters.push(`orphan cluster row ${id}: ${row}`);
    else if (was !== row) clusters.push(`cluster ${id} changed: ${was} → ${row}`);
  }
  for (const id of before.clusters.keys()) if (!after.clusters.has(id)) clusters.push(`cluster ${id} gone (deleted?)`);
  return [
    { name: 'invariant: no orphan or changed cluster rows, maintenance status and holder unchanged', problems: clusters },
    { name: 'invariant: no new or released allocations', problems: setDiff('allocation', before.allocations, after.allocations) },
    { name: 'invariant: no new or released GC holds', problems: setDiff('GC hold', before.gcHolds, after.gcHolds) },
    { name: 'invariant: no host added to or removed from the pool', problems: setDiff('host', before.hosts, after.hosts) },
    { name: 'invariant: the reconciler repaired nothing', problems: after.repairs === before.repairs ? [] : [`${after.repairs - before.repairs} new repair record(s)`] },
  ];
}

// --- the matrix ---------------------------------------------------------------------------------

async function apiGet(ctx: HostileInputContext, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(new URL(path, ctx.apiUrl), { headers: { authorization: `Bearer ${ctx.token}` }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

/** Our flows still running (visibility), for "nothing left running". */
async function runningFlows(ctx: HostileInputContext): Promise<Set<string>> {
  const r = await apiGet(ctx, `${WORKFLOWS}?status=Processing&pageSize=1000`);
  const data = isObj(r.body) && Array.isArray(r.body.data) ? (r.body.data as { workFlowId: string }[]) : [];
  return new Set(data.map((x) => x.workFlowId));
}

async function caseKit(ctx: HostileInputContext, marker: string): Promise<CaseKit> {
  const source = await ctx.store.getCluster(ctx.lockedSourceId);
  if (!source) throw new Error(`hostile-input: the locked source ${ctx.lockedSourceId} does not exist`);
  if (!source.maintenanceStatus) throw new Error(`hostile-input: the source ${ctx.lockedSourceId} is not locked: a valid clone would be admitted`);
  const zones = [...new Set(source.instances.map((i) => i.zone).filter(Boolean))];
  const zone = (i: number) => `${source.region},${zones.length ? zones[i % zones.length] : 'Zone1'}`;
  const copies = [1, 3, 5, 7].includes(source.copies) ? source.copies : 3;
  let n = 0;
  const cloneBody = (name: string): Obj => ({
    sourceClusterId: ctx.lockedSourceId,
    cloneStrategy: 'Snapshot',
    clusterName: name,
    dbPassword: 'Hostile-Clone-R00t!',
    clusterVersion: source.version,
    region: source.region,
    cpuArchitecture: source.cpuArchitecture,
    copies,
    resourceParameters: {
      instanceResource: [
        { componentType: 'PD', resource: [{ zoneCode: zone(0), specCode: '4C8G', count: 1 }] },
        { componentType: 'TiDB', resource: [{ zoneCode: zone(0), specCode: '4C8G', count: 1 }] },
        { componentType: 'TiKV', resource: Array.from({ length: copies }, (_, i) => ({ zoneCode: zone(i), specCode: '8C16G', count: 1 })) },
      ],
    },
  });
  const host = (ip: string): Obj => ({
    ip,
    hostName: 'hostile-host',
    region: 'HostileRegion',
    zone: 'HostileZone1',
    rack: 'R1',
    arch: 'X86_64',
    cpuCores: 8,
    memory: 16,
    disks: [{ name: 'nvme0', path: '/data1', capacity: 100, type: 'SSD' }],
  });
  const takeoverBody = (name: string): Obj => ({ clusterName: name, dbUser: 'root', dbPassword: 'Hostile-Takeover-R00t!', region: 'HostileRegion', copies: 3 });
  const fresh = alnumString(8, 12);
  return {
    lockedSourceId: ctx.lockedSourceId,
    sourceName: source.name,
    marker,
    clone: () => cloneBody(`hostile-${++n}-clone`),
    host: () => host(`203.0.113.${(++n % 250) + 1}`),
    takeover: () => takeoverBody(`hostile-missing-${++n}`),
    cloneTemplate: fresh.map((s) => cloneBody(`hostile-${s}`)),
    cloneSample: cloneBody('hostile-sample'),
    takeoverTemplate: fresh.map((s) => takeoverBody(`hostile-missing-${s}`)),
    takeoverSample: takeoverBody('hostile-missing-sample'),
    // TEST-NET-3 addresses: never a real host, and every import breaks a rule anyway
    hostsTemplate: fc.nat(250).map((i) => ({ hosts: [host(`203.0.113.${i + 1}`)] })),
    hostsSample: { hosts: [host('203.0.113.1')] },
  };
}

export async function runHostileInput(ctx: HostileInputContext): Promise<MatrixResult> {
  const seed = ctx.seed ?? 20_240_601;
  const rules = rulesFromSpec();
  const docAnswer = await apiGet(ctx, '/api/v1/openapi.json');
  if (docAnswer.status !== 200 || !isObj(docAnswer.body) || !isObj(docAnswer.body.paths)) throw new Error(`hostile-input: GET /api/v1/openapi.json answered ${docAnswer.status}`);
  const doc = docAnswer.body as unknown as OpenApiDoc;
  // a file any shell that ever ran our input would create
  const marker = `/tmp/tiem-hostile-${seed}-${process.pid}`;
  const kit = await caseKit(ctx, marker);
  const known = new Set<string>();
  for (const c of await ctx.store.listClusters()) {
    known.add(c.id.toLowerCase());
    known.add(c.name.toLowerCase());
  }
  const world: World = { doc, lockedSourceId: ctx.lockedSourceId, known, kit, marker };

  const generated = fc.sample(generatedRequests(world, marker), { numRuns: ctx.cases, seed });
  const requests: HostileRequest[] = [
    ...generated.map((d, i) => ({ ...d, name: `gen#${i} (seed ${seed}) ${d.op ?? `${d.method} ${d.path.split('?')[0]}`}` })),
    ...handWrittenCases(kit).map((c) => ({ ...c, name: `hand: ${c.name}` })),
  ];

  const before = await snapshot(ctx.store);
  const runningBefore = await runningFlows(ctx);

  const base = new URL(ctx.apiUrl);
  // few connections: the stack shares two cores with this test. No keep-alive: the server closes
  // the connection after some refusals (413, 431), and reusing it would fail the next case.
  const agent = new Agent({ keepAlive: false, maxSockets: 3 });
  // HOSTILE_TRACE=<file>: one JSON line per case (what each got), to see what the generator reaches
  const trace = process.env.HOSTILE_TRACE;
  const failures: MatrixResult['failures'] = [];
  const violations: string[] = [];
  const fail = (name: string, found: string[], detail: string, workflowId?: string) => {
    const problems = found.map(printable);
    for (const p of problems) violations.push(`${name}: ${p}`);
    failures.push({ name, detail: `${problems.join('; ')}\n${detail}`, workflowId });
  };
  try {
    await pool(requests, 3, async (r) => {
      const a = await send(base, agent, ctx.token, r);
      const problems = judge(r, a, rules);
      if (trace) {
        const code = /"code":(-?\d+)/.exec(a.text)?.[1];
        const line = { name: r.name, expect: r.expect.kind, status: a.status, code: code ? Number(code) : undefined, ms: a.ms, ok: !problems.length };
        appendFileSync(trace, `${JSON.stringify(line)}\n`);
      }
      if (!problems.length) return;
      let workflowId = r.workflowId;
      try {
        const answer = JSON.parse(a.text) as { message?: string; data?: { workFlowId?: string } };
        // a refused clone's message may name the target id it was given: its workflow is clone-<id>
        const target = r.path === CLONE && !workflowId ? /\bcluster ([A-Za-z0-9]{22})\b/.exec(answer.message ?? '')?.[1] : undefined;
        workflowId = answer.data?.workFlowId ?? workflowId ?? (target ? `clone-${target}` : undefined);
      } catch {
        // not JSON: judged above
      }
      const sent = r.body === undefined ? '(no body)' : short(String(r.body), 600);
      const request = printable(`request: ${r.method} ${short(r.path, 300)} content-type=${r.contentType ?? '(none)'} body=${sent}`);
      fail(r.name, problems, `${request}\n${printable(`answer (${a.ms} ms): HTTP ${a.status ?? '-'} ${short(a.text, 400)}`)}`, workflowId);
    });
  } finally {
    agent.destroy();
  }

  // --- after every request: nothing left behind ---
  const checks: { name: string; problems: string[] }[] = [];
  checks.push(...compare(before, await snapshot(ctx.store)));
  // visibility lags behind the workflows that refused a request: give it a few seconds
  let leftRunning: string[] = [];
  for (let i = 0; i < 20; i++) {
    const now = await runningFlows(ctx);
    leftRunning = [...now].filter((id) => !runningBefore.has(id));
    if (!leftRunning.length) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  checks.push({ name: 'invariant: no flow started by hostile input is still running', problems: leftRunning.map((id) => `running: ${id}`) });
  checks.push({ name: 'invariant: no shell ran our input', problems: existsSync(marker) ? [`${marker} exists`] : [] });
  const health = await fetch(new URL('/healthz', ctx.apiUrl), { signal: AbortSignal.timeout(TIMEOUT_MS) }).then(
    (r) => r.status,
    () => 0,
  );
  checks.push({ name: 'invariant: the API is still healthy', problems: health === 200 ? [] : [`GET /healthz answered ${health}`] });
  for (const c of checks) if (c.problems.length) fail(c.name, c.problems, c.problems.map(printable).join('\n'));

  const cases = requests.length + checks.length;
  return { matrix: 'hostile input', cases, survived: cases - failures.length, violations, failures };
}
