// The `tiem` command line.
//
// Design: the CLI is a client of the HTTP API (TIEM_API_URL, default http://127.0.0.1:4100, and the
// bearer token TIEM_API_TOKEN) — not of Temporal. Operators need no Temporal access, no payload
// codec key and no metadata DB; validation, locks and idempotency stay in one place (the API), and
// what the CLI shows is exactly what TiEM clients see. `tiem clone` keeps its flags and behaviour
// but goes through POST /api/v1/clusters/clone and then watches GET /api/v1/workflow/{id}.
//
// Exit codes: 0 success · 1 failed (workflow failed, API 5xx) · 2 bad input or refused (4xx incl.
// 409, and the admission refusals 21301–21304 the spec answers with 500) · 3 cancelled ·
// 4 cannot reach the API or not authorised. Errors always show the TiEM code: `error [20114]: …`.
import { clusterCommand, hostsCommand, parameterGroupCommand, reconcileCommand } from './cli-clusters.js';
import { apiFromEnv, DEFAULT_API_URL, EXIT, reportError, type CliContext, type ExitCode } from './cli-common.js';
import { cancelCommand, cloneCommand, listCommand, statusCommand, stopStartCommand, watchCommand } from './cli-workflows.js';

export { EXIT } from './cli-common.js';

const env = `environment:
  TIEM_API_URL      the tiem-clone API (default ${DEFAULT_API_URL})
  TIEM_API_TOKEN    bearer token of the API
  TIEM_DB_PASSWORD  root password for clone/takeover (or --password-stdin; never on the command line)
exit codes: 0 ok · 1 failed · 2 bad input or refused · 3 cancelled · 4 API unreachable or unauthorised`;

export const HELP: Record<string, string> = {
  clone: `usage: tiem clone (--file <request.json> | --source <id> --name <name> --version <vX.Y.Z> --strategy <Snapshot|CDCSync|TopologyClone>
                    --region <r> [--arch <X86_64|ARM64>] --component <PD|TiDB|TiKV|TiFlash|CDC>:<zone>:<spec>:<count> ...)
                  [--copies N] [--parameter-group ID] [--request-id ID] [--destroy-on-failure] [--password-stdin] [--no-wait] [--dry-run] [--json]
Starts a clone (the file is TiEM's clone request), prints workFlowId and clusterId, then watches it.
The target's root password comes from TIEM_DB_PASSWORD or stdin (--password-stdin).
--dry-run runs every check without a side effect and prints all problems and the plan (exit 2 on a problem).`,
  watch: `usage: tiem watch <workFlowId> [--json]
Live progress until the workflow ends: one line per step with state and duration, a progress bar with
bytes and rate for backup/restore. Redrawn in place on a terminal, plain appended lines otherwise.`,
  status: `usage: tiem status <workFlowId> [--json]
One snapshot of the workflow's steps.`,
  list: `usage: tiem list [--source <clusterId>] [--target <clusterId>] [--strategy <Snapshot|CDCSync|TopologyClone>]
                 [--state running|finished|failed|canceled] [--json]
Lists clone workflows (Temporal search attributes).`,
  stop: `usage: tiem stop <workFlowId> [--json]
TiEM's workflow stop: the running step goes on, the workflow waits before its next step until
\`tiem start\`. A stopped workflow can still be cancelled.`,
  start: `usage: tiem start <workFlowId> [--json]
Lets a stopped workflow go on from where it stopped.`,
  cancel: `usage: tiem cancel <workFlowId> [--wait] [--json]
Cancels a running workflow; its compensation puts the source back. --wait follows the compensation
to the end (exit 3 when cancelled).`,
  cluster: `usage: tiem cluster list [--json]
       tiem cluster show <clusterId> [--json]
       tiem cluster takeover --name <tiup cluster name> --region <r> [--arch X86_64] [--copies N] [--tag T ...] [--password-stdin] [--wait] [--json]
       tiem cluster delete <clusterId> [--force] [--wait] [--json]
takeover registers an existing TiUP-managed cluster (root password from TIEM_DB_PASSWORD or stdin);
delete destroys a cluster (refused with 20114 while under maintenance unless --force).`,
  reconcile: `usage: tiem reconcile [--dry-run] [--json]
       tiem reconcile history [--limit N] [--json]
Finds what closed workflows (terminated, timed out, failed in cleanup) left behind — GC holds on
sources, maintenance locks, hosts of never deployed targets, changefeeds into unfinished targets —
and repairs it, the source first. --dry-run lists what it would repair and changes nothing.
history lists past repairs (the scheduled runs' too), newest first.`,
  'param-group': `usage: tiem param-group list [--version vX.Y] [--name <substring>] [--custom] [--json]
       tiem param-group show <paramGroupId> [--json]
       tiem param-group create <group.json> [--json]
TiEM's parameter groups: a default one per minor version from v5.0 to v8.5, and custom ones.
group.json is TiEM's CreateParameterGroupReq: {"name","dbType":1,"clusterVersion","clusterSpec","groupType":1,
"note","params":[{"paramId":"<component>.<name>","defaultValue":"…"}]}.`,
  hosts: `usage: tiem hosts import <file.csv|file.json> [--json]
       tiem hosts list [--json]
CSV header: ip,hostName,region,zone,rack,arch,cpuCores,memory,disks
  disks: name:path:capacityGB:type;...   (type SSD, NVMeSSD or SATA; memory in GB)
JSON: an array of hosts or {"hosts": [...]} (the body of POST /api/v1/resources/hosts).`,
};

