// `tiem clone`: start a clone from flags or a TiEM JSON request file and print step progress
// until it ends. The password never comes from the command line: TIEM_DB_PASSWORD or stdin.
//
//   tiem clone --file request.json [--password-stdin] [--destroy-on-failure] [--no-wait] [--json]
//   tiem clone --source <id> --name <name> --version v7.5.1 --strategy CDCSync --region Region1 \
//              --arch X86_64 --component PD:Zone1:4C8G:1 --component TiKV:Zone1:8C16G:3 ...
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { TiemError } from '../domain/errors.js';
import type { CloneClusterRequest, ComponentType, InstanceResource } from '../domain/types.js';
import { createEncryptionCodec, loadCodecKey } from '../security/codec.js';
import { CloneRejectedError, followClone, startClone } from './clone.js';
import { createProgressPrinter } from './render.js';

/** Exit codes that tell outcomes apart for scripts. */
export const EXIT = { ok: 0, failed: 1, badInput: 2, cancelled: 3 } as const;

const usage = `usage: tiem clone (--file <request.json> | --source <id> --name <name> --version <vX.Y.Z> --strategy <Snapshot|CDCSync|TopologyClone>
                    --region <r> --arch <X86_64|ARM64> --component <PD|TiDB|TiKV|TiFlash|CDC>:<zone>:<spec>:<count> ...)
                   [--copies N] [--parameter-group ID] [--request-id ID] [--destroy-on-failure] [--password-stdin] [--no-wait] [--json]
password: TIEM_DB_PASSWORD, or --password-stdin
server:   TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE, TIEM_CODEC_KEY`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

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

export async function cloneCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
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
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(usage);
    return EXIT.ok;
  }
  let request: CloneClusterRequest;
  try {
    if (values.file) {
      request = JSON.parse(readFileSync(values.file, 'utf8')) as CloneClusterRequest;
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
    if ('dbPassword' in request && request.dbPassword && values.file) {
      console.error('note: dbPassword in the request file is used; prefer TIEM_DB_PASSWORD or --password-stdin');
    } else {
      request.dbPassword = values['password-stdin'] ? await readStdin() : (process.env.TIEM_DB_PASSWORD ?? '');
    }
  } catch (err) {
    const e = err instanceof TiemError ? err : new TiemError('MARSHAL_ERROR', (err as Error).message);
    console.error(`error [${e.code}]: ${e.message}`);
    return EXIT.badInput;
  }

  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? 'localhost:7233' });
  const codecKey = loadCodecKey(process.env);
  const client = new Client({
    connection,
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    dataConverter: codecKey ? { payloadCodecs: [createEncryptionCodec(codecKey)] } : undefined,
  });
  try {
    let started;
    try {
      started = await startClone(client, request, { options: { destroyOnFailure: values['destroy-on-failure'] } });
    } catch (err) {
      if (err instanceof TiemError || err instanceof CloneRejectedError) {
        console.error(`error [${err.code}]: ${err.message}`);
        return EXIT.badInput;
      }
      throw err;
    }
    const out = { workFlowId: started.workflowId, clusterId: started.clusterId };
    if (values['no-wait']) {
      console.log(values.json ? JSON.stringify(out) : `started clone ${out.workFlowId} (target cluster ${out.clusterId})`);
      return EXIT.ok;
    }
    if (!values.json) console.log(`clone ${out.workFlowId} → target cluster ${out.clusterId}`);
    const print = values.json ? () => undefined : createProgressPrinter();
    try {
      const result = await followClone(started.handle, print);
      if (values.json) console.log(JSON.stringify({ ...out, status: 'Finished', result }));
      return EXIT.ok;
    } catch (err) {
      const cancelled = err instanceof WorkflowFailedError && err.cause?.name === 'CancelledFailure';
      const msg = err instanceof WorkflowFailedError ? (err.cause?.message ?? err.message) : (err as Error).message;
      if (values.json) console.log(JSON.stringify({ ...out, status: cancelled ? 'Canceled' : 'Failed', error: msg }));
      else console.error(`clone ${cancelled ? 'cancelled' : 'failed'}: ${msg}`);
      return cancelled ? EXIT.cancelled : EXIT.failed;
    }
  } finally {
    await connection.close();
  }
}

export async function main(argv = process.argv.slice(2)): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'clone') return cloneCommand(rest);
  console.error(usage);
  return command === undefined || command === 'help' || command === '--help' ? EXIT.ok : EXIT.badInput;
}

if (process.argv[1]?.endsWith('client/cli.ts')) {
  main().then((code) => process.exit(code), (err) => {
    console.error(err);
    process.exit(EXIT.failed);
  });
}
