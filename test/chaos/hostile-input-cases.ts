// Hand-written cases of the hostile-input matrix (hostile-input.ts): absurd counts and sizes, shell
// and SQL metacharacters, quotes and unicode in names, passwords and ids, malformed bodies, auth.
// Each states what it must get; the generated cases only know "valid or not" from the document.
import type fc from 'fast-check';
// The two modules import each other; only functions and classes are taken from it, used at call time.
import { enc, fitLength, OMIT, RawJson, toJson, type Expectation, type HostileRequest } from './hostile-input.js';

type Obj = Record<string, unknown>;

/** What the cases are built from (hostile-input.ts builds it from the locked source). */
export interface CaseKit {
  lockedSourceId: string;
  /** Name of the locked source: a name already taken. */
  sourceName: string;
  /** A file a shell would create if one ever ran our input (checked after the run). */
  marker: string;
  /** A fresh clone request that passes every check but the lock (→ 20114). */
  clone(): Obj;
  /** A fresh valid host (TEST-NET address): the cases break it before sending. */
  host(): Obj;
  /** A fresh takeover of a TiUP cluster that does not exist (→ 10003). */
  takeover(): Obj;
  cloneTemplate: fc.Arbitrary<Obj>;
  cloneSample: Obj;
  takeoverTemplate: fc.Arbitrary<Obj>;
  takeoverSample: Obj;
  hostsTemplate: fc.Arbitrary<Obj>;
  hostsSample: Obj;
}

const CLONE = '/api/v1/clusters/clone';
const MiB = 1024 * 1024;

const invalid: Expectation = { kind: 'invalid' };
const codes = (...c: number[]): Expectation => ({ kind: 'codes', codes: c });
const LOCKED = codes(20114);
const NOT_FOUND = codes(10003);
const rejected: Expectation = { kind: 'rejected' };

type Case = HostileRequest;

function post(name: string, path: string, body: unknown, expect: Expectation, extra: Partial<Case> = {}): Case {
  const raw = typeof body === 'string' || Buffer.isBuffer(body) ? body : toJson(body);
  return { name, method: 'POST', path, body: raw, contentType: 'application/json', expect, ...extra };
}

/** A path into a request body, set in place (arrays by index). */
function setPath(o: Obj, path: (string | number)[], v: unknown): Obj {
  let cur = o as Record<string | number, unknown>;
  for (const p of path.slice(0, -1)) cur = cur[p] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (v === OMIT) delete cur[last];
  else cur[last] = v;
  return o;
}

/** The first placement of the template (its PD). */
const PLACEMENT = ['resourceParameters', 'instanceResource', 0, 'resource', 0];

