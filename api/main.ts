// API process: `npm run api`. Configuration from the environment (api/config.ts). SIGINT/SIGTERM
// close the server gracefully: no new connections, in-flight requests finish, then the Temporal
// connection and the metadata DB close.
import { connectionOptions } from '../security/temporal-connection.js';
import { Client, Connection } from '@temporalio/client';
import { openMetadataStore } from '../metadata/index.js';
import { createEncryptionCodec } from '../security/codec.js';
import { ApiConfigError, loadApiConfig, type ApiConfig } from './config.js';
import { createApiServer } from './server.js';

async function main(): Promise<void> {
  let config: ApiConfig;
  try {
    config = loadApiConfig();
  } catch (err) {
    if (err instanceof ApiConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const store = openMetadataStore(config.metadataUrl, config.secretKey);
  await store.migrate(); // idempotent; the API may start before the worker
  const connection = await Connection.connect(connectionOptions(config.temporal));
  const client = new Client({
    connection,
    namespace: config.namespace,
    dataConverter: { payloadCodecs: config.codecKey ? [createEncryptionCodec(config.codecKey)] : [] },
  });
  const app = createApiServer({ client, store, tokens: config.tokens, taskQueue: config.taskQueue, logger: true });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info(`${signal}: closing`);
    try {
      await app.close();
      await connection.close();
      await store.close();
      process.exit(0);
    } catch (err) {
      app.log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  app.log.info(`tiem-clone API on Temporal ${config.temporalAddress}, namespace ${config.namespace}, task queue ${config.taskQueue}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
