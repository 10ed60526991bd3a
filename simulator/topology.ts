// TiUP topology YAML ⇄ model instances.
import YAML from 'yaml';
import type { Instance, Role } from './model.js';
import { ToolExit } from './util.js';

type Obj = Record<string, unknown>;

const SECTIONS: { key: string; role: Role; port: string[]; defPort: number; status?: [string, number]; peer?: [string, number] }[] = [
  { key: 'pd_servers', role: 'pd', port: ['client_port'], defPort: 2379, peer: ['peer_port', 2380] },
  { key: 'tikv_servers', role: 'tikv', port: ['port'], defPort: 20160, status: ['status_port', 20180] },
  { key: 'tidb_servers', role: 'tidb', port: ['port'], defPort: 4000, status: ['status_port', 10080] },
  { key: 'tiflash_servers', role: 'tiflash', port: ['tcp_port'], defPort: 9000, status: ['flash_proxy_status_port', 20292] },
  { key: 'cdc_servers', role: 'cdc', port: ['port'], defPort: 8300 },
  { key: 'monitoring_servers', role: 'prometheus', port: ['port'], defPort: 9090 },
  { key: 'grafana_servers', role: 'grafana', port: ['port'], defPort: 3000 },
  { key: 'alertmanager_servers', role: 'alertmanager', port: ['web_port'], defPort: 9093, peer: ['cluster_port', 9094] },
];

export function parseTopology(text: string, file: string): Obj {
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    throw new ToolExit(1, `Failed to parse topology file ${file} (topology.parse_failed)\n  caused by: ${(e as Error).message}`, 'topology.parse_failed');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new ToolExit(1, `Failed to parse topology file ${file} (topology.parse_failed)`, 'topology.parse_failed');
  return doc as Obj;
}

export function instancesFromTopology(topo: Obj): Instance[] {
  const out: Instance[] = [];
  for (const s of SECTIONS) {
    const list = topo[s.key];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) throw new ToolExit(1, `${s.key} must be a list`, 'topology.invalid');
    for (const raw of list as Obj[]) {
      if (!raw || typeof raw.host !== 'string' || !raw.host) throw new ToolExit(1, `${s.key}: host is required`, 'topology.invalid');
      const num = (k: string, d: number) => (typeof raw[k] === 'number' ? (raw[k] as number) : d);
      const inst: Instance = { role: s.role, host: raw.host, port: num(s.port[0], s.defPort) };
      if (s.status) inst.statusPort = num(s.status[0], s.status[1]);
      if (s.peer) inst.peerPort = num(s.peer[0], s.peer[1]);
      out.push(inst);
    }
  }
  if (!out.some((i) => i.role === 'pd')) throw new ToolExit(1, 'topology must contain at least one pd_servers entry', 'topology.invalid');
  const seen = new Set<string>();
  for (const i of out) {
    for (const p of [i.port, i.statusPort, i.peerPort]) {
      if (p === undefined) continue;
      const k = `${i.host}:${p}`;
      if (seen.has(k)) throw new ToolExit(1, `port conflict for '${p}' between instances on host ${i.host} (spec.validate.port_conflict)`, 'spec.validate.port_conflict');
      seen.add(k);
    }
  }
  return out;
}

/** A topology document for a seeded cluster. */
export function topologyFromInstances(instances: Instance[], user: string): Obj {
  const topo: Obj = { global: { user, ssh_port: 22, deploy_dir: '/tidb-deploy', data_dir: '/tidb-data', arch: 'amd64' }, server_configs: {} };
  for (const s of SECTIONS) {
    const list = instances
      .filter((i) => i.role === s.role)
      .map((i) => {
        const e: Obj = { host: i.host, [s.port[0]]: i.port };
        if (s.status && i.statusPort !== undefined) e[s.status[0]] = i.statusPort;
        if (s.peer && i.peerPort !== undefined) e[s.peer[0]] = i.peerPort;
        return e;
      });
    if (list.length) topo[s.key] = list;
  }
  return topo;
}

/** Display "ports" column, like tiup. */
export function portsText(i: Instance): string {
  switch (i.role) {
    case 'pd':
      return `${i.port}/${i.peerPort ?? 2380}`;
    case 'tidb':
    case 'tikv':
      return `${i.port}/${i.statusPort ?? i.port}`;
    case 'tiflash':
      return `${i.port}/3930/20170/${i.statusPort ?? 20292}/8234`;
    case 'alertmanager':
      return `${i.port}/${i.peerPort ?? 9094}`;
    case 'prometheus':
      return `${i.port}/12020`;
    default:
      return `${i.port}`;
  }
}

/** server_configs: { tikv: { storage: { block-cache: {...} } } } → dotted keys per component. */
export function flattenServerConfigs(topo: Obj): Record<string, Record<string, string | number | boolean>> {
  const sc = (topo.server_configs ?? {}) as Obj;
  const out: Record<string, Record<string, string | number | boolean>> = {};
  for (const [comp, conf] of Object.entries(sc)) {
    const flat: Record<string, string | number | boolean> = {};
    const walk = (o: unknown, prefix: string) => {
      if (o && typeof o === 'object' && !Array.isArray(o)) {
        for (const [k, v] of Object.entries(o as Obj)) walk(v, prefix ? `${prefix}.${k}` : k);
      } else if (prefix) flat[prefix] = typeof o === 'number' || typeof o === 'boolean' ? o : String(o);
    };
    walk(conf, '');
    out[comp] = flat;
  }
  return out;
}