export const USAGE = `usage: tiem <command> [flags]

commands:
  clone      start a clone (flags or a TiEM JSON request) and watch it
  watch      follow a workflow live
  status     one snapshot of a workflow
  list       list clone workflows (filter by source, target, strategy, state)
  stop       stop a workflow at its next step (TiEM)
  start      let a stopped workflow go on
  cancel     cancel a workflow (compensation runs)
  cluster    list | show | takeover | delete
  hosts      import | list the host pool
  param-group  list | show | create parameter groups
  reconcile  repair what closed workflows left behind (--dry-run: list it) | history
  help       this text; \`tiem <command> --help\` for a command

every command takes --json (one JSON document on stdout)
${env}`;

const COMMANDS: Record<string, (ctx: CliContext, argv: string[]) => Promise<ExitCode>> = {
  clone: cloneCommand,
  watch: watchCommand,
  status: statusCommand,
  list: listCommand,
  stop: stopStartCommand('stop'),
  start: stopStartCommand('start'),
  cancel: cancelCommand,
  cluster: clusterCommand,
  hosts: hostsCommand,
  'param-group': parameterGroupCommand,
  reconcile: reconcileCommand,
};

export async function main(argv = process.argv.slice(2), processEnv: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    const topic = command === 'help' ? rest[0] : undefined;
    console.log(topic && HELP[topic] ? `${HELP[topic]}\n${env}` : USAGE);
    return EXIT.ok;
  }
  const run = COMMANDS[command];
  const json = rest.includes('--json');
  if (!run) {
    console.error(`error [10001]: unknown command ${command}\n\n${USAGE}`);
    if (json) console.log(JSON.stringify({ error: { code: 10001, message: `unknown command ${command}`, httpStatus: 400 } }));
    return EXIT.badInput;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`${HELP[command]}\n${env}`);
    return EXIT.ok;
  }
  try {
    return await run({ api: apiFromEnv(processEnv), json, env: processEnv }, rest);
  } catch (err) {
    return reportError(err, json);
  }
}

if (process.argv[1]?.endsWith('client/cli.ts')) {
  main().then((code) => process.exit(code), (err) => {
    console.error(err);
    process.exit(EXIT.failed);
  });
}
