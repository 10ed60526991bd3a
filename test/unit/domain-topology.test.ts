import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import {
  mergeServerConfigs,
  parseTopology,
  renderTopology,
  typedConfigValue,
  type RenderTopologyInput,
} from '../../domain/topology.js';
import type { ClusterInstance } from '../../domain/types.js';

let seq = 0;
function inst(component: ClusterInstance['component'], hostIp: string, ports: number[], over: Partial<ClusterInstance> = {}): ClusterInstance {
  seq += 1;
  return {
    id: `inst-${seq}`,
    clusterId: 'c-target',
    component,
    hostId: `host-${hostIp}`,
    hostIp,
    ports,
    diskId: `disk-${seq}`,
    diskPath: '/mnt/disk1',
    zone: 'Zone1',
    rack: 'Rack1',
    cpuCores: 4,
    memoryGb: 8,
    status: 'Initializing',
    ...over,
  };
}

function input(over: Partial<RenderTopologyInput> = {}): RenderTopologyInput {
  return {
    clusterId: 'c-target',
    version: 'v7.5.1',
    arch: 'X86_64',
    tls: false,
    deployUser: 'tidb',
    sshPort: 22,
    region: 'Region1',
    globalPorts: [11000, 11001],
    instances: [
      inst('PD', '127.0.2.11', [10040, 10041, 10042, 10043, 10044, 10045]),
      inst('TiDB', '127.0.2.12', [10000, 10001]),
      inst('TiKV', '127.0.2.13', [10020, 10021], { zone: 'Zone2', rack: 'Rack7', diskPath: '/data1/' }),
      inst('TiKV', '127.0.2.14', [10020, 10021]),
      inst('TiFlash', '127.0.2.15', [10120, 10121, 10122, 10123, 10124, 10125]),
      inst('CDC', '127.0.2.16', [10180, 10181]),
      inst('Prometheus', '127.0.2.11', [10042]),
      inst('Grafana', '127.0.2.11', [10043]),
      inst('AlertManager', '127.0.2.11', [10044, 10045]),
    ],
    ...over,
  };
}

