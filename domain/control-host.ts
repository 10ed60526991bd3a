// TiUP control hosts: the machine whose TIUP_HOME holds a cluster's meta, SSH key and TLS client
// material. Every activity that reaches a cluster (TiUP, BR, TiDB SQL, TiCDC) runs on the task queue
// of that cluster's control host; workflows and metadata-only activities run on the shared queue.
import { TiemError } from './errors.js';

/** The control host of a deployment that names none (and of every cluster recorded before hosts had names). */
export const DEFAULT_CONTROL_HOST = 'local';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function validateControlHostName(name: string, what = 'control host'): string {
  if (!NAME.test(name)) {
    throw new TiemError('PARAMETER_INVALID', `${what} ${JSON.stringify(name)} must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  return name;
}

/** The task queue served only by the workers of control host `host`, beside the shared queue. */
export function controlHostQueue(sharedQueue: string, host: string): string {
  return `${sharedQueue}@${host}`;
}
