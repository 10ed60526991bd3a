// `tiup cluster <subcommand>` against the model, with tiup-cluster's output shapes and exit codes.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import YAML from 'yaml';
import type { Simulator } from './sim.js';
import { type ExecIO, type ParsedArgs, flagBool, parseArgs } from './tiup-exec.js';
import { OpRun } from './op-run.js';
import { AbortedError, ToolExit, sleep } from './util.js';
import { flattenServerConfigs, instancesFromTopology, parseTopology, portsText } from './topology.js';
import { clusterDir, removeTiupMeta, writeTiupMeta } from './storage.js';
import { TLS_FILES, generateClusterTls, tlsDir } from './tls.js';
import {
  anyTidbServes,
  instanceId,
  isUp,
  nativePasswordHash,
  normalizeVersion,
  parseVersion,
  pdAvailable,
  storageAvailable,
  type ClusterModel,
  type Instance,
  type Role,
} from './model.js';
import { formatGoDuration } from './duration.js';
import { removeChangefeed } from './changefeeds.js';

const NAME_RE = /^[a-zA-Z0-9\-_.]+$/;

interface Ctx {
  sim: Simulator;
  io: ExecIO;
  p: ParsedArgs;
  args: string[];
  run: OpRun;
}

export async function runClusterCommand(sim: Simulator, io: ExecIO, args: string[]): Promise<number> {
  const p = parseArgs(args);
  const [sub, ...pos] = p.positional;
  const json = p.flags.get('format') === 'json';
  if (!sub) {
    io.out('Deploy a TiDB cluster for production\n\nUsage:\n  tiup cluster [command]');
    return 0;
  }
  const clusterName = sub === 'list' ? undefined : pos[0];
  const op = `tiup.cluster.${sub}`;
  const rec = sim.ops.start(op, clusterName, ['cluster', ...args]);
  let code = 0;
  try {
    const run = new OpRun(sim, io, sim.faults.take(op, clusterName));
    const ctx: Ctx = { sim, io, p, args: pos, run };
    const handler = HANDLERS[sub];
    if (!handler) throw new ToolExit(1, `unknown command "${sub}" for "tiup-cluster"`);
    await handler(ctx);
  } catch (e) {
    if (e instanceof AbortedError) {
      sim.ops.end(rec, 143);
      throw e;
    }
    if (!(e instanceof ToolExit)) throw e;
    code = e.exitCode;
    if (code !== 137) printError(io, e, json);
  }
  sim.ops.end(rec, code);
  return code;
}

function printError(io: ExecIO, e: ToolExit, json: boolean): void {
  const [first, ...more] = e.message.split('\n');
  io.err('');
  io.err(`Error: ${first}${e.errorType && !first.includes(`(${e.errorType})`) ? ` (${e.errorType})` : ''}`);
  for (const l of more) io.err(l);
  io.err('');
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  io.err(`Verbose debug logs has been written to ${path.join(io.tiupHome, 'logs', `tiup-cluster-debug-${stamp}.log`)}.`);
  if (json) io.err(JSON.stringify({ exit_code: e.exitCode, error: first }));
}

function need(ctx: Ctx, n: number, usage: string): void {
  if (ctx.args.length < n) throw new ToolExit(1, `accepts ${n} arg(s), received ${ctx.args.length}\nUsage: tiup cluster ${usage}`);
}

/** tiup-cluster knows only the clusters under its own TIUP_HOME (pkg/cluster/manager/list.go, spec.ClusterPath). */
const inThisHome = (ctx: Ctx, c: ClusterModel) => path.resolve(c.tiupHome) === path.resolve(ctx.io.tiupHome);

function getCluster(ctx: Ctx): ClusterModel {
  const name = ctx.args[0];
  const c = ctx.sim.fleet.get(name);
  if (!c || !inThisHome(ctx, c)) throw new ToolExit(1, `Cluster ${name} not found`, 'meta.cluster_not_exist');
  return c;
}

/** Without --yes tiup asks on the terminal; nobody can answer through a pipe. */
function confirm(ctx: Ctx, question: string): void {
  if (flagBool(ctx.p, 'yes')) return;
  ctx.io.out(question);
  ctx.io.out('Do you want to continue? [y/N]:(default=N) ');
  throw new ToolExit(1, "operation aborted by user (with answer '')", 'cli.operation_aborted');
}

