// What every `tiem` command shares: exit codes, the API client from the environment, argument
// parsing that answers bad input with TiEM's 10001, and error output that always shows the code.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { TiemError } from '../domain/errors.js';
import { ApiClient, ApiError } from './api-client.js';

/** Exit codes that tell outcomes apart for scripts. */
export const EXIT = { ok: 0, failed: 1, badInput: 2, cancelled: 3, unreachable: 4 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const DEFAULT_API_URL = 'http://127.0.0.1:4100';

export interface CliContext {
  api: ApiClient;
  json: boolean;
  env: NodeJS.ProcessEnv;
}

export function apiFromEnv(env: NodeJS.ProcessEnv): ApiClient {
  return new ApiClient(env.TIEM_API_URL || DEFAULT_API_URL, env.TIEM_API_TOKEN || undefined);
}

/** Admission refusals the spec answers with HTTP 500 (21301–21304) are still refusals, not failures. */
const REFUSAL_CODES = new Set([21301, 21302, 21303, 21304]);

export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof ApiError) {
    if (err.unreachable || err.httpStatus === 401 || err.httpStatus === 403) return EXIT.unreachable;
    if (err.httpStatus >= 400 && err.httpStatus < 500) return EXIT.badInput;
    return REFUSAL_CODES.has(err.code) ? EXIT.badInput : EXIT.failed;
  }
  if (err instanceof TiemError) return EXIT.badInput;
  return EXIT.failed;
}

/** `error [20114]: …` on stderr; with --json also one JSON document on stdout. */
export function reportError(err: unknown, json: boolean): ExitCode {
  const code = err instanceof ApiError || err instanceof TiemError ? err.code : 10000;
  const message = err instanceof TiemError ? err.detail : (err as Error).message;
  console.error(`error [${code}]: ${message}`);
  if (json) {
    const httpStatus = err instanceof ApiError || err instanceof TiemError ? err.httpStatus : undefined;
    console.log(JSON.stringify({ error: { code, message, httpStatus } }));
  }
  return exitCodeOf(err);
}

/** node:util parseArgs, with unknown flags and missing values turned into 10001. */
export function parse<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options: { ...options, json: { type: 'boolean' }, help: { type: 'boolean' } }, allowPositionals, strict: true });
  } catch (err) {
    throw new TiemError('PARAMETER_INVALID', (err as Error).message);
  }
}

export function requirePositional(positionals: string[], what: string): string {
  const v = positionals[0];
  if (!v) throw new TiemError('PARAMETER_INVALID', `missing ${what}`);
  if (positionals.length > 1) throw new TiemError('PARAMETER_INVALID', `unexpected argument ${positionals[1]}`);
  return v;
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** A root password: stdin with --password-stdin, else TIEM_DB_PASSWORD. Never argv. */
export async function readPassword(fromStdin: boolean | undefined, env: NodeJS.ProcessEnv): Promise<string> {
  return fromStdin ? readStdin() : (env.TIEM_DB_PASSWORD ?? '');
}

/** Left-aligned columns for human tables. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) => r.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [fmt(header), ...rows.map(fmt)];
}
