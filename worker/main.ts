// Worker process: `npm run worker`. Configuration from the environment (worker/config.ts).
// SIGINT/SIGTERM start a graceful shutdown: in-flight activities get shutdownGraceTime to finish.
import { loadWorkerConfig, ConfigError } from './config.js';
import { createCloneWorker } from './create-worker.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadWorkerConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const worker = await createCloneWorker(config);
  const queues = worker.workers.map((w) => w.options.taskQueue).join(' and ');
  console.log(`tiem-clone worker (${config.role}) on ${config.temporalAddress}, namespace ${config.namespace}, task queue ${queues}`);
  await worker.run(); // the SDK installs SIGINT/SIGTERM handlers that call worker.shutdown()
  await worker.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