/** The first change edit-config refuses, in TiUP's Go field paths; undefined when all changes are editable. */
function immutableChange(c: ClusterModel, topo: Record<string, unknown>): string | undefined {
  const g0 = (c.topology.global ?? {}) as Record<string, unknown>;
  const g1 = (topo.global ?? {}) as Record<string, unknown>;
  if ((g0.user ?? 'tidb') !== (g1.user ?? 'tidb')) return `GlobalOptions.User changed from '${String(g0.user ?? 'tidb')}' to '${String(g1.user ?? 'tidb')}'`;
  if (Boolean(g0.enable_tls) !== Boolean(g1.enable_tls)) return `GlobalOptions.TLSEnabled changed from '${Boolean(g0.enable_tls)}' to '${Boolean(g1.enable_tls)}'`;
  const id = (i: { role: string; host: string; port: number }) => `${i.role}@${i.host}:${i.port}`;
  const before = new Set(c.instances.map(id));
  const after = instancesFromTopology(topo);
  const added = after.find((i) => !before.has(id(i)));
  if (added) return `added ${GO_SERVERS[added.role] ?? added.role}.${after.indexOf(added)}.Host with value '${added.host}'`;
  const now = new Set(after.map(id));
  const removed = c.instances.find((i) => !now.has(id(i)));
  if (removed) return `removed ${GO_SERVERS[removed.role] ?? removed.role}.${c.instances.indexOf(removed)}.Host with value '${removed.host}'`;
  return undefined;
}

const GO_SERVERS: Record<string, string> = { pd: 'PDServers', tikv: 'TiKVServers', tidb: 'TiDBServers', tiflash: 'TiFlashServers', cdc: 'CDCServers', prometheus: 'Monitors', grafana: 'Grafanas', alertmanager: 'Alertmanagers' };

