// TiUP topology YAML: render a new cluster's topology as TiEM's template did (§8.3), read
// `tiup cluster show-config` back, and edit `server_configs` for parameter changes.
// Used by activities only (not workflow code), so it may use the `yaml` package.

import { isMap, parse, parseDocument, stringify } from 'yaml';
import type { ParamComponent } from './parameters.js';
import type { ClusterInstance, CpuArchitecture } from './types.js';

export interface RenderTopologyInput {
  clusterId: string;
  version: string;
  arch: CpuArchitecture;
  tls: boolean;
  deployUser: string;
  sshPort: number;
  region: string;
  /** The instances to deploy, monitoring ones included; ports in TiEM order (§6.3). */
  instances: ClusterInstance[];
  /** [node_exporter_port, blackbox_exporter_port] */
  globalPorts: number[];
  /** Merged over the defaults, per component (e.g. tidb.new_collations_enabled_on_first_bootstrap). */
  serverConfigs?: Record<string, Record<string, unknown>>;
}

type Config = Record<string, unknown>;

export interface TopologyGlobal {
  user?: string;
  group?: string;
  ssh_port?: number;
  enable_tls?: boolean;
  deploy_dir?: string;
  data_dir?: string;
  log_dir?: string;
  os?: string;
  arch?: string;
  [key: string]: unknown;
}

export interface TopologyServer {
  host: string;
  deploy_dir?: string;
  data_dir?: string;
  config?: Config;
  [key: string]: unknown;
}

/** Typed view of a TiUP topology; unknown sections are kept as they are. */
export interface TopologySpec {
  global?: TopologyGlobal;
  monitored?: { node_exporter_port?: number; blackbox_exporter_port?: number; [key: string]: unknown };
  server_configs?: Record<string, Config>;
  pd_servers?: (TopologyServer & { client_port?: number; peer_port?: number; name?: string })[];
  tidb_servers?: (TopologyServer & { port?: number; status_port?: number })[];
  tikv_servers?: (TopologyServer & { port?: number; status_port?: number })[];
  tiflash_servers?: (TopologyServer & {
    tcp_port?: number;
    http_port?: number;
    flash_service_port?: number;
    flash_proxy_port?: number;
    flash_proxy_status_port?: number;
    metrics_port?: number;
  })[];
  cdc_servers?: (TopologyServer & { port?: number; 'gc-ttl'?: number })[];
  monitoring_servers?: (TopologyServer & { port?: number })[];
  grafana_servers?: (TopologyServer & { port?: number })[];
  alertmanager_servers?: (TopologyServer & { web_port?: number; cluster_port?: number })[];
  [key: string]: unknown;
}

/** TiDB's location labels, set on PD and as TiKV server.labels. */
export const LOCATION_LABELS = ['region', 'zone', 'rack', 'host'];
/** TiCDC keeps its service GC safepoint this long (s) when a changefeed stalls. */
export const CDC_GC_TTL_SECONDS = 86400;

// TiEM's Grafana settings (auth proxy for the embedded console). Strings: TiUP reads a string map.
const GRAFANA_SERVER_CONFIGS: Config = {
  'auth.proxy.enabled': 'true',
  'auth.proxy.header_name': 'X-WEBAUTH-USER',
  'auth.proxy.header_property': 'username',
  'auth.proxy.auto_sign_up': 'true',
  'auth.proxy.sync_ttl': '60',
  'auth.proxy.enable_login_token': 'false',
  'server.enforce_domain': 'false',
  'server.protocol': 'http',
  'server.root_url': '%(protocol)s://%(domain)s:%(http_port)s/grafanas-%(domain)s-%(http_port)s/',
  'server.serve_from_sub_path': 'true',
};

function dir(diskPath: string, clusterId: string, name: string): string {
  return `${diskPath.replace(/\/+$/, '')}/${clusterId}/${name}`;
}

function port(inst: ClusterInstance, i: number): number {
  const p = inst.ports[i];
  if (!Number.isInteger(p) || p <= 0) {
    throw new Error(`instance ${inst.id || inst.hostIp} (${inst.component}) has no port #${i}`);
  }
  return p;
}

