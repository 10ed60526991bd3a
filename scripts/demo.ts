// `npm run demo`: a real CDCSync clone on the embedded default. Starts the Temporal dev server
// (Web UI), the simulated fleet and a worker; clones the seeded production cluster while it is
// being written to; checks the copy through TiDB SQL; stops everything (unless --keep-running).
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createTidbSqlClient } from '../adapters/tidb-sql.js';
import { createTicdcClient } from '../adapters/ticdc.js';
import type { TableChecksum, TidbSession } from '../adapters/types.js';
import { followClone, startClone } from '../client/clone.js';
import { createProgressPrinter } from '../client/render.js';
import { tsoPhysicalMs } from '../domain/tso.js';
import { DEMO_SOURCE, demoCloneRequest } from '../embedded/demo-fleet.js';
import { startEmbeddedStack, type EmbeddedStack } from '../embedded/stack.js';
import { portIsFree } from '../embedded/temporal-server.js';

const { values: args } = parseArgs({
  options: {
    'keep-running': { type: 'boolean' },
    speed: { type: 'string' },
    strategy: { type: 'string' },
  },
});

const say = (line = '') => console.log(line);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One number for a set of tables: XOR of the per-table CRC64-XOR checksums, like ADMIN CHECKSUM. */
function combined(tables: TableChecksum[]): { checksum: string; kvs: number } {
  let x = 0n;
  let kvs = 0;
  for (const t of tables) {
    x ^= BigInt(t.checksum);
    kvs += t.totalKvs;
  }
  return { checksum: x.toString(), kvs };
}

