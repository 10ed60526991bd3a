// Reads a cluster's TLS material for one connection: fresh each time, so rotated certificates apply.
import { readFile } from 'node:fs/promises';
import type { TlsFiles } from './types.js';

export async function readTlsFiles(tls: TlsFiles): Promise<{ ca: Buffer; cert: Buffer; key: Buffer }> {
  const [ca, cert, key] = await Promise.all([readFile(tls.caPath), readFile(tls.certPath), readFile(tls.keyPath)]);
  return { ca, cert, key };
}
