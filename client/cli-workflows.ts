// `tiem clone | watch | status | list | stop | start | cancel`: starting and following workflows through the API.
import { readFileSync } from 'node:fs';
import type { ClonePreflightData, CloneRequestBody, WorkflowDetail, WorkflowSummary } from './api-types.js';
import { TiemError } from '../domain/errors.js';
import type { CloneClusterRequest, ComponentType, InstanceResource } from '../domain/types.js';
import { EXIT, parse, readPassword, requirePositional, table, type CliContext, type ExitCode } from './cli-common.js';
import { exitCodeOfWorkflow, watchIntervalMs, watchWorkflow } from './cli-watch.js';
import { renderFrame, toWatchState } from './watch-render.js';

function componentsFrom(specs: string[]): InstanceResource[] {
  const byType = new Map<string, InstanceResource>();
  for (const s of specs) {
    const [componentType, zoneCode, specCode, count] = s.split(':');
    if (!componentType || !zoneCode || !specCode || !count) throw new TiemError('PARAMETER_INVALID', `--component ${s}: expected <type>:<zone>:<spec>:<count>`);
    const r = byType.get(componentType) ?? { componentType: componentType as ComponentType, resource: [] };
    r.resource.push({ zoneCode, specCode, count: Number(count) });
    byType.set(componentType, r);
  }
  return [...byType.values()];
}

/** Follows to the end and prints the outcome; the exit code is the workflow's. */
async function follow(ctx: CliContext, workFlowId: string, extra: Record<string, unknown> = {}): Promise<ExitCode> {
  const detail = await watchWorkflow(ctx.api, workFlowId, { quiet: ctx.json, intervalMs: watchIntervalMs(ctx.env) });
  const state = toWatchState(detail);
  if (ctx.json) console.log(JSON.stringify({ ...extra, workFlowId, status: state.status, error: state.error, detail }));
  return exitCodeOfWorkflow(state);
}

export async function cloneCommand(ctx: CliContext, argv: string[]): Promise<ExitCode> {
  const { values } = parse(argv, {
    file: { type: 'string' },
    source: { type: 'string' },
    name: { type: 'string' },
    version: { type: 'string' },
    strategy: { type: 'string' },
    region: { type: 'string' },
    arch: { type: 'string' },
    component: { type: 'string', multiple: true },
    copies: { type: 'string' },
    'parameter-group': { type: 'string' },
    'request-id': { type: 'string' },
    'destroy-on-failure': { type: 'boolean' },
    'password-stdin': { type: 'boolean' },
    'no-wait': { type: 'boolean' },
    'dry-run': { type: 'boolean' },
  });
  let request: CloneClusterRequest;
  if (values.file) {
    try {
      request = JSON.parse(readFileSync(values.file, 'utf8')) as CloneClusterRequest;
    } catch (err) {
      throw new TiemError('MARSHAL_ERROR', `${values.file}: ${(err as Error).message}`);
    }
  } else {
    request = {
      sourceClusterId: values.source ?? '',
      clusterName: values.name ?? '',
      clusterVersion: values.version ?? '',
      cloneStrategy: (values.strategy ?? '') as CloneClusterRequest['cloneStrategy'],
      region: values.region ?? '',
      cpuArchitecture: (values.arch ?? 'X86_64') as CloneClusterRequest['cpuArchitecture'],
      dbPassword: '',
      copies: values.copies ? Number(values.copies) : undefined,
      parameterGroupID: values['parameter-group'],
      requestId: values['request-id'],
      resourceParameters: { instanceResource: componentsFrom(values.component ?? []) },
    };
  }
  if (values.file && request.dbPassword) {
    console.error('note: dbPassword in the request file is used; prefer TIEM_DB_PASSWORD or --password-stdin');
  } else {
    request.dbPassword = await readPassword(values['password-stdin'], ctx.env);
  }
  const body: CloneRequestBody = { ...request, ...(values['destroy-on-failure'] ? { destroyOnFailure: true } : {}) };
  if (values['dry-run']) {
    const pre = await ctx.api.precheckClone(body);
    if (ctx.json) console.log(JSON.stringify(pre));
    else for (const l of preflightLines(pre)) console.log(l);
    return pre.ok ? EXIT.ok : EXIT.badInput;
  }
  const started = await ctx.api.cloneCluster(body);
  if (values['no-wait']) {
    console.log(ctx.json ? JSON.stringify(started) : `started clone ${started.workFlowId} (target cluster ${started.clusterId})`);
    return EXIT.ok;
  }
  if (!ctx.json) console.log(`workFlowId ${started.workFlowId}\nclusterId  ${started.clusterId}`);
  return follow(ctx, started.workFlowId, { clusterId: started.clusterId });
}