describe('renderTopology', () => {
  const yaml = renderTopology(input());
  const t = parse(yaml);

  it('renders the global and monitored sections like TiEM', () => {
    expect(t.global).toEqual({
      user: 'tidb',
      group: 'tidb',
      ssh_port: 22,
      enable_tls: false,
      deploy_dir: 'c-target/tidb-deploy',
      data_dir: 'c-target/tidb-data',
      log_dir: 'c-target/tidb-log',
      os: 'linux',
      arch: 'amd64',
    });
    expect(t.monitored).toEqual({ node_exporter_port: 11000, blackbox_exporter_port: 11001 });
  });

  it.each([
    ['ARM64', 'arm64'],
    ['ARM', 'amd64'],
    ['X86', 'amd64'],
  ] as const)('arch %s renders %s', (arch, expected) => {
    expect(parse(renderTopology(input({ arch, tls: true }))).global).toMatchObject({ arch: expected, enable_tls: true });
  });

  it('sets PD location labels and merges given server configs over the defaults', () => {
    expect(t.server_configs.pd['replication.location-labels']).toEqual(['region', 'zone', 'rack', 'host']);
    expect(t.server_configs.grafana['auth.proxy.enabled']).toBe('true');
    const merged = parse(
      renderTopology(
        input({
          serverConfigs: {
            pd: { 'replication.max-replicas': 3 },
            tidb: { new_collations_enabled_on_first_bootstrap: true },
          },
        }),
      ),
    );
    expect(merged.server_configs.pd).toEqual({ 'replication.location-labels': ['region', 'zone', 'rack', 'host'], 'replication.max-replicas': 3 });
    expect(merged.server_configs.tidb).toEqual({ new_collations_enabled_on_first_bootstrap: true });
  });

  it('renders pd, tidb and tikv servers with TiEM ports and dirs', () => {
    expect(t.pd_servers).toEqual([
      { host: '127.0.2.11', client_port: 10040, peer_port: 10041, deploy_dir: '/mnt/disk1/c-target/pd-deploy', data_dir: '/mnt/disk1/c-target/pd-data' },
    ]);
    expect(t.tidb_servers).toEqual([{ host: '127.0.2.12', port: 10000, status_port: 10001, deploy_dir: '/mnt/disk1/c-target/tidb-deploy' }]);
    expect(t.tikv_servers).toHaveLength(2);
    expect(t.tikv_servers[0]).toEqual({
      host: '127.0.2.13',
      port: 10020,
      status_port: 10021,
      deploy_dir: '/data1/c-target/tikv-deploy',
      data_dir: '/data1/c-target/tikv-data',
      config: { 'server.labels': { region: 'Region1', zone: 'Zone2', rack: 'Rack7', host: 'host-127.0.2.13' } },
    });
  });

  it('renders tiflash, cdc and the monitoring servers', () => {
    expect(t.tiflash_servers[0]).toMatchObject({
      host: '127.0.2.15',
      tcp_port: 10120,
      http_port: 10121,
      flash_service_port: 10122,
      flash_proxy_port: 10123,
      flash_proxy_status_port: 10124,
      metrics_port: 10125,
      data_dir: '/mnt/disk1/c-target/tiflash-data',
    });
    expect(t.cdc_servers).toEqual([
      { host: '127.0.2.16', port: 10180, deploy_dir: '/mnt/disk1/c-target/cdc-deploy', data_dir: '/mnt/disk1/c-target/cdc-data', 'gc-ttl': 86400 },
    ]);
    expect(t.monitoring_servers).toEqual([
      { host: '127.0.2.11', port: 10042, deploy_dir: '/mnt/disk1/c-target/prometheus-deploy', data_dir: '/mnt/disk1/c-target/prometheus-data' },
    ]);
    expect(t.grafana_servers[0]).toMatchObject({ host: '127.0.2.11', port: 10043, anonymous_enable: true, org_role: 'Viewer' });
    expect(t.alertmanager_servers).toEqual([
      { host: '127.0.2.11', web_port: 10044, cluster_port: 10045, deploy_dir: '/mnt/disk1/c-target/alertmanager-deploy', data_dir: '/mnt/disk1/c-target/alertmanager-data' },
    ]);
  });

  it('omits optional server lists when there are no such instances', () => {
    const minimal = parse(renderTopology(input({ instances: input().instances.filter((i) => ['PD', 'TiDB', 'TiKV'].includes(i.component)) })));
    expect(minimal.tiflash_servers).toBeUndefined();
    expect(minimal.cdc_servers).toBeUndefined();
    expect(minimal.monitoring_servers).toBeUndefined();
    expect(minimal.pd_servers).toHaveLength(1);
  });

  it('refuses an instance without its ports and missing global ports', () => {
    expect(() => renderTopology(input({ instances: [inst('TiDB', '127.0.2.12', [4000])] }))).toThrow(/no port #1/);
    expect(() => renderTopology(input({ globalPorts: [11000] }))).toThrow(/global ports/);
  });
});

describe('parseTopology', () => {
  it('reads show-config output back as a typed object', () => {
    const spec = parseTopology(renderTopology(input()));
    expect(spec.global?.user).toBe('tidb');
    expect(spec.pd_servers?.[0].client_port).toBe(10040);
    expect(spec.tikv_servers?.map((s) => s.host)).toEqual(['127.0.2.13', '127.0.2.14']);
  });
  it('rejects YAML that is not a mapping', () => {
    expect(() => parseTopology('- a\n- b\n')).toThrow(/not a mapping/);
    expect(() => parseTopology('')).toThrow(/not a mapping/);
  });
});

describe('mergeServerConfigs', () => {
  const showConfig = `# managed by tiem
global:
  user: tidb
server_configs:
  tidb:
    log.level: info
  pd: {}
  tikv:
pd_servers:
  - host: 127.0.2.11
`;

  it('sets a dotted key under the component and keeps the rest', () => {
    const out = mergeServerConfigs(showConfig, 'pd', 'replication.max-replicas', 5);
    const t = parse(out);
    expect(t.server_configs.pd).toEqual({ 'replication.max-replicas': 5 });
    expect(t.server_configs.tidb).toEqual({ 'log.level': 'info' });
    expect(t.pd_servers).toEqual([{ host: '127.0.2.11' }]);
    expect(out).toContain('# managed by tiem');
  });

  it('replaces an existing value, fills a null component, creates a missing section', () => {
    expect(parse(mergeServerConfigs(showConfig, 'tidb', 'log.level', 'warn')).server_configs.tidb['log.level']).toBe('warn');
    expect(parse(mergeServerConfigs(showConfig, 'tikv', 'raftstore.apply-pool-size', 4)).server_configs.tikv).toEqual({ 'raftstore.apply-pool-size': 4 });
    expect(parse(mergeServerConfigs('global:\n  user: tidb\n', 'cdc', 'per-table-memory-quota', 1048576)).server_configs).toEqual({
      cdc: { 'per-table-memory-quota': 1048576 },
    });
  });

  it('rejects broken YAML', () => {
    expect(() => mergeServerConfigs('a: [1,', 'pd', 'x', 1)).toThrow(/invalid topology/);
  });
});

describe('typedConfigValue', () => {
  it('converts catalogue strings to config types', () => {
    expect(typedConfigValue('int', '4')).toBe(4);
    expect(typedConfigValue('enum', '3')).toBe(3);
    expect(typedConfigValue('enum', 'warn')).toBe('warn');
    expect(typedConfigValue('bool', 'TRUE')).toBe(true);
    expect(typedConfigValue('size', '4GiB')).toBe('4GiB');
    expect(typedConfigValue('int', '9223372036854775807')).toBe('9223372036854775807');
  });
});