function readFileArg(ctx: Ctx, file: string): string {
  const full = path.resolve(ctx.io.cwd, file);
  try {
    return fs.readFileSync(full, 'utf8');
  } catch (e) {
    throw new ToolExit(1, `open ${full}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
  }
}

function selectInstances(ctx: Ctx, c: ClusterModel): Instance[] {
  const roles = (ctx.p.flags.get('role') ?? '').split(',').filter(Boolean);
  const nodes = (ctx.p.flags.get('node') ?? '').split(',').filter(Boolean);
  return c.instances.filter((i) => (!roles.length || roles.includes(i.role)) && (!nodes.length || nodes.includes(`${i.host}:${i.port}`) || nodes.includes(i.host)));
}

// ---- start / stop of roles and nodes, as tiup-cluster's operator does it ----

/**
 * The role names `-R` accepts. pingcap/tiup pkg/cluster/spec/spec.go AllComponentNames: the component names
 * of ComponentsByStartOrder, tispark by its role (tispark-master/-worker); constants in pkg/cluster/spec/instance.go.
 */
const TIUP_ROLE_NAMES = [
  'pd', 'tso', 'scheduling', 'router', 'resource-manager', 'tidb-dashboard', 'tiproxy', 'tikv', 'pump', 'tidb', 'tiflash',
  'drainer', 'cdc', 'tikv-cdc', 'prometheus', 'grafana', 'alertmanager', 'tispark-master', 'tispark-worker',
];

/**
 * pingcap/tiup pkg/cluster/spec/spec.go ComponentsByStartOrder (pd … tikv … tidb, tiflash … cdc … prometheus, grafana,
 * alertmanager), restricted to the roles the simulator models; ComponentsByStopOrder is the reverse.
 */
const START_ORDER: Role[] = ['pd', 'tikv', 'tidb', 'tiflash', 'cdc', 'prometheus', 'grafana', 'alertmanager'];
const STOP_ORDER: Role[] = [...START_ORDER].reverse();

/**
 * `--role/-R`, `--node/-N` are cobra StringSliceVarP flags (pingcap/tiup components/cluster/command/start.go,
 * stop.go): comma-separated, repeatable (parseArgs joins repeats with ","), "" is the empty list. No trimming.
 */
function sliceFlag(p: ParsedArgs, name: string): string[] {
  const v = p.flags.get(name);
  return v === undefined || v === '' ? [] : v.split(',');
}

/**
 * pingcap/tiup components/cluster/command/reload.go validRoles (called by start.go and stop.go before the cluster is
 * even loaded): a role that is not a TiUP component name is an error; the message prints the Go slice.
 */
function validRoles(roles: string[]): void {
  for (const r of roles) {
    if (!TIUP_ROLE_NAMES.includes(r)) throw new ToolExit(1, `not valid role: ${r}, should be one of: [${TIUP_ROLE_NAMES.join(' ')}]`);
  }
}

interface ComponentStep {
  role: Role;
  insts: Instance[];
}

/**
 * pingcap/tiup pkg/cluster/operation/action.go Start/Stop: walk the components in start (stop) order,
 * FilterComponent by the role set, then FilterInstance by the node set, per component
 * (pkg/cluster/operation/operation.go). So -R and -N narrow together (an instance must match both);
 * an empty set means "all"; a valid role the topology lacks, or a node ID (host:port, BaseInstance.ID in
 * pkg/cluster/spec/instance.go — a bare host does not match) that is no instance, silently selects nothing.
 */
function operatorSteps(c: ClusterModel, roles: string[], nodes: string[], order: Role[]): ComponentStep[] {
  const roleSet = new Set(roles);
  const nodeSet = new Set(nodes);
  const steps: ComponentStep[] = [];
  for (const role of order) {
    if (roleSet.size && !roleSet.has(role)) continue; // FilterComponent
    const insts = c.instances.filter((i) => i.role === role && (!nodeSet.size || nodeSet.has(instanceId(i)))); // FilterInstance
    // StartComponent/StopComponent return at once (no "Starting component" line) for no instances.
    if (insts.length) steps.push({ role, insts });
  }
  return steps;
}

/**
 * Whether an instance that is started would pass tiup's Ready check (pingcap/tiup pkg/cluster/operation/action.go
 * startInstance → BaseInstance.Ready → pkg/cluster/spec/instance.go PortStarted): the simulated processes open their
 * port only once what they need is up — TiKV/TiFlash/CDC need PD, TiDB needs PD and TiKV (`running` = state so far).
 */
function wouldBecomeReady(c: ClusterModel, inst: Instance, running: Set<Instance>): boolean {
  const projected: ClusterModel = { ...c, running };
  switch (inst.role) {
    case 'tikv':
    case 'tiflash':
    case 'cdc':
      return pdAvailable(projected);
    case 'tidb':
      return storageAvailable(projected);
    default:
      return true;
  }
}

/** The root flag `--wait-timeout` (seconds, default 120; pingcap/tiup components/cluster/command/root.go). */
function waitTimeoutSec(ctx: Ctx): number {
  const v = Number(ctx.p.flags.get('wait-timeout') ?? 120);
  return Number.isFinite(v) && v >= 0 ? v : 120;
}

/** Hosts for node_exporter/blackbox_exporter lines, in instance order. */
function uniqueHosts(insts: Instance[]): string[] {
  return [...new Set(insts.map((i) => i.host))];
}

const HANDLERS: Record<string, (ctx: Ctx) => Promise<void>> = {
  async deploy(ctx) {
    need(ctx, 3, 'deploy <cluster-name> <version> <topology.yaml> [flags]');
    const [name, version, file] = ctx.args;
    const { sim, io } = ctx;
    await ctx.run.preflight();
    if (!NAME_RE.test(name)) throw new ToolExit(1, `Cluster name '${name}' is invalid`, 'deploy.name_invalid');
    if (!parseVersion(version)) throw new ToolExit(1, `'${version}' is not a valid version string`, 'deploy.version_invalid');
    if (sim.fleet.get(name)) throw new ToolExit(1, `Cluster name '${name}' is duplicated\n\nPlease specify another cluster name`, 'deploy.name_dup');
    if (flagBool(ctx.p, 'password')) throw new ToolExit(1, 'cannot read the SSH password: stdin is not a terminal', 'cli.password_prompt');
    const topo = parseTopology(readFileArg(ctx, file), file);
    const instances = instancesFromTopology(topo);
    for (const other of sim.fleet.clusters.values()) {
      for (const i of instances) {
        if (other.instances.some((o) => o.host === i.host && (o.port === i.port || o.statusPort === i.port || o.peerPort === i.port))) {
          throw new ToolExit(1, `Deploy port conflicts to an existing cluster: ${i.host}:${i.port} is used by cluster '${other.name}'`, 'spec.deploy.port_conflict');
        }
      }
    }
    const globalUser = ((topo.global ?? {}) as Record<string, unknown>).user;
    confirm(ctx, `Cluster type:    tidb\nCluster name:    ${name}\nCluster version: ${normalizeVersion(version)}\nRole        Host  Ports\n${instances.map((i) => `${i.role}  ${i.host}  ${portsText(i)}`).join('\n')}\nAttention:\n    1. If the topology is not what you expected, check your yaml file.\n    2. Please confirm there is no port/directory conflicts in same host.`);
    const hosts = [...new Set(instances.map((i) => i.host))];
    const lines = [
      '+ Detect CPU Arch Name',
      ...hosts.map((h) => `  - Detecting node ${h} Arch info ... Done`),
      '+ Detect CPU OS Name',
      ...hosts.map((h) => `  - Detecting node ${h} OS info ... Done`),
      '+ Generate SSH keys ... Done',
      '+ Download TiDB components',
      ...[...new Set(instances.map((i) => i.role))].map((r) => `  - Download ${r}:${normalizeVersion(version)} (linux/amd64) ... Done`),
      '+ Initialize target host environments',
      ...hosts.map((h) => `  - Prepare ${h}:22 ... Done`),
      '+ Deploy TiDB instance',
      ...instances.map((i) => `  - Copy ${i.role} -> ${i.host} ... Done`),
      '+ Copy certificate to remote host',
      '+ Init instance configs',
      ...instances.map((i) => `  - Generate config ${i.role} -> ${i.host}:${i.port} ... Done`),
      '+ Init monitor configs',
      ...[...new Set(instances.map((i) => i.role))].map((r) => `Enabling component ${r}`),
    ];
    await ctx.run.steps(lines, 1000 + instances.length * 1000);
    // pingcap/tiup pkg/cluster/manager/deploy.go: with enable_tls the CA and client pair are generated into the cluster's tls/.
    const tls = ((topo.global ?? {}) as Record<string, unknown>).enable_tls === true ? await generateClusterTls(io.tiupHome, name, hosts) : undefined;
    const c = sim.fleet.newCluster({
      name,
      version,
      deployUser: typeof globalUser === 'string' ? globalUser : 'tidb',
      tiupHome: io.tiupHome,
      origin: 'tiup',
      topology: topo,
      instances,
    });
    if (tls) c.tls = tls;
    applyServerConfigs(c, undefined);
    writeTiupMeta(c);
    io.out(`Cluster \`${name}\` deployed successfully, you can start it with command: \`tiup cluster start ${name} --init\``);
  },

  async start(ctx) {
    need(ctx, 1, 'start <cluster-name> [flags]');
    const roles = sliceFlag(ctx.p, 'role');
    const nodes = sliceFlag(ctx.p, 'node');
    validRoles(roles); // pingcap/tiup components/cluster/command/start.go: before the cluster is loaded
    const c = getCluster(ctx);
    await ctx.run.preflight();
    const init = flagBool(ctx.p, 'init');
    const waitSec = waitTimeoutSec(ctx);
    // pingcap/tiup pkg/cluster/operation/action.go Start: component by component in start order, each filtered.
    const steps = operatorSteps(c, roles, nodes, START_ORDER);
    const projected = new Set(c.running);
    const ready: ComponentStep[] = [];
    let stuck: { role: Role; inst: Instance } | undefined;
    const lines = ['+ [ Serial ] - StartCluster'];
    for (const step of steps) {
      lines.push(`Starting component ${step.role}`);
      for (const i of step.insts) lines.push(`\tStarting instance ${instanceId(i)}`);
      const blocked = step.insts.find((i) => !projected.has(i) && !wouldBecomeReady(c, i, projected));
      if (blocked) {
        // Start returns at the first failing component: later components are not started.
        stuck = { role: step.role, inst: blocked };
        break;
      }
      for (const i of step.insts) {
        lines.push(`\tStart instance ${instanceId(i)} success`);
        projected.add(i);
      }
      ready.push(step);
    }
    if (!stuck) {
      // Start → StartMonitored on the hosts of the instances it started (uniqueHosts in action.go).
      const hosts = uniqueHosts(ready.flatMap((s) => s.insts));
      for (const comp of ['node_exporter', 'blackbox_exporter']) {
        lines.push(`Starting component ${comp}`, ...hosts.map((h) => `\tStarting instance ${h}`), ...hosts.map((h) => `\tStart ${h} success`));
      }
      lines.push('+ [ Serial ] - UpdateTopology: cluster=' + c.name);
    }
    const n = steps.reduce((a, s) => a + s.insts.length, 0);
    await ctx.run.steps(lines, 500 + n * 500);
    for (const step of ready) {
      try {
        await ctx.sim.listeners.startInstances(c, step.insts);
      } catch (e) {
        throw new ToolExit(1, `failed to start ${step.role}: ${(e as Error).message}`, 'operator.start_failed');
      }
    }
    if (stuck) {
      // PortStarted gives up after --wait-timeout; the error is annotated by toFailedActionError and Start (action.go).
      await sleep(ctx.sim.scaled(waitSec * 1000), ctx.io.signal);
      const { role, inst } = stuck;
      throw new ToolExit(
        1,
        `failed to start ${role}: failed to start: ${inst.host} ${role}-${inst.port}.service, please check the instance's log(/tidb-deploy/${role}-${inst.port}/log) for more detail.: timed out waiting for port ${inst.port} to be started after ${formatGoDuration(waitSec * 1000)}`,
      );
    }
    ctx.io.out(`Cluster \`${c.name}\` started successfully`);
    if (init) {
      // pingcap/tiup components/cluster/command/start.go initPassword: after the start, through the first TiDB of
      // the topology that answers (any of them, whatever -R/-N started); root must still have an empty password.
      const pw = randomBytes(12).toString('base64').replace(/[+/=]/g, 'x');
      const root = c.users.find((u) => u.user === 'root');
      const tidbs = c.instances.filter((i) => i.role === 'tidb');
      if (!anyTidbServes(c)) {
        ctx.io.err(`Failed to set root password of TiDB database to '${pw}'`);
        const last = tidbs[tidbs.length - 1];
        throw new ToolExit(1, `dial tcp ${last ? instanceId(last) : '127.0.0.1:4000'}: connect: connection refused`);
      }
      if (root?.authString) {
        throw new ToolExit(1, "Failed to set root password of TiDB database to 'xxx': Error 1045: Access denied for user 'root'@'127.0.0.1' (using password: NO)\nSuggestion: the --init flag works only while root has an empty password");
      }
      if (root) root.authString = nativePasswordHash(pw);
      ctx.io.out('The root password of TiDB database has been changed.');
      ctx.io.out(`The new password is: '${pw}'.`);
      ctx.io.out('Copy and record it to somewhere safe, it is only displayed once, and will not be stored.');
      ctx.io.out('The generated password can NOT be get and shown again.');
    }
  },

  async stop(ctx) {
    need(ctx, 1, 'stop <cluster-name> [flags]');
    const roles = sliceFlag(ctx.p, 'role');
    const nodes = sliceFlag(ctx.p, 'node');
    validRoles(roles); // pingcap/tiup components/cluster/command/stop.go: before the cluster is loaded
    const c = getCluster(ctx);
    await ctx.run.preflight();
    // pingcap/tiup pkg/cluster/manager/basic.go StopCluster: the prompt names the -N/-R filters.
    confirm(ctx, `Will stop the cluster ${c.name} with nodes: ${nodes.join(',')}, roles: ${roles.join(',')}.`);
    // pingcap/tiup pkg/cluster/operation/action.go Stop: components in stop order, each filtered by roles then nodes.
    const steps = operatorSteps(c, roles, nodes, STOP_ORDER);
    const lines = ['+ [ Serial ] - StopCluster'];
    for (const step of steps) {
      lines.push(`Stopping component ${step.role}`);
      for (const i of step.insts) lines.push(`\tStopping instance ${i.host}`);
      for (const i of step.insts) lines.push(`\tStop ${step.role} ${instanceId(i)} success`);
    }
    // Stop → StopMonitored only on hosts none of whose instances is left out of this stop (instCount in action.go).
    const stopped = new Set(steps.flatMap((s) => s.insts));
    const hosts = uniqueHosts(c.instances).filter((h) => c.instances.every((i) => i.host !== h || stopped.has(i)));
    for (const comp of ['node_exporter', 'blackbox_exporter']) {
      lines.push(`Stopping component ${comp}`, ...hosts.map((h) => `\tStopping instance ${h}`), ...hosts.map((h) => `\tStop ${h} success`));
    }
    await ctx.run.steps(lines, 300 + stopped.size * 300);
    for (const step of steps) await ctx.sim.listeners.stopInstances(c, step.insts);
    ctx.io.out(`Stopped cluster \`${c.name}\` successfully`);
  },

  async restart(ctx) {
    await HANDLERS.stop({ ...ctx, p: { ...ctx.p, flags: new Map([...ctx.p.flags, ['yes', 'true']]) } });
    await HANDLERS.start(ctx);
  },

  async display(ctx) {
    need(ctx, 1, 'display <cluster-name> [flags]');
    const c = getCluster(ctx);
    await ctx.run.preflight();
    if (ctx.run.dieAt !== undefined) throw new ToolExit(137, '');
    const insts = selectInstances(ctx, c);
    const firstPd = c.instances.find((i) => i.role === 'pd');
    const dashboard = firstPd ? `http://${firstPd.host}:${firstPd.port}/dashboard` : '';
    const grafana = c.instances.filter((i) => i.role === 'grafana').map((i) => `http://${i.host}:${i.port}`);
    const pdUp = pdAvailable(c);
    // The PD leader is one of the running PDs (there is none without a quorum).
    const leader = pdUp ? c.instances.find((i) => i.role === 'pd' && isUp(c, i)) : undefined;
    const status = (i: Instance) => {
      if (i.role === 'tikv' || i.role === 'tiflash') {
        // Store state comes from PD (pingcap/tiup pkg/cluster/spec/tikv.go checkStoreStatus): a stopped store with PD
        // up is `Disconnected`. PD down: the simulator says `Down` (real tiup: `N/A`, see Known gaps).
        if (!pdUp) return 'Down';
        return isUp(c, i) ? 'Up' : 'Disconnected';
      }
      if (!isUp(c, i)) return 'Down';
      return i === leader ? 'Up|L' : 'Up';
    };
    const rows = insts.map((i) => ({
      id: `${i.host}:${i.port}`,
      role: i.role,
      host: i.host,
      manage_host: i.host,
      ports: portsText(i),
      os_arch: 'linux/x86_64',
      status: status(i),
      memory: '-',
      memory_limit: '-',
      cpu_quota: '-',
      since: '-',
      data_dir: ['tidb', 'grafana'].includes(i.role) ? '-' : `/tidb-data/${i.role}-${i.port}`,
      deploy_dir: `/tidb-deploy/${i.role}-${i.port}`,
      numa_node: '-',
      numa_cores: '-',
      version: '',
      ComponentName: i.role,
      Port: i.port,
    }));
    if (ctx.p.flags.get('format') === 'json') {
      ctx.io.out(
        JSON.stringify({
          cluster_meta: {
            cluster_type: 'tidb',
            cluster_name: c.name,
            cluster_version: c.version,
            deploy_user: c.deployUser,
            ssh_type: 'builtin',
            tls_enabled: Boolean(c.tls),
            // pingcap/tiup pkg/cluster/manager/display.go: the control host's TLS files, only when TLS is on.
            ...(c.tls
              ? {
                  tls_ca_cert: path.join(tlsDir(c.tiupHome, c.name), TLS_FILES.caCert),
                  tls_client_cert: path.join(tlsDir(c.tiupHome, c.name), TLS_FILES.clientCert),
                  tls_client_key: path.join(tlsDir(c.tiupHome, c.name), TLS_FILES.clientKey),
                }
              : {}),
            dashboard_url: dashboard,
            dashboard_urls: dashboard ? [dashboard] : [],
            grafana_urls: grafana,
          },
          instances: rows,
          location_label: '',
        }),
      );
      return;
    }
    const io = ctx.io;
    io.out(`Cluster type:       tidb`);
    io.out(`Cluster name:       ${c.name}`);
    io.out(`Cluster version:    ${c.version}`);
    io.out(`Deploy user:        ${c.deployUser}`);
    io.out(`SSH type:           builtin`);
    if (c.tls) {
      io.out(`TLS encryption:     enabled`);
      io.out(`CA certificate:     ${path.join(tlsDir(c.tiupHome, c.name), TLS_FILES.caCert)}`);
      io.out(`Client private key: ${path.join(tlsDir(c.tiupHome, c.name), TLS_FILES.clientKey)}`);
      io.out(`Client certificate: ${path.join(tlsDir(c.tiupHome, c.name), TLS_FILES.clientCert)}`);
    }
    if (dashboard) io.out(`Dashboard URL:      ${dashboard}`);
    io.out(table(['ID', 'Role', 'Host', 'Ports', 'OS/Arch', 'Status', 'Data Dir', 'Deploy Dir'], rows.map((r) => [r.id, r.role, r.host, r.ports, r.os_arch, r.status, r.data_dir, r.deploy_dir])));
    io.out(`Total nodes: ${rows.length}`);
  },

  async list(ctx) {
    await ctx.run.preflight();
    const rows = [...ctx.sim.fleet.clusters.values()].filter((c) => inThisHome(ctx, c)).sort((a, b) => a.name.localeCompare(b.name)).map((c) => {
      const dir = clusterDir(c.tiupHome, c.name);
      return { name: c.name, user: c.deployUser, version: c.version, path: dir, private_key: path.join(dir, 'ssh', 'id_rsa') };
    });
    if (ctx.p.flags.get('format') === 'json') {
      ctx.io.out(JSON.stringify({ clusters: rows }));
      return;
    }
    ctx.io.out(table(['Name', 'User', 'Version', 'Path', 'PrivateKey'], rows.map((r) => [r.name, r.user, r.version, r.path, r.private_key])));
  },

  async destroy(ctx) {
    need(ctx, 1, 'destroy <cluster-name> [flags]');
    const c = getCluster(ctx);
    await ctx.run.preflight();
    confirm(ctx, `This operation will destroy tidb ${c.version} cluster ${c.name} and its data.\nAre you sure to continue?`);
    const lines = [
      '+ [ Serial ] - StopCluster',
      ...c.instances.map((i) => `\tStop ${i.role} ${i.host}:${i.port} success`),
      '+ [ Serial ] - DestroyCluster',
      ...c.instances.map((i) => `Destroying instance ${i.host}`),
      `Destroy ${c.name} success`,
    ];
    await ctx.run.steps(lines, 300 + c.instances.length * 200);
    await ctx.sim.listeners.stopCluster(c.name);
    for (const id of [...c.changefeeds.keys()]) removeChangefeed(c, id);
    ctx.sim.fleet.clusters.delete(c.name);
    removeTiupMeta(c);
    ctx.io.out(`Destroyed cluster \`${c.name}\` successfully`);
  },

  async 'show-config'(ctx) {
    need(ctx, 1, 'show-config <cluster-name>');
    const c = getCluster(ctx);
    await ctx.run.preflight();
    ctx.io.out(YAML.stringify(c.topology).replace(/\n$/, ''));
  },

  // pingcap/tiup pkg/cluster/manager/edit_config.go @ v1.16.5 (EditConfig, editTopo): with
  // --topology-file every refusal prints why and `Nothing changed.`, and exits 0.
  async 'edit-config'(ctx) {
    need(ctx, 1, 'edit-config <cluster-name> [flags]');
    const c = getCluster(ctx);
    await ctx.run.preflight();
    const file = ctx.p.flags.get('topology-file');
    if (!file) throw new ToolExit(1, 'no terminal editor available: pass --topology-file <file>', 'cli.editor');
    const text = readFileArg(ctx, file);
    // A byte comparison with the stored topology, not a semantic one.
    if (text === YAML.stringify(c.topology)) {
      ctx.io.out('The file has nothing changed');
      return;
    }
    const refuse = (why: string) => {
      ctx.io.out('New topology could not be saved: ');
      ctx.io.err(why);
      ctx.io.out('Nothing changed.');
    };
    let topo: Record<string, unknown>;
    try {
      topo = parseTopology(text, file);
    } catch (e) {
      return refuse(`Failed to parse topology file: ${(e as Error).message}`);
    }
    // ValidateSpecDiff (pkg/utils/diff.go): hosts, ports, directories, the instance list, global.user
    // and enable_tls carry no `editable` tag.
    const immutable = immutableChange(c, topo);
    if (immutable) return refuse(`immutable field changed: ${immutable}`);
    confirm(ctx, 'Please check change highlight above, do you want to apply the change?');
    c.topology = topo;
    writeTiupMeta(c);
    ctx.io.out(`Applied successfully, please use \`tiup cluster reload ${c.name} [-N <nodes>] [-R <roles>]\` to reload config.`);
  },

  async reload(ctx) {
    need(ctx, 1, 'reload <cluster-name> [flags]');
    const c = getCluster(ctx);
    await ctx.run.preflight();
    const insts = selectInstances(ctx, c);
    const lines = ['+ [ Serial ] - UpdateTopology', ...insts.map((i) => `\tRestart instance ${i.host}:${i.port} success`)];
    await ctx.run.steps(lines, 300 + insts.length * 400);
    applyServerConfigs(c, new Set(insts.map((i) => i.role)));
    ctx.io.out(`Reloaded cluster \`${c.name}\` successfully`);
  },

  async push(ctx) {
    need(ctx, 3, 'push <cluster-name> <local-path> <remote-path> [flags]');
    const c = getCluster(ctx);
    await ctx.run.preflight();
    const [, local, remote] = ctx.args;
    const content = readFileArg(ctx, local);
    const hosts = [...new Set(selectInstances(ctx, c).map((i) => i.host))];
    const lines = hosts.map((h) => `+ [ Serial ] - Push ${local} -> ${h}:${remote} ... Done`);
    await ctx.run.steps(lines, 200 + hosts.length * 100);
    for (const host of hosts) {
      c.pushedFiles = c.pushedFiles.filter((f) => !(f.host === host && f.remotePath === remote));
      c.pushedFiles.push({ host, remotePath: remote, localPath: path.resolve(ctx.io.cwd, local), content, pushedAt: new Date().toISOString() });
    }
  },

  async check(ctx) {
    need(ctx, 1, 'check <topology.yml | cluster-name> [flags]');
    await ctx.run.preflight();
    const target = ctx.args[0];
    let hosts: string[];
    if (flagBool(ctx.p, 'cluster')) hosts = [...new Set(getCluster(ctx).instances.map((i) => i.host))];
    else hosts = [...new Set(instancesFromTopology(parseTopology(readFileArg(ctx, target), target)).map((i) => i.host))];
    const result = hosts.flatMap((h) => [
      { node: h, name: 'os-version', status: 'Pass', message: 'OS is CentOS Linux 7 (Core) 7.9.2009' },
      { node: h, name: 'cpu-cores', status: 'Pass', message: 'number of CPU cores / threads: 16' },
      { node: h, name: 'memory', status: 'Pass', message: 'memory size is 32768MB' },
    ]);
    if (ctx.p.flags.get('format') === 'json') ctx.io.out(JSON.stringify({ result }));
    else ctx.io.out(table(['Node', 'Check', 'Result', 'Message'], result.map((r) => [r.node, r.name, r.status, r.message])));
  },
};

/** server_configs of the topology → the live config of the selected components. */
function applyServerConfigs(c: ClusterModel, roles: Set<string> | undefined): void {
  for (const [comp, conf] of Object.entries(flattenServerConfigs(c.topology))) {
    if (roles && !roles.has(comp)) continue;
    c.config[comp] = { ...(c.config[comp] ?? {}), ...conf };
  }
}

function table(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const fmt = (r: string[]) => r.map((x, i) => String(x).padEnd(w[i])).join('  ').trimEnd();
  return [fmt(header), fmt(w.map((n) => '-'.repeat(n))), ...rows.map(fmt)].join('\n');
}
