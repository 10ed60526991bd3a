// `tiup cluster <subcommand>` against the model, with tiup-cluster's output shapes and exit codes.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import YAML from 'yaml';
import type { Simulator } from './sim.js';
import { type ExecIO, type ParsedArgs, flagBool, parseArgs } from './tiup-exec.js';
import { OpRun } from './op-run.js';
import { AbortedError, ToolExit } from './util.js';
import { flattenServerConfigs, instancesFromTopology, parseTopology, portsText } from './topology.js';
import { clusterDir, removeTiupMeta, writeTiupMeta } from './storage.js';
import { nativePasswordHash, parseVersion, normalizeVersion, type ClusterModel, type Instance } from './model.js';
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

function getCluster(ctx: Ctx): ClusterModel {
  const name = ctx.args[0];
  const c = ctx.sim.fleet.get(name);
  if (!c) throw new ToolExit(1, `Cluster ${name} not found`, 'meta.cluster_not_exist');
  return c;
}

/** Without --yes tiup asks on the terminal; nobody can answer through a pipe. */
function confirm(ctx: Ctx, question: string): void {
  if (flagBool(ctx.p, 'yes')) return;
  ctx.io.out(question);
  ctx.io.out('Do you want to continue? [y/N]:(default=N) ');
  throw new ToolExit(1, "operation aborted by user (with answer '')", 'cli.operation_aborted');
}

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
    const c = sim.fleet.newCluster({
      name,
      version,
      deployUser: typeof globalUser === 'string' ? globalUser : 'tidb',
      tiupHome: io.tiupHome,
      origin: 'tiup',
      topology: topo,
      instances,
    });
    applyServerConfigs(c, undefined);
    writeTiupMeta(c);
    io.out(`Cluster \`${name}\` deployed successfully, you can start it with command: \`tiup cluster start ${name} --init\``);
  },

  async start(ctx) {
    need(ctx, 1, 'start <cluster-name> [flags]');
    const c = getCluster(ctx);
    await ctx.run.preflight();
    const init = flagBool(ctx.p, 'init');
    if (init && c.users.find((u) => u.user === 'root')?.authString) {
      throw new ToolExit(1, "Failed to set root password of TiDB database to 'xxx': Error 1045: Access denied for user 'root'@'127.0.0.1' (using password: NO)\nSuggestion: the --init flag works only while root has an empty password");
    }
    const lines = ['+ [ Serial ] - StartCluster'];
    for (const role of ['pd', 'tikv', 'tidb', 'tiflash', 'cdc', 'prometheus', 'grafana', 'alertmanager']) {
      const insts = c.instances.filter((i) => i.role === role);
      if (!insts.length) continue;
      lines.push(`Starting component ${role}`);
      for (const i of insts) lines.push(`\tStarting instance ${i.host}:${i.port}`);
      for (const i of insts) lines.push(`\tStart instance ${i.host}:${i.port} success`);
    }
    lines.push('Starting component node_exporter', 'Starting component blackbox_exporter', '+ [ Serial ] - UpdateTopology: cluster=' + c.name);
    await ctx.run.steps(lines, 500 + c.instances.length * 500);
    try {
      await ctx.sim.listeners.startCluster(c);
    } catch (e) {
      throw new ToolExit(1, `failed to start tidb: ${(e as Error).message}`, 'operator.start_failed');
    }
    c.started = true;
    ctx.io.out(`Cluster \`${c.name}\` started successfully`);
    if (init) {
      const pw = randomBytes(12).toString('base64').replace(/[+/=]/g, 'x');
      const root = c.users.find((u) => u.user === 'root');
      if (root) root.authString = nativePasswordHash(pw);
      ctx.io.out('The root password of TiDB database has been changed.');
      ctx.io.out(`The new password is: '${pw}'.`);
      ctx.io.out('Copy and record it to somewhere safe, it is only displayed once, and will not be stored.');
      ctx.io.out('The generated password can NOT be get and shown again.');
    }
  },

  async stop(ctx) {
    need(ctx, 1, 'stop <cluster-name> [flags]');
    const c = getCluster(ctx);
    await ctx.run.preflight();
    confirm(ctx, `Will stop the cluster ${c.name} with nodes: , roles: .`);
    const lines = ['+ [ Serial ] - StopCluster', ...c.instances.map((i) => `\tStop ${i.role} ${i.host}:${i.port} success`)];
    await ctx.run.steps(lines, 300 + c.instances.length * 300);
    await ctx.sim.listeners.stopCluster(c.name);
    c.started = false;
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
    const status = (i: Instance) => (!c.started ? 'Down' : i === firstPd ? 'Up|L' : 'Up');
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
            tls_enabled: false,
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
    if (dashboard) io.out(`Dashboard URL:      ${dashboard}`);
    io.out(table(['ID', 'Role', 'Host', 'Ports', 'OS/Arch', 'Status', 'Data Dir', 'Deploy Dir'], rows.map((r) => [r.id, r.role, r.host, r.ports, r.os_arch, r.status, r.data_dir, r.deploy_dir])));
    io.out(`Total nodes: ${rows.length}`);
  },

  async list(ctx) {
    await ctx.run.preflight();
    const rows = [...ctx.sim.fleet.clusters.values()].map((c) => {
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
    c.started = false;
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

  async 'edit-config'(ctx) {
    need(ctx, 1, 'edit-config <cluster-name> [flags]');
    const c = getCluster(ctx);
    await ctx.run.preflight();
    const file = ctx.p.flags.get('topology-file');
    if (!file) throw new ToolExit(1, 'no terminal editor available: pass --topology-file <file>', 'cli.editor');
    const topo = parseTopology(readFileArg(ctx, file), file);
    // Instances are immutable through edit-config (scale-in/out changes them).
    const before = c.instances.map((i) => `${i.role}@${i.host}:${i.port}`).sort().join(',');
    const after = instancesFromTopology(topo).map((i) => `${i.role}@${i.host}:${i.port}`).sort().join(',');
    if (before !== after) throw new ToolExit(1, 'immutable field changed: instance list differs; use scale-out/scale-in', 'spec.validate.immutable');
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
