// What every route module receives: the Temporal client, the metadata store and the task queue.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Client } from '@temporalio/client';
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { MetadataStore } from '../metadata/types.js';

export type ApiApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

export interface RouteDeps {
  client: Client;
  store: MetadataStore;
  taskQueue: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Route answered without a bearer token (health only). */
    public?: boolean;
  }
}

/** TiEM's success envelope. */
export function ok<T>(data: T): { code: 0; message: string; data: T } {
  return { code: 0, message: 'OK', data };
}
