// `POST /tiup/exec`: runs one `tiup …` command line for the shim and streams NDJSON events back.
import type http from 'node:http';
import path from 'node:path';
import type { Simulator } from './sim.js';
import { readJson } from './http-util.js';
import { AbortedError, ToolExit } from './util.js';
import { runClusterCommand } from './tiup-commands.js';
import { runBrCommand } from './br-commands.js';

export const TIUP_VERSION = 'v1.16.1';

export interface ExecIO {
  argv: string[];
  cwd: string;
  tiupHome: string;
  signal: AbortSignal;
  out(line: string): void;
  err(line: string): void;
}

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string>;
}

const BOOL_FLAGS = new Set([
  'yes', 'y', 'force', 'init', 'skip-restart', 'skip-create-user', 'ignore-config-check', 'no-labels', 'uptime', 'process', 'versions',
  'with-sys-table', 'checksum', 'send-credentials-to-tikv', 'check-requirements', 'help', 'h', 'p', 'password', 'dry-run', 'native-ssh',
  'ignore-version-check', 'overwrite', 'retain-data',
]);
const SHORT: Record<string, string> = { y: 'yes', i: 'identity_file', R: 'role', N: 'node', u: 'pd', s: 'storage', c: 'concurrency', p: 'password' };

/** Go/cobra-like flag parsing: --a b, --a=b, -a b, booleans without value; repeated lists joined with ",". */
export function parseArgs(args: string[]): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
      let name = a.replace(/^--?/, '');
      let value: string | undefined;
      const eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.slice(eq + 1);
        name = name.slice(0, eq);
      }
      if (!a.startsWith('--') && SHORT[name]) name = SHORT[name];
      if (value === undefined) {
        if (BOOL_FLAGS.has(name)) value = 'true';
        else value = args[++i] ?? '';
      }
      const prev = flags.get(name);
      flags.set(name, prev !== undefined && (name === 'role' || name === 'node') ? `${prev},${value}` : value);
      continue;
    }
    positional.push(a);
  }
  return { positional, flags };
}

export function flagBool(p: ParsedArgs, name: string, def = false): boolean {
  const v = p.flags.get(name);
  if (v === undefined) return def;
  return !['false', '0', 'no'].includes(v.toLowerCase());
}

export async function runTiup(sim: Simulator, io: ExecIO): Promise<number> {
  const [component, ...rest] = io.argv;
  if (!component || component === '--help' || component === '-h' || component === 'help') {
    io.out('TiUP is a command-line component management tool (tiem-clone simulator).');
    io.out('Usage: tiup cluster <command> | tiup br:<version> <command>');
    return 0;
  }
  if (component === '--version' || component === '-v' || component === 'version') {
    io.out(`${TIUP_VERSION.slice(1)} tiup`);
    io.out('Go Version: go1.21.6');
    return 0;
  }
  const [name, ver] = component.split(':');
  if (name === 'cluster') {
    io.err(`Starting component \`cluster\`: ${path.join(io.tiupHome, 'components', 'cluster', ver ?? TIUP_VERSION, 'tiup-cluster')} ${rest.join(' ')}`);
    return runClusterCommand(sim, io, rest);
  }
  if (name === 'br') {
    const brVersion = ver ? (ver.startsWith('v') ? ver : `v${ver}`) : 'v8.5.1';
    io.err(`Starting component \`br\`: ${path.join(io.tiupHome, 'components', 'br', brVersion, 'br')} ${maskStorage(rest).join(' ')}`);
    return runBrCommand(sim, io, brVersion, rest);
  }
  io.err(`Error: component \`${name}\` is not supported by the tiem-clone simulator (supported: cluster, br)`);
  return 1;
}

function maskStorage(args: string[]): string[] {
  return args.map((a) => a.replace(/(secret-access-key|access-key|sas-token)=([^&\s]+)/gi, '$1=******'));
}

/** HTTP handler; the request closing early (shim killed) aborts the operation. */
export async function handleTiupExec(sim: Simulator, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  let body: Record<string, unknown>;
  try {
    body = await readJson(req);
  } catch (e) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(`bad request: ${(e as Error).message}`);
    return;
  }
  const argv = Array.isArray(body.argv) ? body.argv.map(String) : [];
  const cwd = typeof body.cwd === 'string' && body.cwd ? body.cwd : process.cwd();
  const env = (body.env ?? {}) as Record<string, unknown>;
  const tiupHome = typeof env.TIUP_HOME === 'string' && env.TIUP_HOME ? path.resolve(cwd, env.TIUP_HOME) : sim.tiupHome;

  const ac = new AbortController();
  let finished = false;
  res.on('close', () => {
    if (!finished) ac.abort();
  });
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
  res.flushHeaders();
  const send = (o: unknown) => {
    if (!res.writableEnded && !res.destroyed) res.write(JSON.stringify(o) + '\n');
  };
  const io: ExecIO = {
    argv,
    cwd,
    tiupHome,
    signal: ac.signal,
    out: (line) => send({ stream: 'stdout', data: line + '\n' }),
    err: (line) => send({ stream: 'stderr', data: line + '\n' }),
  };
  let code: number;
  try {
    code = await runTiup(sim, io);
  } catch (e) {
    if (e instanceof AbortedError) code = 143;
    else if (e instanceof ToolExit) {
      if (e.message) io.err(e.message);
      code = e.exitCode;
    } else {
      io.err(`Error: simulator internal error: ${(e as Error).stack ?? String(e)}`);
      code = 1;
    }
  }
  finished = true;
  send({ exit: code });
  res.end();
}