async function main(): Promise<number> {
  const started = Date.now();
  const dir = resolve('.tiem', 'demo');
  rmSync(dir, { recursive: true, force: true });
  const temporalPort = (await portIsFree(7233)) ? 7233 : undefined;
  const uiPort = (await portIsFree(8233)) ? 8233 : undefined;
  const codecPort = (await portIsFree(8234)) ? 8234 : undefined;
  const apiPort = (await portIsFree(4100)) ? 4100 : undefined;
  // Loopback only; set TIEM_API_TOKEN to choose your own.
  const apiToken = process.env.TIEM_API_TOKEN ?? 'tiem-demo-token-change-me';
  const strategy = (args.strategy ?? 'CDCSync') as 'CDCSync' | 'Snapshot' | 'TopologyClone';

  say('tiem-clone demo: starting the Temporal dev server, the simulated TiDB fleet and a worker…');
  const stack: EmbeddedStack = await startEmbeddedStack({
    dir,
    ui: true,
    temporalPort,
    uiPort,
    codecPort,
    api: { port: apiPort, tokens: [apiToken] },
    speed: Number(args.speed ?? 2),
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say('stopping the worker, the simulator and the Temporal server…');
    await stack.stop();
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));

  try {
    const ui = stack.temporal.uiUrl!;
    say(`  Temporal ${stack.temporal.address}, Web UI ${ui}, HTTP API ${stack.apiUrl}, codec server ${stack.codecEndpoint}`);
    const src = await stack.sim.cluster(DEMO_SOURCE.id);
    const totalBytes = src.tables.reduce((a, t) => a + t.bytes, 0);
    say(`  source cluster ${DEMO_SOURCE.id} (${DEMO_SOURCE.name}) ${src.version}: ` +
      `${src.instances.filter((i) => ['pd', 'tikv', 'tidb', 'cdc'].includes(i.role)).map((i) => i.role).join(' ')}; ` +
      `${(totalBytes / 1024 ** 3).toFixed(1)} GiB in ${src.tables.length} tables, ${src.writeStream?.writesPerSec ?? 0} writes/s`);
    say();

    const request = demoCloneRequest({ clusterName: `${DEMO_SOURCE.name}-clone`, cloneStrategy: strategy });
    const clone = await startClone(stack.client, request);
    say(`${strategy} clone ${clone.workflowId} → new cluster ${clone.clusterId}`);
    say(`  watch it: ${ui}/namespaces/default/workflows/${clone.workflowId}`);
    const result = await followClone(clone.handle, createProgressPrinter(), 500);
    say();

    const backup = result.progress.nodes.find((n) => n.name === 'backupSourceCluster')!;
    const deploy = result.progress.nodes.find((n) => n.name === 'deployCluster')!;
    if (backup.startTime && deploy.endTime) {
      say(`backup ${backup.startTime.slice(11, 19)}–${backup.endTime?.slice(11, 19)} and deploy ${deploy.startTime?.slice(11, 19)}–${deploy.endTime.slice(11, 19)} ran side by side`);
    }

    // Check the copy the way an operator would: TiDB SQL on both clusters.
    const sql = createTidbSqlClient();
    const target = await stack.sim.cluster(clone.clusterId);
    const srcTidb = src.instances.find((i) => i.role === 'tidb')!;
    const tgtTidb = target.instances.find((i) => i.role === 'tidb')!;
    const source: TidbSession = await sql.connect({ host: srcTidb.host, port: srcTidb.port, user: 'root', password: DEMO_SOURCE.rootPassword });
    const copy: TidbSession = await sql.connect({ host: tgtTidb.host, port: tgtTidb.port, user: 'root', password: request.dbPassword });
    let ok = true;
    try {
      if (result.backupTs && result.restoredTs) {
        const atBackup = combined(await source.checksumAll(result.backupTs));
        const restored = combined(await copy.checksumAll(result.restoredTs));
        const same = atBackup.checksum === restored.checksum && atBackup.kvs === restored.kvs;
        ok &&= same;
        say(`checksum  source @BackupTS ${result.backupTs}: ${atBackup.checksum} (${atBackup.kvs} kvs)`);
        say(`          target after restore  ${result.restoredTs}: ${restored.checksum} (${restored.kvs} kvs)  ${same ? 'MATCH' : 'MISMATCH'}`);
      }
      if (strategy === 'CDCSync' && result.changefeedId) {
        // New writes keep arriving on the source; the changefeed carries them over.
        const cdcHost = src.instances.find((i) => i.role === 'cdc')!;
        const cdc = createTicdcClient();
        const mark = await stack.sim.write(DEMO_SOURCE.id, { db: 'shop', table: 'orders', count: 50 });
        say(`wrote 50 more order batches on the source (TSO ${mark}); waiting for the changefeed…`);
        let checkpoint = '0';
        for (let i = 0; i < 60 && BigInt(checkpoint) < BigInt(mark); i++) {
          checkpoint = (await cdc.getChangefeed(`${cdcHost.host}:${cdcHost.port}`, result.changefeedId))?.checkpoint_ts ?? '0';
          if (BigInt(checkpoint) < BigInt(mark)) await sleep(250);
        }
        const lagMs = tsoPhysicalMs(await source.currentTso()) - tsoPhysicalMs(checkpoint);
        ok &&= BigInt(checkpoint) >= BigInt(mark);
        say(`changefeed ${result.changefeedId}: checkpoint ${checkpoint} (lag ${lagMs} ms) ${BigInt(checkpoint) >= BigInt(mark) ? 'has the new writes' : 'did NOT catch up'}`);
        // The target holds exactly the source's writes up to the checkpoint: compare there, reading
        // the checkpoint before and after the target checksum so both describe the same moment.
        const checkpointNow = async () => (await cdc.getChangefeed(`${cdcHost.host}:${cdcHost.port}`, result.changefeedId!))?.checkpoint_ts ?? '0';
        let verdict = 'could not find a quiet moment to compare';
        for (let i = 0; i < 20; i++) {
          const before = await checkpointNow();
          const tgt = combined(await copy.checksumAll());
          if ((await checkpointNow()) !== before) continue;
          const srcAt = combined(await source.checksumAll(before));
          const same = srcAt.checksum === tgt.checksum && srcAt.kvs === tgt.kvs;
          ok &&= same;
          verdict = `${same ? 'MATCH' : 'MISMATCH'}: source @${before} ${srcAt.checksum} (${srcAt.kvs} kvs), target ${tgt.checksum} (${tgt.kvs} kvs)`;
          break;
        }
        say(`checksum  target follows the source: ${verdict}`);
      }
    } finally {
      await source.close();
      await copy.close();
    }

    const srcNow = await stack.sim.cluster(DEMO_SOURCE.id);
    say(`source tidb_gc_life_time back to ${srcNow.gcLifeTime}; maintenance cleared: ${(await stack.store.getCluster(DEMO_SOURCE.id))?.maintenanceStatus === '' ? 'yes' : 'NO'}`);
    say();
    say(`Web UI: ${ui}/namespaces/default/workflows/${clone.workflowId}   (workflow id ${clone.workflowId})`);
    say(`demo finished in ${((Date.now() - started) / 1000).toFixed(0)} s: ${ok ? 'clone verified' : 'VERIFICATION FAILED'}`);
    if (args['keep-running']) {
      say('--keep-running: everything stays up; Ctrl-C stops it. Four ways in (README "Operating it"):');
      say(`  Web UI    ${ui}/namespaces/default/workflows?query=${encodeURIComponent(`TiemSourceClusterId="${DEMO_SOURCE.id}"`)}`);
      say(`  HTTP API  curl -s -H 'Authorization: Bearer ${apiToken}' ${stack.apiUrl}/api/v1/clusters`);
      say(`  tiem CLI  TIEM_API_URL=${stack.apiUrl} TIEM_API_TOKEN=${apiToken} npx tiem list`);
      say(`  temporal  .tools/temporal/bin/temporal workflow list --address ${stack.temporal.address} --query 'TiemSourceClusterId="${DEMO_SOURCE.id}"'`);
      await new Promise(() => undefined);
    }
    return ok ? 0 : 1;
  } finally {
    await stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error('demo failed:', err instanceof Error ? err.message : err);
    console.error(`logs: ${join('.tiem', 'demo', 'logs')}`);
    process.exit(1);
  },
);