export function handWrittenCases(k: CaseKit): Case[] {
  const out: Case[] = [];
  const clone = (name: string, path: (string | number)[], v: unknown, expect: Expectation) => {
    const body = setPath(k.clone(), path, v);
    out.push(post(`clone ${name}`, CLONE, body, expect, { secrets: typeof body.dbPassword === 'string' && body.dbPassword.length >= 12 ? [body.dbPassword] : [] }));
  };
  const count = (name: string, v: unknown, expect: Expectation = invalid) => clone(`count ${name}`, [...PLACEMENT, 'count'], v, expect);

  // --- absurd counts and sizes: refused by the bounds, quickly, before anything is built ---
  count('100000000', 100_000_000);
  count('-1', -1);
  count('0', 0);
  count('1.5', 1.5);
  count('"3"', '3');
  count('1e999 (Infinity)', new RawJson('1e999'));
  count('9007199254740993 (beyond 2^53)', new RawJson('9007199254740993'));
  count('-0', new RawJson('-0'));
  count('null', null);
  clone('copies 100000000', ['copies'], 100_000_000, invalid);
  clone('copies -3', ['copies'], -3, invalid);
  clone('copies 3.5', ['copies'], 3.5, invalid);
  clone('totalNodeCount 1e308 (ignored, but bounded)', ['resourceParameters', 'instanceResource', 0, 'totalNodeCount'], 1e308, invalid);
  {
    const body = k.clone();
    (body.resourceParameters as Obj).instanceResource = Array.from({ length: 10_000 }, () => ({ componentType: 'TiKV' }));
    out.push(post('clone instanceResource of 10,000 entries', CLONE, body, codes(10001)));
  }
  {
    const body = k.clone();
    const tikv = ((body.resourceParameters as Obj).instanceResource as Obj[])[2]!;
    tikv.resource = Array.from({ length: 10_000 }, () => ({ zoneCode: 'Region1,Zone1', specCode: '4C8G', count: 1 }));
    out.push(post('clone resource list of 10,000 placements', CLONE, body, codes(10001)));
  }
  {
    const body = k.clone();
    const tikv = ((body.resourceParameters as Obj).instanceResource as Obj[])[2]!;
    tikv.resource = Array.from({ length: 64 }, () => ({ zoneCode: 'Region1,Zone1', specCode: '4C8G', count: 128 }));
    out.push(post('clone 64 placements × count 128 (each at its bound, 8192 instances in all)', CLONE, body, codes(10001)));
  }
  clone('specCode 9999999C9999999G (cores and memory far beyond the bounds)', [...PLACEMENT, 'specCode'], '9999999C9999999G', invalid);
  clone('diskCapacity 1e15', [...PLACEMENT, 'diskCapacity'], 1e15, invalid);
  clone('tags of 10,000', ['tags'], Array.from({ length: 10_000 }, (_, i) => `t${i}`), invalid);
  clone('a tag of 100,000 characters', ['tags'], ['t'.repeat(100_000)], invalid);
  clone('clusterName of 100,000 characters', ['clusterName'], 'n'.repeat(100_000), invalid);

  // --- metacharacters, quotes and unicode: plain data, so the lock answers (no injection anywhere) ---
  const names: [string, string][] = [
    ['SQL', "x'; DROP TABLE clusters; --"],
    ['SQL comment', 'x/**/OR/**/1=1--'],
    ['shell $()', `$(touch ${k.marker})`],
    ['shell backticks', `\`touch ${k.marker}\``],
    ['shell pipes', 'a|b&c;d<e>f'],
    ['quotes', `"'\`"'\``],
    ['RTL override', '\u202Eevil-clone'],
    ['astral', '😀😀😀😀'],
    ['64 astral characters (64 code points)', '😀'.repeat(64)],
    ['combining marks', 'e\u0301e\u0301e\u0301e\u0301'],
    ['newline', 'line1\nline2'],
    ['LIKE wildcards', '%_%_'],
  ];
  for (const [what, name] of names) clone(`clusterName with ${what}`, ['clusterName'], fitLength(name, 4, 64), LOCKED);
  // A NUL is refused as input on every backend (PostgreSQL text cannot hold it).
  clone('clusterName with NUL', ['clusterName'], 'ab\u0000cd', invalid);
  clone('clusterName of 65 astral characters', ['clusterName'], '😀'.repeat(65), invalid);
  clone('clusterName of a lone surrogate ×4', ['clusterName'], '\uD800\uD800\uD800\uD800', rejected);
  clone('clusterName already taken (the source)', ['clusterName'], k.sourceName, codes(20101, 20114));

  const passwords: [string, string][] = [
    ['metacharacters', `'";$()\`|&<>--/*`],
    ['shell', `$(touch ${k.marker})`.slice(0, 32)],
    ['32 astral characters', '😀'.repeat(32)],
    ['RTL', '\u202EPassword-R00t!'],
    ['backslashes', '\\\\\\\\\\\\\\\\'],
  ];
  for (const [what, pw] of passwords) clone(`dbPassword with ${what}`, ['dbPassword'], pw, LOCKED);
  clone('dbPassword with NUL', ['dbPassword'], 'Passw0rd\u0000Passw0rd', invalid);
  clone('dbPassword of 33 characters', ['dbPassword'], 'P'.repeat(33), invalid);
  clone('dbPassword of 7 astral characters', ['dbPassword'], '😀'.repeat(7), invalid);

  clone('sourceClusterId SQL', ['sourceClusterId'], "' OR '1'='1", NOT_FOUND);
  clone('sourceClusterId LIKE wildcard', ['sourceClusterId'], `${k.lockedSourceId.slice(0, 8)}%`, NOT_FOUND);
  clone('sourceClusterId with a NUL after the locked id', ['sourceClusterId'], `${k.lockedSourceId}\u0000`, invalid);
  clone('sourceClusterId of the locked source, upper case', ['sourceClusterId'], k.lockedSourceId.toUpperCase(), codes(10003, 20114));
  clone('sourceClusterId of the locked source with a trailing space', ['sourceClusterId'], `${k.lockedSourceId} `, codes(10003, 20114));
  clone('sourceClusterId path traversal', ['sourceClusterId'], '../../../../etc/passwd', NOT_FOUND);
  clone('region SQL', ['region'], "'; DROP TABLE hosts;--", LOCKED);
  clone('vendor shell', ['vendor'], `;touch ${k.marker};`.slice(0, 32), LOCKED);
  clone('tags with metacharacters', ['tags'], ["'; DROP TABLE x; --", `$(touch ${k.marker})`, '😀'], LOCKED);
  clone('tags with a NUL', ['tags'], ['ok', '\u0000'], invalid);
  clone('zoneCode SQL', [...PLACEMENT, 'zoneCode'], "Region1,Zone1' OR '1'='1", LOCKED);
  clone('parameterGroupID SQL', ['parameterGroupID'], "x' OR '1'='1", rejected);
  clone('requestId with a space', ['requestId'], 'my request', invalid);
  clone('requestId path traversal', ['requestId'], '../../etc', invalid);
  clone('requestId of 129 characters', ['requestId'], 'r'.repeat(129), invalid);
  clone('requestId astral', ['requestId'], '😀', invalid);
  clone('clusterVersion with a shell tail', ['clusterVersion'], 'v7.5.1; rm -rf /', invalid);
  // a real release newer than the source (no default parameter group of its minor is seeded)
  clone('clusterVersion v8.0.0', ['clusterVersion'], 'v8.0.0', rejected);
  clone('clusterVersion v99999999999999999999.0.0', ['clusterVersion'], 'v99999999999999999999.0.0', rejected);
  clone('clusterVersion v7.5.1 with a newline', ['clusterVersion'], 'v7.5.1\n', invalid);
  clone('cloneStrategy lower case', ['cloneStrategy'], 'snapshot', invalid);
  clone('cpuArchitecture SQL', ['cpuArchitecture'], "X86' --", invalid);

  // --- huge and odd bodies ---
  {
    const body = k.clone();
    body.padding = 'p'.repeat(2 * MiB);
    out.push(post('clone body of 2 MiB', CLONE, body, { kind: 'codes', codes: [10001], statuses: [413] }));
    out.push(post('clone body of 2 MiB, chunked', CLONE, body, { kind: 'codes', codes: [10001], statuses: [413] }, { chunked: true }));
  }
  {
    const body = k.clone();
    for (let i = 0; i < 20_000; i++) body[`extra${i}`] = i;
    out.push(post('clone with 20,000 unknown fields (ignored)', CLONE, body, LOCKED));
  }
  {
    const json = toJson(k.clone());
    out.push(post('clone with an unknown field nested 50,000 deep', CLONE, `${json.slice(0, -1)},"deep":${'['.repeat(50_000)}${']'.repeat(50_000)}}`, rejected));
    out.push(post('clone with __proto__', CLONE, `${json.slice(0, -1)},"__proto__":{"isAdmin":true}}`, rejected));
    out.push(post('clone with constructor.prototype', CLONE, `${json.slice(0, -1)},"constructor":{"prototype":{"isAdmin":true}}}`, rejected));
    out.push(post('clone with a duplicate key (the last one wins)', CLONE, `{"sourceClusterId":"noSuchSource0001",${json.slice(1)}`, LOCKED));
    out.push(post('clone JSON with a BOM', CLONE, `\uFEFF${json}`, codes(20114, 10004)));
    out.push(post('clone JSON in UTF-16', CLONE, Buffer.from(json, 'utf16le'), rejected, { contentType: 'application/json; charset=utf-16' }));
    out.push(post('clone gzip-encoded garbage', CLONE, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef]), rejected, { headers: { 'content-encoding': 'gzip' } }));
    out.push(post('clone as text/plain', CLONE, json, codes(10004), { contentType: 'text/plain' }));
    out.push(post('clone as form data', CLONE, 'sourceClusterId=x&clusterName=y', codes(10004), { contentType: 'application/x-www-form-urlencoded' }));
    out.push(post('clone as XML', CLONE, '<clone><sourceClusterId>x</sourceClusterId></clone>', codes(10004), { contentType: 'application/xml' }));
  }
  for (const [what, body] of [
    ['invalid JSON', '{"sourceClusterId": '],
    ['not JSON', 'not json'],
    ['empty', ''],
    ['null', 'null'],
    ['an array', '[]'],
    ['a string', '"clone"'],
    ['a number', '123'],
    ['NaN', '{"copies": NaN}'],
    ['single quotes', "{'sourceClusterId': 'x'}"],
    ['a trailing comma', '{"sourceClusterId": "abcd",}'],
    ['a comment', '{/* c */"sourceClusterId": "abcd"}'],
  ] as const) {
    out.push(post(`clone body ${what}`, CLONE, body, codes(10004)));
  }
  out.push({ name: 'clone without a body or a content type', method: 'POST', path: CLONE, expect: codes(10004) });

  // --- authentication: refused before anything is read ---
  const authCases: [string, string | null][] = [
    ['no Authorization header', null],
    ['a Basic header', 'Basic dXNlcjpwYXNz'],
    ['a wrong token', 'Bearer not-the-token-0123456789'],
    ['SQL in the token', "Bearer ' OR '1'='1"],
    ['a 10 KiB token', `Bearer ${'t'.repeat(10 * 1024)}`],
    ['latin-1 in the token', 'Bearer \u00ff\u00fe\u00e9'],
  ];
  for (const [what, auth] of authCases) out.push(post(`clone with ${what}`, CLONE, k.clone(), { kind: 'codes', codes: [401], statuses: [401] }, { auth }));

  // --- takeover: names a TiUP cluster that does not exist, or breaks a rule ---
  const TAKEOVER = '/api/v1/clusters/takeover';
  const takeover = (name: string, patch: Obj, expect: Expectation) => out.push(post(`takeover ${name}`, TAKEOVER, { ...k.takeover(), ...patch }, expect));
  takeover('of a cluster that does not exist', {}, NOT_FOUND);
  takeover('clusterName SQL', { clusterName: "x'; DROP TABLE clusters; --" }, invalid);
  takeover('clusterName shell', { clusterName: `$(touch ${k.marker})` }, invalid);
  takeover('clusterName option injection', { clusterName: '--help' }, invalid);
  takeover('clusterName path traversal', { clusterName: '../../etc' }, invalid);
  takeover('clusterName a..b (pattern ok, not a TiUP name)', { clusterName: 'a..b' }, codes(10001, 10003));
  takeover('clusterName astral', { clusterName: '😀😀😀😀' }, invalid);
  takeover('clusterName of 65 characters', { clusterName: 'n'.repeat(65) }, invalid);
  takeover('dbPassword with metacharacters and a shell', { dbPassword: `'";$(touch ${k.marker})\`|&<>--/*` }, NOT_FOUND);
  takeover('dbPassword of 129 characters', { dbPassword: 'p'.repeat(129) }, invalid);
  takeover('dbUser admin', { dbUser: 'admin' }, invalid);
  takeover('region SQL', { region: "' OR '1'='1" }, NOT_FOUND);
  takeover('copies 2', { copies: 2 }, invalid);
  takeover('copies 100000000', { copies: 100_000_000 }, invalid);
  takeover('tags of 33', { tags: Array.from({ length: 33 }, (_, i) => `t${i}`) }, invalid);
  out.push(post('takeover body of 2 MiB', TAKEOVER, { ...k.takeover(), padding: 'p'.repeat(2 * MiB) }, { kind: 'codes', codes: [10001], statuses: [413] }));

  // --- delete: never a known cluster ---
  const del = (name: string, path: string, expect: Expectation) => out.push({ name: `delete ${name}`, method: 'DELETE', path, expect });
  del('SQL id, forced', `/api/v1/clusters/${enc("' OR 1=1 --")}?force=true`, NOT_FOUND);
  del('NUL id', '/api/v1/clusters/%00', invalid);
  del('path traversal id', '/api/v1/clusters/..%2F..%2Fetc%2Fpasswd?force=true', NOT_FOUND);
  del('wildcard id', '/api/v1/clusters/%25', NOT_FOUND);
  del('id of 65 characters', `/api/v1/clusters/${'i'.repeat(65)}`, invalid);
  del('force=yes', '/api/v1/clusters/noSuchCluster0001?force=yes', invalid);
  del('force twice', '/api/v1/clusters/noSuchCluster0001?force=true&force=false', rejected);
  del('no id', '/api/v1/clusters/', codes(404));
  del('a bad percent-escape in the id', '/api/v1/clusters/%E0%A4%A', rejected);
  del('an invalid UTF-8 id', '/api/v1/clusters/%ED%A0%80abcd', rejected);

  // --- workflow detail and list: reads, but of hostile ids and queries ---
  const get = (name: string, path: string, expect: Expectation) => out.push({ name, method: 'GET', path, expect });
  get('workflow detail of 255 astral characters (1020 bytes of UTF-8)', `/api/v1/workflow/${enc('😀'.repeat(255))}`, rejected);
  get('workflow detail of 255 characters', `/api/v1/workflow/${'w'.repeat(255)}`, codes(40101));
  get('workflow detail of 256 characters', `/api/v1/workflow/${'w'.repeat(256)}`, invalid);
  get('workflow detail of a NUL id', '/api/v1/workflow/%00', invalid);
  get('workflow detail of an SQL id', `/api/v1/workflow/${enc("clone-' OR '1'='1")}`, codes(40101));
  get('workflow detail of a bad percent-escape', '/api/v1/workflow/%zz', rejected);
  get('workflow list with a visibility-query injection', `/api/v1/workflows?clusterId=${enc("x' OR WorkflowType != 'y")}`, invalid);
  get('workflow list with a visibility-query injection in sourceClusterId', `/api/v1/workflows?sourceClusterId=${enc('x" or 1=1')}`, invalid);
  for (const size of ['0', '-1', '1001', 'NaN', 'Infinity', '99999999999999999999999']) {
    get(`workflow list pageSize=${size}`, `/api/v1/workflows?pageSize=${enc(size)}`, rejected);
  }
  // the query's lenient conversions (1.5 → 1, hex, empty) are allowed to be read either way
  for (const size of ['1.5', '0x10', '', ' 5 ']) get(`workflow list pageSize=${JSON.stringify(size)}`, `/api/v1/workflows?pageSize=${enc(size)}`, { kind: 'read' });
  get('workflow list with two statuses', '/api/v1/workflows?status=Processing&status=Finished', { kind: 'read' });
  get('workflow list with __proto__', '/api/v1/workflows?__proto__=x&constructor=y', { kind: 'read' });
  get('workflow list with a 20 KiB query', `/api/v1/workflows?clusterId=${'q'.repeat(20 * 1024)}`, rejected);

  // --- the reconciler: a dry run, or a body it refuses ---
  const RECONCILE = '/api/v1/reconciler/run';
  out.push(post('reconciler dry run', RECONCILE, { dryRun: true }, { kind: 'dryRun' }));
  for (const [what, body] of [
    ['dryRun "true"', '{"dryRun":"true"}'],
    ['dryRun 1', '{"dryRun":1}'],
    ['dryRun null', '{"dryRun":null}'],
    ['an unknown field', '{"dryRun":true,"repairAll":true}'],
    ['__proto__', '{"dryRun":true,"__proto__":{"dryRun":false}}'],
    ['an array', '[]'],
    ['null', 'null'],
    ['invalid JSON', '{"dryRun":'],
    ['empty', ''],
  ] as const) {
    out.push(post(`reconciler ${what}`, RECONCILE, body, rejected));
  }
  out.push(post('reconciler as text/plain', RECONCILE, '{"dryRun":true}', rejected, { contentType: 'text/plain' }));
  out.push({ name: 'reconciler without a body', method: 'POST', path: RECONCILE, expect: rejected });
  out.push(post('reconciler body of 2 MiB', RECONCILE, `{"dryRun":true,"pad":"${'p'.repeat(2 * MiB)}"}`, { kind: 'codes', codes: [10001], statuses: [413] }));

  // --- host import: each breaks a rule, so nothing is added ---
  const HOSTS = '/api/v1/resources/hosts';
  const hosts = (name: string, patch: (h: Obj) => void, expect: Expectation = invalid) => {
    const h = k.host();
    patch(h);
    out.push(post(`hosts ${name}`, HOSTS, { hosts: [h] }, expect));
  };
  hosts('cpuCores 100000000', (h) => (h.cpuCores = 100_000_000));
  hosts('cpuCores -1', (h) => (h.cpuCores = -1));
  hosts('cpuCores 1.5', (h) => (h.cpuCores = 1.5));
  hosts('cpuCores "32"', (h) => (h.cpuCores = '32'), codes(10004));
  hosts('memory 1e999', (h) => (h.memory = new RawJson('1e999')));
  hosts('ip with a shell tail', (h) => (h.ip = '127.0.0.1; rm -rf /'));
  hosts('ip 999.1.1.1', (h) => (h.ip = '999.1.1.1'));
  hosts('ip SQL', (h) => (h.ip = "1.1.1.1' OR '1'='1"));
  hosts('disk path relative', (h) => ((h.disks as Obj[])[0]!.path = 'data1'));
  hosts('disk path traversal, capacity 0', (h) => Object.assign((h.disks as Obj[])[0]!, { path: '/../../etc', capacity: 0 }));
  hosts('disk type HDD', (h) => ((h.disks as Obj[])[0]!.type = 'HDD'));
  hosts('65 disks', (h) => (h.disks = Array.from({ length: 65 }, (_, i) => ({ name: `d${i}`, path: `/d${i}`, capacity: 1, type: 'SSD' }))));
  hosts('no disks', (h) => (h.disks = []));
  hosts('region empty', (h) => (h.region = ''));
  hosts('zone of 33 characters', (h) => (h.zone = 'z'.repeat(33)));
  hosts('hostName of 256 characters', (h) => (h.hostName = 'h'.repeat(256)));
  hosts('arch RISCV', (h) => (h.arch = 'RISCV'));
  hosts('missing ip', (h) => delete h.ip);
  out.push(post('hosts empty list', HOSTS, { hosts: [] }, invalid));
  out.push(post('hosts null', HOSTS, { hosts: null }, invalid));
  out.push(post('hosts 1001 entries', HOSTS, { hosts: Array.from({ length: 1001 }, () => k.host()) }, invalid));
  {
    // 1000 good hosts (at the bound) and one bad: all or nothing
    const list = Array.from({ length: 1000 }, () => k.host());
    (list[999] as Obj).cpuCores = 0;
    out.push(post('hosts 1000 entries, the last one bad', HOSTS, { hosts: list }, invalid));
  }
  out.push(post('hosts body of 2 MiB', HOSTS, { hosts: [{ ...k.host(), cpuCores: 0 }], pad: 'p'.repeat(2 * MiB) }, { kind: 'codes', codes: [10001], statuses: [413] }));

  // --- no route ---
  get('an unknown route', '/api/v1/clusters/clone/../../../../etc/passwd', rejected);
  out.push({ name: 'PUT on the clone route', method: 'PUT', path: CLONE, body: '{}', contentType: 'application/json', expect: codes(404) });
  out.push({ name: 'POST under the clone route', method: 'POST', path: `${CLONE}/extra`, body: '{}', contentType: 'application/json', expect: codes(404) });
  return out;
}
