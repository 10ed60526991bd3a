// What of the source's live configuration a copy takes: component settings that differ from what
// the freshly deployed target runs (SHOW CONFIG, and the source topology's server_configs) and
// global variables that differ (mysql.global_variables), minus what must differ between two
// clusters. Across versions only names the target has are copied; the rest is listed as left out.
// Pure module.
import { PARAMETER_CATALOG } from './parameters.js';

export type ConfigComponent = 'tidb' | 'tikv' | 'pd' | 'tiflash' | 'cdc';
const COMPONENTS: ConfigComponent[] = ['tidb', 'tikv', 'pd', 'tiflash', 'cdc'];
/** Components SHOW CONFIG reports (TiCDC's configuration is only in the topology). */
const SHOWN: ConfigComponent[] = ['tidb', 'tikv', 'pd', 'tiflash'];

export interface ShowConfigRow {
  type: string;
  instance: string;
  name: string;
  value: string;
}

export interface ConfigCopyInput {
  sameVersion: boolean;
  /** server_configs of the source's TiUP topology, flattened to dotted names. */
  sourceServerConfigs: Partial<Record<ConfigComponent, Record<string, unknown>>>;
  /** The component kinds the target runs. */
  targetComponents: ConfigComponent[];
  sourceShowConfig: ShowConfigRow[];
  targetShowConfig: ShowConfigRow[];
  sourceGlobals: Record<string, string>;
  targetGlobals: Record<string, string>;
  /** The source's GC life time before the clone held it (its live value is the clone's). */
  sourceGcLifeTime?: string;
}

export interface ConfigCopyPlan {
  config: { component: ConfigComponent; name: string; value: unknown }[];
  globals: { name: string; value: string }[];
  leftOut: { what: string; reason: string }[];
}

// Must differ between two clusters: where they are, where their files are, what their topology says.
const ADDRESS = /(^|[.-])(addr|address|advertise-addr|advertise-status-addr|status-addr|host|port|status-port|urls?|endpoints|initial-cluster(-state|-token)?|join|name|cluster-id)$/;
const PATH = /(^|[.-])(path|dir|data-dir|log-dir|deploy-dir|file|filename|socket|tmp-storage-path)$/;
const OWN_SECTIONS = /^(security\.|log\.file\.|server\.labels|labels|replication\.location-labels|replication\.max-replicas$|storage\.data-dir)/;
// Host dependent or fixed at bootstrap: the catalogue marks them (TiEM hasApply=0, read-only).
const CATALOGUE_KEPT = new Set(PARAMETER_CATALOG.filter((p) => !p.hasApply || p.readOnly).map((p) => `${p.component}.${p.name}`));
// They belong to a session or a server, or the clone's GC handling sets them.
const OWN_VARIABLES = new Set(['tidb_snapshot', 'tidb_gc_enable', 'hostname', 'port', 'socket', 'datadir', 'tidb_config', 'version', 'version_comment']);

/** Why `component.name` is never copied, or undefined. */
export function configKeptReason(component: ConfigComponent, name: string): string | undefined {
  if (OWN_SECTIONS.test(name)) return name.startsWith('security.') ? "certificate paths and security of the source's hosts" : "the target's own topology";
  if (ADDRESS.test(name)) return 'an address of the source';
  if (PATH.test(name)) return "a path on the source's hosts";
  if (CATALOGUE_KEPT.has(`${component}.${name}`)) return 'host dependent or fixed at bootstrap';
  return undefined;
}

/** TiUP wants typed values; SHOW CONFIG prints strings. */
export function configValueOf(text: string): unknown {
  const t = text.trim();
  if (t === 'true' || t === 'false') return t === 'true';
  if (/^-?\d+(\.\d+)?$/.test(t) && Number.isFinite(Number(t)) && (t.includes('.') || Number.isSafeInteger(Number(t)))) return Number(t);
  return text;
}

/** One value per component and name, when every instance agrees; else undefined for that name. */
function uniformValues(rows: ShowConfigRow[]): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const r of rows) {
    const key = `${r.type}\u0000${r.name}`;
    if (!out.has(key)) out.set(key, r.value);
    else if (out.get(key) !== r.value) out.set(key, undefined);
  }
  return out;
}

export function planConfigCopy(input: ConfigCopyInput): ConfigCopyPlan {
  const plan: ConfigCopyPlan = { config: [], globals: [], leftOut: [] };
  const source = uniformValues(input.sourceShowConfig);
  const target = uniformValues(input.targetShowConfig);
  const taken = new Set<string>();
  const consider = (component: ConfigComponent, name: string, value: unknown) => {
    const what = `${component} ${name}`;
    const key = `${component}\u0000${name}`;
    if (taken.has(key)) return;
    taken.add(key);
    if (!input.targetComponents.includes(component)) return plan.leftOut.push({ what, reason: `the target has no ${component}` });
    const kept = configKeptReason(component, name);
    if (kept) return plan.leftOut.push({ what, reason: kept });
    if (!input.sameVersion && (SHOWN.includes(component) ? !target.has(key) : true)) {
      return plan.leftOut.push({ what, reason: SHOWN.includes(component) ? 'the target version has no such setting' : 'not checkable across versions' });
    }
    if (SHOWN.includes(component) && target.has(key) && String(target.get(key)) === String(value)) return;
    plan.config.push({ component, name, value });
  };
  // The topology first: its values are typed and what TiUP writes on every reload.
  for (const component of COMPONENTS) {
    for (const [name, value] of Object.entries(input.sourceServerConfigs[component] ?? {})) consider(component, name, value);
  }
  // Then what the source runs (changed online with SET CONFIG, or defaults of its version).
  for (const [key, value] of source) {
    const [component, name] = key.split('\u0000') as [ConfigComponent, string];
    if (!SHOWN.includes(component)) continue;
    const targetValue = target.get(key);
    if (value === undefined) {
      if (!configKeptReason(component, name) && target.has(key)) plan.leftOut.push({ what: `${component} ${name}`, reason: 'differs between instances of the source' });
      continue;
    }
    if (target.has(key) && targetValue === value) continue;
    consider(component, name, configValueOf(value));
  }
  for (const [name, live] of Object.entries(input.sourceGlobals)) {
    if (OWN_VARIABLES.has(name)) continue;
    // While the clone holds it, the source's GC life time is the clone's: the value before the hold is the source's.
    const value = name === 'tidb_gc_life_time' ? (input.sourceGcLifeTime ?? live) : live;
    if (input.targetGlobals[name] === value) continue;
    if (!(name in input.targetGlobals)) {
      plan.leftOut.push({ what: `variable ${name}`, reason: 'the target version has no such variable' });
      continue;
    }
    plan.globals.push({ name, value });
  }
  return plan;
}
