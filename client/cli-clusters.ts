// `tiem cluster list|show|takeover|delete`, `tiem hosts import|list`, `tiem param-group list|show|create` and `tiem reconcile`.
import { readFileSync } from 'node:fs';
import type { ClusterDetail, CreateParameterGroupBody, TakeoverRequestBody } from './api-types.js';
import { TiemError } from '../domain/errors.js';
import { EXIT, parse, readPassword, requirePositional, table, type CliContext, type ExitCode } from './cli-common.js';
import { exitCodeOfWorkflow, watchIntervalMs, watchWorkflow } from './cli-watch.js';
import { parseHostsFile } from './hosts-file.js';
import { toWatchState } from './watch-render.js';

function showCluster(c: ClusterDetail): string[] {
  const lines = [
    `cluster      ${c.clusterId}  ${c.clusterName}`,
    `version      ${c.clusterVersion} (${c.cpuArchitecture})`,
    `status       ${c.status}${c.maintainStatus ? `  maintenance: ${c.maintainStatus}` : ''}`,
    `region       ${c.region}   copies ${c.copies}   tls ${c.tls}   exclusive ${c.exclusive}`,
    `parameters   ${c.parameterGroupId || '-'}`,
    `created      ${c.createTime}   updated ${c.updateTime}`,
    `masters      ${c.relations.masters.join(', ') || '-'}`,
    `slaves       ${c.relations.slaves.join(', ') || '-'}`,
  ];
  if (c.tags.length) lines.push(`tags         ${c.tags.join(', ')}`);
  if (c.instances?.length) {
    lines.push('');
    const rows = c.instances.map((i) => [i.type, `${i.hostIp}:${i.ports[0] ?? ''}`, i.zone, i.rack, `${i.spec.cpu}C${i.spec.memory}G`, i.disk.path, i.status]);
    lines.push(...table(['TYPE', 'ADDRESS', 'ZONE', 'RACK', 'SPEC', 'DISK', 'STATUS'], rows));
  }
  return lines;
}

/** Prints the started workflow and follows it with --wait. */
async function started(ctx: CliContext, what: string, data: { workFlowId?: string; clusterId: string }, wait: boolean | undefined): Promise<ExitCode> {
  if (!wait || !data.workFlowId) {
    console.log(ctx.json ? JSON.stringify(data) : `${what} ${data.clusterId}${data.workFlowId ? `: workflow ${data.workFlowId}` : ''}`);
    return EXIT.ok;
  }
  if (!ctx.json) console.log(`${what} ${data.clusterId}: workflow ${data.workFlowId}`);
  const detail = await watchWorkflow(ctx.api, data.workFlowId, { quiet: ctx.json, intervalMs: watchIntervalMs(ctx.env) });
  const state = toWatchState(detail);
  if (ctx.json) console.log(JSON.stringify({ ...data, status: state.status, error: state.error, detail }));
  return exitCodeOfWorkflow(state);
}

export async function clusterCommand(ctx: CliContext, argv: string[]): Promise<ExitCode> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'list': {
      parse(rest, {});
      const clusters = await ctx.api.listClusters();
      if (ctx.json) console.log(JSON.stringify(clusters));
      else {
        const rows = clusters.map((c) => [c.clusterId, c.clusterName, c.clusterVersion, c.status, c.maintainStatus || '-', c.region, [...c.relations.masters.map((m) => `standby of ${m}`), ...c.relations.slaves.map((s) => `source of ${s}`)].join(', ') || '-']);
        for (const l of table(['ID', 'NAME', 'VERSION', 'STATUS', 'MAINTENANCE', 'REGION', 'RELATIONS'], rows)) console.log(l);
      }
      return EXIT.ok;
    }
    case 'show': {
      const { positionals } = parse(rest, {}, true);
      const c = await ctx.api.getCluster(requirePositional(positionals, '<clusterId>'));
      if (ctx.json) console.log(JSON.stringify(c));
      else for (const l of showCluster(c)) console.log(l);
      return EXIT.ok;
    }
    case 'takeover': {
      const { values } = parse(rest, {
        name: { type: 'string' },
        region: { type: 'string' },
        arch: { type: 'string' },
        copies: { type: 'string' },
        tag: { type: 'string', multiple: true },
        vendor: { type: 'string' },
        'password-stdin': { type: 'boolean' },
        wait: { type: 'boolean' },
      });
      if (!values.name || !values.region) throw new TiemError('PARAMETER_INVALID', 'takeover needs --name <tiup cluster name> and --region <region>');
      const body: TakeoverRequestBody = {
        clusterName: values.name,
        dbUser: 'root',
        dbPassword: await readPassword(values['password-stdin'], ctx.env),
        region: values.region,
        cpuArchitecture: values.arch as TakeoverRequestBody['cpuArchitecture'],
        copies: values.copies ? Number(values.copies) : undefined,
        tags: values.tag,
        vendor: values.vendor,
      };
      return started(ctx, 'took over cluster', await ctx.api.takeoverCluster(body), values.wait);
    }
    case 'delete': {
      const { values, positionals } = parse(rest, { force: { type: 'boolean' }, wait: { type: 'boolean' } }, true);
      const id = requirePositional(positionals, '<clusterId>');
      return started(ctx, 'deleting cluster', await ctx.api.deleteCluster(id, Boolean(values.force)), values.wait);
    }
    default:
      throw new TiemError('PARAMETER_INVALID', `unknown cluster command ${sub ?? '(none)'}: expected list, show, takeover or delete`);
  }
}

