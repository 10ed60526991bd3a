// The OpenAPI document without Temporal or a database: the routes are registered (never called)
// so @fastify/swagger sees their schemas. Used by scripts/write-openapi.ts and the drift test.
import type { Client } from '@temporalio/client';
import type { MetadataStore } from '../metadata/types.js';
import { openApiText } from './openapi.js';
import { createApiServer } from './server.js';

export async function buildOpenApiText(): Promise<string> {
  const app = createApiServer({ client: {} as Client, store: {} as MetadataStore, tokens: ['offline-document-only'] });
  await app.ready();
  try {
    return openApiText(app);
  } finally {
    await app.close();
  }
}
