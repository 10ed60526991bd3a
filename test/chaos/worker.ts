// The chaos suite's worker process: exactly the production worker (worker/config.ts,
// worker/create-worker.ts, the same activities and workflows) plus one activity interceptor that
// asks the harness (TIEM_CHAOS_FAULTS_URL) whether to fail or slow this call. Run as its own
// process so a crash is a real SIGKILL.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import { loadWorkerConfig } from '../../worker/config.js';
import { createCloneWorker } from '../../worker/create-worker.js';
import type { FaultAnswer, FaultQuery } from './faults.js';

const faultsUrl = process.env.TIEM_CHAOS_FAULTS_URL;

async function ask(q: FaultQuery): Promise<FaultAnswer> {
  if (!faultsUrl) return {};
  try {
    const res = await fetch(`${faultsUrl}/activity-fault`, { method: 'POST', body: JSON.stringify(q), signal: AbortSignal.timeout(5000) });
    return (await res.json()) as FaultAnswer;
  } catch {
    return {}; // the harness is gone: no fault
  }
}

let client: Client | undefined;
const parents = new Map<string, Promise<string | undefined>>();

/** A child's parent (the backup child's input names no cluster): asked of Temporal once per child. */
function parentOf(workflowId: string): Promise<string | undefined> {
  if (!client || !workflowId.startsWith('backup-')) return Promise.resolve(undefined);
  if (!parents.has(workflowId)) {
    parents.set(workflowId, client.workflow.getHandle(workflowId).describe().then((d) => d.parentExecution?.workflowId ?? undefined, () => undefined));
  }
  return parents.get(workflowId)!;
}

async function keysOf(ctx: Context, args: unknown[]): Promise<string[]> {
  const workflowId = ctx.info.workflowExecution?.workflowId ?? '';
  const keys = [workflowId];
  const a = (args[0] ?? {}) as { targetClusterId?: unknown; clusterId?: unknown; report?: { workflowId?: unknown } };
  for (const v of [a.targetClusterId, a.clusterId, a.report?.workflowId, await parentOf(workflowId)]) if (typeof v === 'string') keys.push(v);
  return keys;
}

class FaultInjector implements ActivityInboundCallsInterceptor {
  constructor(private readonly ctx: Context) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const activity = this.ctx.info.activityType;
    const keys = await keysOf(this.ctx, input.args);
    const before = await ask({ activity, phase: 'before', keys });
    if (before.delayMs || before.mode === 'delay') await new Promise((r) => setTimeout(r, before.delayMs ?? 3000));
    if (before.mode === 'failBefore') throw ApplicationFailure.retryable(`chaos: transient failure before ${activity}`, 'CHAOS_TRANSIENT');
    if (before.mode === 'failPermanently') {
      throw ApplicationFailure.create({
        type: 'TASK_FAILED',
        message: `[9995]Task failed\tchaos: permanent failure in ${activity}`,
        nonRetryable: true,
        details: [{ code: 9995, httpStatus: 500 }],
      });
    }
    const result = await next(input);
    const after = await ask({ activity, phase: 'after', keys });
    if (after.mode === 'failAfter') throw ApplicationFailure.retryable(`chaos: transient failure after ${activity} ran`, 'CHAOS_TRANSIENT');
    return result;
  }
}

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  client = new Client({ connection: await Connection.connect({ address: config.temporalAddress }), namespace: config.namespace });
  const worker = await createCloneWorker(config, {
    interceptors: { activity: [(ctx) => ({ inbound: new FaultInjector(ctx) })] },
  });
  console.log(`tiem-clone worker on ${config.temporalAddress}, namespace ${config.namespace}, task queues ${worker.workers.map((w) => w.options.taskQueue).join(', ')} (chaos faults ${faultsUrl ? 'on' : 'off'})`);
  await worker.run();
  await worker.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