/** Renders the topology of a new cluster for `tiup cluster deploy`. */
export function renderTopology(input: RenderTopologyInput): string {
  const { clusterId, instances } = input;
  const of = (c: ClusterInstance['component']) => instances.filter((i) => i.component === c);
  const [nodeExporterPort, blackboxExporterPort] = input.globalPorts;
  if (!nodeExporterPort || !blackboxExporterPort) throw new Error('two global ports are needed for the monitoring agents');

  const serverConfigs: Record<string, Config> = {
    pd: { 'replication.location-labels': [...LOCATION_LABELS] },
    grafana: { ...GRAFANA_SERVER_CONFIGS },
  };
  for (const [component, cfg] of Object.entries(input.serverConfigs ?? {})) {
    serverConfigs[component] = { ...(serverConfigs[component] ?? {}), ...cfg };
  }

  const spec: TopologySpec = {
    global: {
      user: input.deployUser,
      group: input.deployUser,
      ssh_port: input.sshPort,
      enable_tls: input.tls,
      deploy_dir: `${clusterId}/tidb-deploy`,
      data_dir: `${clusterId}/tidb-data`,
      log_dir: `${clusterId}/tidb-log`,
      os: 'linux',
      // TiEM: only ARM64 renders as arm64, so 'ARM' deploys amd64 binaries.
      arch: input.arch === 'ARM64' ? 'arm64' : 'amd64',
    },
    monitored: { node_exporter_port: nodeExporterPort, blackbox_exporter_port: blackboxExporterPort },
    server_configs: serverConfigs,
    pd_servers: of('PD').map((i) => ({
      host: i.hostIp,
      client_port: port(i, 0),
      peer_port: port(i, 1),
      deploy_dir: dir(i.diskPath, clusterId, 'pd-deploy'),
      data_dir: dir(i.diskPath, clusterId, 'pd-data'),
    })),
    tidb_servers: of('TiDB').map((i) => ({
      host: i.hostIp,
      port: port(i, 0),
      status_port: port(i, 1),
      deploy_dir: dir(i.diskPath, clusterId, 'tidb-deploy'),
    })),
    tikv_servers: of('TiKV').map((i) => ({
      host: i.hostIp,
      port: port(i, 0),
      status_port: port(i, 1),
      deploy_dir: dir(i.diskPath, clusterId, 'tikv-deploy'),
      data_dir: dir(i.diskPath, clusterId, 'tikv-data'),
      config: { 'server.labels': { region: input.region, zone: i.zone, rack: i.rack, host: i.hostId } },
    })),
  };
  const tiflash = of('TiFlash');
  if (tiflash.length) {
    spec.tiflash_servers = tiflash.map((i) => ({
      host: i.hostIp,
      tcp_port: port(i, 0),
      http_port: port(i, 1),
      flash_service_port: port(i, 2),
      flash_proxy_port: port(i, 3),
      flash_proxy_status_port: port(i, 4),
      metrics_port: port(i, 5),
      deploy_dir: dir(i.diskPath, clusterId, 'tiflash-deploy'),
      data_dir: dir(i.diskPath, clusterId, 'tiflash-data'),
    }));
  }
  const cdc = of('CDC');
  if (cdc.length) {
    spec.cdc_servers = cdc.map((i) => ({
      host: i.hostIp,
      port: port(i, 0),
      deploy_dir: dir(i.diskPath, clusterId, 'cdc-deploy'),
      data_dir: dir(i.diskPath, clusterId, 'cdc-data'),
      'gc-ttl': CDC_GC_TTL_SECONDS,
    }));
  }
  const prometheus = of('Prometheus');
  if (prometheus.length) {
    spec.monitoring_servers = prometheus.map((i) => ({
      host: i.hostIp,
      port: port(i, 0),
      deploy_dir: dir(i.diskPath, clusterId, 'prometheus-deploy'),
      data_dir: dir(i.diskPath, clusterId, 'prometheus-data'),
    }));
  }
  const grafana = of('Grafana');
  if (grafana.length) {
    spec.grafana_servers = grafana.map((i) => ({
      host: i.hostIp,
      port: port(i, 0),
      deploy_dir: dir(i.diskPath, clusterId, 'grafana-deploy'),
      anonymous_enable: true,
      default_theme: 'light',
      org_name: 'Main Org.',
      org_role: 'Viewer',
      config: { 'security.allow_embedding': 'true' },
    }));
  }
  const alertmanager = of('AlertManager');
  if (alertmanager.length) {
    spec.alertmanager_servers = alertmanager.map((i) => ({
      host: i.hostIp,
      web_port: port(i, 0),
      cluster_port: port(i, 1),
      deploy_dir: dir(i.diskPath, clusterId, 'alertmanager-deploy'),
      data_dir: dir(i.diskPath, clusterId, 'alertmanager-data'),
    }));
  }
  return stringify(spec, { lineWidth: 0 });
}

/** Parses a TiUP topology (e.g. `tiup cluster show-config` output). Throws on non-mapping YAML. */
export function parseTopology(text: string): TopologySpec {
  const doc = parse(text) as unknown;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new Error('topology YAML is not a mapping');
  }
  return doc as TopologySpec;
}

/**
 * Sets `server_configs.<component>."<key>"` and returns the edited topology for
 * `tiup cluster edit-config --topology-file`. Everything else, comments included, is kept.
 * `value` must already have the config's type (number, boolean, string): see typedConfigValue.
 */
export function mergeServerConfigs(text: string, component: ParamComponent, key: string, value: unknown): string {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new Error(`invalid topology YAML: ${doc.errors[0].message}`);
  if (!isMap(doc.contents)) throw new Error('topology YAML is not a mapping');
  // `server_configs:` or `tidb:` may be null or absent; setIn needs maps to walk through.
  if (!isMap(doc.getIn(['server_configs']))) doc.setIn(['server_configs'], doc.createNode({}));
  if (!isMap(doc.getIn(['server_configs', component]))) doc.setIn(['server_configs', component], doc.createNode({}));
  doc.setIn(['server_configs', component, key], value);
  return doc.toString({ lineWidth: 0 });
}

/** A catalogue value (always a string in the metadata) as TiUP's config needs it. */
export function typedConfigValue(type: 'int' | 'string' | 'bool' | 'size' | 'enum', raw: string): unknown {
  if (type === 'int' && /^-?\d+$/.test(raw.trim())) {
    const n = Number(raw);
    return Number.isSafeInteger(n) ? n : raw;
  }
  if (type === 'bool' && /^(true|false)$/i.test(raw.trim())) return raw.trim().toLowerCase() === 'true';
  // max-replicas is an enum of numbers: TiUP/PD expect an integer there.
  if (type === 'enum' && /^\d+$/.test(raw.trim())) return Number(raw);
  return raw;
}