export async function watchCommand(ctx: CliContext, argv: string[]): Promise<ExitCode> {
  const { positionals } = parse(argv, {}, true);
  return follow(ctx, requirePositional(positionals, '<workFlowId>'));
}

export async function statusCommand(ctx: CliContext, argv: string[]): Promise<ExitCode> {
  const { positionals } = parse(argv, {}, true);
  const detail: WorkflowDetail = await ctx.api.getWorkflow(requirePositional(positionals, '<workFlowId>'));
  if (ctx.json) {
    console.log(JSON.stringify(detail));
  } else {
    const tty = Boolean(process.stdout.isTTY);
    for (const l of renderFrame(toWatchState(detail), { tty, now: Date.now(), columns: process.stdout.columns })) console.log(l);
    if (detail.info.status === 'Processing' || detail.info.status === 'Stopped') console.log(`${detail.info.id}: ${detail.info.status}`);
  }
  return EXIT.ok;
}

const STATES: Record<string, WorkflowSummary['status']> = { running: 'Processing', finished: 'Finished', failed: 'Error', canceled: 'Canceled', cancelled: 'Canceled' };

export async function listCommand(ctx: CliContext, argv: string[]): Promise<ExitCode> {
  const { values } = parse(argv, { source: { type: 'string' }, target: { type: 'string' }, strategy: { type: 'string' }, state: { type: 'string' } });
  let status: WorkflowSummary['status'] | undefined;
  if (values.state) {
    status = STATES[values.state.toLowerCase()];
    if (!status) throw new TiemError('PARAMETER_INVALID', `--state ${values.state}: expected running, finished, failed or canceled`);
  }
  const flows = await ctx.api.listWorkflows({ sourceClusterId: values.source, clusterId: values.target, strategy: values.strategy, status });
  if (ctx.json) {
    console.log(JSON.stringify(flows));
    return EXIT.ok;
  }
  const rows = flows.map((f) => [f.workFlowId, f.status, f.strategy ?? '', f.sourceClusterId ?? '', f.clusterId ?? '', f.step ?? '', f.startTime]);
  for (const l of table(['WORKFLOW', 'STATUS', 'STRATEGY', 'SOURCE', 'TARGET', 'STEP', 'STARTED'], rows)) console.log(l);
  return EXIT.ok;
}

export async function cancelCommand(ctx: CliContext, argv: string[]): Promise<ExitCode> {
  const { values, positionals } = parse(argv, { wait: { type: 'boolean' } }, true);
  const id = requirePositional(positionals, '<workFlowId>');
  await ctx.api.cancelWorkflow(id);
  if (!values.wait) {
    console.log(ctx.json ? JSON.stringify({ workFlowId: id, cancelRequested: true }) : `cancel requested for ${id}; \`tiem watch ${id}\` follows the compensation`);
    return EXIT.ok;
  }
  if (!ctx.json) console.log(`cancel requested for ${id}; following the compensation`);
  return follow(ctx, id);
}

/** `tiem stop|start <workFlowId>`: TiEM's workflow stop (at the next step boundary) and start. */
export function stopStartCommand(what: 'stop' | 'start') {
  return async (ctx: CliContext, argv: string[]): Promise<ExitCode> => {
    const { positionals } = parse(argv, {}, true);
    const id = requirePositional(positionals, '<workFlowId>');
    await (what === 'stop' ? ctx.api.stopWorkflow(id) : ctx.api.startWorkflow(id));
    const msg = what === 'stop' ? `${id} stops before its next step; \`tiem start ${id}\` resumes it` : `${id} goes on`;
    console.log(ctx.json ? JSON.stringify({ workFlowId: id, stopped: what === 'stop' }) : msg);
    return EXIT.ok;
  };
}

/** The pre-flight as text: the verdict, each problem with its code, then the plan. */
export function preflightLines(pre: ClonePreflightData): string[] {
  const out = [pre.ok ? 'dry run: no problem found, nothing was created' : `dry run: ${pre.problems.length} problem(s), nothing was created`];
  for (const p of pre.problems) out.push(`  ✗ [${p.code}] ${p.message}`);
  const plan = pre.plan;
  out.push(`plan: ${plan.strategy} of ${plan.sourceClusterId}${plan.sourceVersion ? ` (${plan.sourceVersion})` : ''} → ${plan.targetVersion}` + (plan.parameterGroupId ? `, parameter group ${plan.parameterGroupId}` : ''));
  if (plan.restoreSystemTables === false) out.push('  the restore leaves the system tables out (across v7.5); the accounts are set afterwards');
  out.push(`  steps: ${plan.steps.join(' → ')}`);
  for (const h of plan.hosts) out.push(`  ${h.component.padEnd(12)} ${h.hostIp.padEnd(15)} ${h.zone.padEnd(8)} ${h.diskPath} ports ${h.ports.join(',')}`);
  return out;
}