export async function hostsCommand(ctx: CliContext, argv: string[]): Promise<ExitCode> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'import': {
      const { positionals } = parse(rest, {}, true);
      const file = requirePositional(positionals, '<file.csv|file.json>');
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new TiemError('PARAMETER_INVALID', `${file}: ${(err as Error).message}`);
      }
      const hosts = parseHostsFile(file, text);
      const { hostIds } = await ctx.api.importHosts(hosts);
      if (ctx.json) console.log(JSON.stringify({ hostIds }));
      else console.log(`imported ${hostIds.length} host(s): ${hostIds.join(', ')}`);
      return EXIT.ok;
    }
    case 'list': {
      parse(rest, {});
      const hosts = await ctx.api.listHosts();
      if (ctx.json) console.log(JSON.stringify(hosts));
      else {
        const rows = hosts.map((h) => [h.ip, h.hostName, h.region, h.zone, h.rack, h.arch, `${h.freeCpuCores}/${h.cpuCores}C ${h.freeMemory}/${h.memory}G`, h.status, h.loadStat, h.disks.map((d) => `${d.name}:${d.capacity}G:${d.status}`).join(';')]);
        for (const l of table(['IP', 'NAME', 'REGION', 'ZONE', 'RACK', 'ARCH', 'FREE/TOTAL', 'STATUS', 'LOAD', 'DISKS'], rows)) console.log(l);
      }
      return EXIT.ok;
    }
    default:
      throw new TiemError('PARAMETER_INVALID', `unknown hosts command ${sub ?? '(none)'}: expected import or list`);
  }
}

/** `tiem reconcile [--dry-run]` runs the reconciler now; `tiem reconcile history` lists its repairs. */
export async function reconcileCommand(ctx: CliContext, argv: string[]): Promise<ExitCode> {
  if (argv[0] === 'history') {
    const { values } = parse(argv.slice(1), { limit: { type: 'string' } });
    const repairs = await ctx.api.listRepairs(values.limit ? Number(values.limit) : undefined);
    if (ctx.json) console.log(JSON.stringify(repairs));
    else if (!repairs.length) console.log('no repairs recorded');
    else for (const l of table(['AT', 'KIND', 'SUBJECT', 'HOLDER', 'WAS', 'OUTCOME', 'ACTION'], repairs.map((r) => [r.at, r.kind, r.subject, r.holder, r.holderStatus, r.outcome, r.error ? `${r.action} (${r.error})` : r.action]))) console.log(l);
    return EXIT.ok;
  }
  const { values } = parse(argv, { 'dry-run': { type: 'boolean' } });
  const dryRun = values['dry-run'] === true;
  const report = await ctx.api.runReconciler(dryRun);
  if (ctx.json) {
    console.log(JSON.stringify(report));
  } else if (!report.orphans.length) {
    console.log('nothing to repair: every hold, lock, allocation and changefeed belongs to a running workflow or a finished clone');
  } else if (dryRun) {
    console.log(`would repair ${report.orphans.length} item(s) (dry run, nothing changed):`);
    for (const l of table(['KIND', 'SUBJECT', 'HOLDER', 'WAS', 'ACTION'], report.orphans.map((o) => [o.kind, o.subject, o.holder, o.holderStatus, o.action]))) console.log(l);
  } else {
    for (const l of table(['KIND', 'SUBJECT', 'HOLDER', 'OUTCOME', 'DONE'], report.repairs.map((r) => [r.kind, r.subject, r.holder, r.outcome, r.error ?? r.action]))) console.log(l);
  }
  return report.repairs.some((r) => r.outcome === 'failed') ? EXIT.failed : EXIT.ok;
}

export async function parameterGroupCommand(ctx: CliContext, argv: string[]): Promise<ExitCode> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'list': {
      const { values } = parse(rest, { version: { type: 'string' }, name: { type: 'string' }, custom: { type: 'boolean' } });
      const groups = await ctx.api.listParameterGroups({ clusterVersion: values.version, name: values.name, hasDefault: values.custom ? 2 : undefined });
      if (ctx.json) console.log(JSON.stringify(groups));
      else for (const l of table(['ID', 'NAME', 'VERSION', 'KIND', 'SPEC', 'NOTE'], groups.map((g) => [g.paramGroupId, g.name, g.clusterVersion, g.hasDefault === 1 ? 'default' : 'custom', g.clusterSpec, g.note]))) console.log(l);
      return EXIT.ok;
    }
    case 'show': {
      const { positionals } = parse(rest, {}, true);
      const g = await ctx.api.getParameterGroup(requirePositional(positionals, '<paramGroupId>'));
      if (ctx.json) console.log(JSON.stringify(g));
      else {
        console.log(`${g.paramGroupId}  ${g.name}  ${g.clusterVersion}  ${g.hasDefault === 1 ? 'default' : 'custom'}`);
        for (const l of table(['PARAMETER', 'VALUE', 'APPLIED BY', 'REBOOT'], (g.params ?? []).map((p) => [p.paramId, p.defaultValue, ['TiUP', 'SQL', 'TiUP+SQL'][p.updateSource] ?? '', p.hasReboot ? 'yes' : 'no']))) console.log(l);
      }
      return EXIT.ok;
    }
    case 'create': {
      const { positionals } = parse(rest, {}, true);
      const file = requirePositional(positionals, '<group.json>');
      let body: CreateParameterGroupBody;
      try {
        body = JSON.parse(readFileSync(file, 'utf8')) as CreateParameterGroupBody;
      } catch (err) {
        throw new TiemError('MARSHAL_ERROR', `${file}: ${(err as Error).message}`);
      }
      const { paramGroupId } = await ctx.api.createParameterGroup(body);
      console.log(ctx.json ? JSON.stringify({ paramGroupId }) : `created parameter group ${paramGroupId}`);
      return EXIT.ok;
    }
    default:
      throw new TiemError('PARAMETER_INVALID', 'usage: tiem param-group list | show <paramGroupId> | create <group.json>');
  }
}
