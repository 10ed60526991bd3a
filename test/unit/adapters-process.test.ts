import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runTool, toolEnvironment, ToolTimeoutError } from '../../adapters/process.js';
import { ToolError } from '../../adapters/types.js';

const tool = (name: string) => fileURLToPath(new URL(`../fixtures/fake-tools/${name}`, import.meta.url));

/** Running, i.e. neither gone nor a zombie waiting for an init that reaps lazily. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

/** Starts tree.mjs and resolves the pids it announces once both processes are up. */
function startTree(mode: string[], signal: AbortSignal | undefined, extra: { timeoutMs?: number; killGraceMs?: number } = {}) {
  let announce!: (p: { leader: number; grandchild: number }) => void;
  const pids = new Promise<{ leader: number; grandchild: number }>((r) => (announce = r));
  const run = runTool(tool('tree.mjs'), mode, {
    signal,
    ...extra,
    onLine: (_s, line) => {
      const m = /^pids (\d+) (\d+)$/.exec(line);
      if (m) announce({ leader: Number(m[1]), grandchild: Number(m[2]) });
    },
  });
  return { run, pids };
}

describe('runTool', () => {
  it('streams stdout and stderr line by line and returns stdout', async () => {
    const seen: string[] = [];
    const r = await runTool(tool('lines.mjs'), ['3', '0'], { onLine: (s, l) => seen.push(`${s}:${l}`) });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('out 1\nout 2\nout 3\n');
    expect(seen.filter((l) => l.startsWith('stdout:'))).toEqual(['stdout:out 1', 'stdout:out 2', 'stdout:out 3']);
    expect(seen.filter((l) => l.startsWith('stderr:'))).toEqual(['stderr:err 1', 'stderr:err 2', 'stderr:err 3']);
  });

  it('delivers lines while the tool is still running', async () => {
    const times: number[] = [];
    const start = Date.now();
    await runTool(tool('lines.mjs'), ['3', '0', '300'], { onLine: (s) => s === 'stdout' && times.push(Date.now() - start) });
    expect(times).toHaveLength(3);
    expect(times[2] - times[0]).toBeGreaterThanOrEqual(400);
  });

  it('throws ToolError with the exit code and only the last lines on a non-zero exit', async () => {
    const err = await runTool(tool('lines.mjs'), ['80', '3'], { displayName: 'fake lines', tailLines: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolError);
    const te = err as ToolError;
    expect(te.exitCode).toBe(3);
    expect(te.message).toBe('fake lines exited with code 3: err 80');
    const tail = te.stderrTail.split('\n');
    expect(tail).toHaveLength(50);
    expect(tail[0]).toBe('err 31');
    expect(tail[49]).toBe('err 80');
    expect(te.stdoutTail.split('\n')[49]).toBe('out 80');
    expect(te.toolError).toBeUndefined();
  });

  it('names the "Error:" line of a default-format tiup failure rather than the trailing hints', async () => {
    const err = (await runTool(tool('lines.mjs'), ['1', '1'], { displayName: 'tiup cluster deploy', env: { FAKE_TIUP_STYLE_ERROR: '1' } }).catch(
      (e: unknown) => e,
    )) as ToolError;
    expect(err.message).toBe("tiup cluster deploy exited with code 1: Error: Cluster name 'c1' is duplicated (deploy.name_dup)");
    expect(err.stderrTail).toContain('Verbose debug logs');
  });

  it('parses the tiup-cluster error JSON line into toolError', async () => {
    const err = (await runTool(tool('fake-tiup.mjs'), ['cluster', 'deploy', 'dup', 'v7.5.1', '/dev/null'], {
      displayName: 'tiup cluster deploy',
    }).catch((e: unknown) => e)) as ToolError;
    expect(err).toBeInstanceOf(ToolError);
    expect(err.exitCode).toBe(1);
    expect(err.toolError).toBe("Cluster name 'dup' is duplicated");
    expect(err.message).toBe("tiup cluster deploy exited with code 1: Cluster name 'dup' is duplicated");
  });

  it('reports a missing binary without throwing execa’s command line', async () => {
    const err = (await runTool('/nonexistent/tiup', ['br:v7.5.1', '--storage', 's3://b/p?secret-access-key=SECRET'], {
      displayName: 'tiup br',
    }).catch((e: unknown) => e)) as ToolError;
    expect(err).toBeInstanceOf(ToolError);
    expect(err.exitCode).toBeUndefined();
    expect(err.message).toBe('tiup br could not be started (ENOENT)');
  });

  it('masks secrets in streamed lines and tails', async () => {
    const seen: string[] = [];
    const r = await runTool(tool('fake-tiup.mjs'), ['br:v7.5.1', 'backup', 'full', '--storage', 's3://b/p?secret-access-key=SECRET&access-key=AK', '--pd', 'x:2379'], {
      onLine: (_s, l) => seen.push(l),
    });
    expect(r.stderrTail).toContain('s3://b/p?***');
    expect(r.stderrTail).not.toContain('SECRET');
    expect(seen.some((l) => l.includes('s3://b/p?***'))).toBe(true);
    expect(seen.join('\n')).not.toContain('SECRET');
  });

  it('on abort kills the whole process group, grandchild included, and throws AbortError', async () => {
    const ac = new AbortController();
    const { run, pids } = startTree([], ac.signal);
    const { leader, grandchild } = await pids;
    expect(alive(grandchild)).toBe(true);
    ac.abort();
    const err = (await run.catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('AbortError');
    expect(alive(leader)).toBe(false);
    expect(alive(grandchild)).toBe(false);
  });

  it('escalates to SIGKILL when the group ignores SIGTERM', async () => {
    const ac = new AbortController();
    const { run, pids } = startTree(['stubborn'], ac.signal, { killGraceMs: 700 });
    const { leader, grandchild } = await pids;
    const t0 = Date.now();
    ac.abort();
    const err = (await run.catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('AbortError');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(650);
    expect(alive(leader)).toBe(false);
    expect(alive(grandchild)).toBe(false);
  });

  it('rethrows an AbortError given as the abort reason, and refuses to start when already aborted', async () => {
    const reason = new Error('activity cancelled');
    reason.name = 'AbortError';
    const ac = new AbortController();
    ac.abort(reason);
    await expect(runTool(tool('lines.mjs'), ['1', '0'], { signal: ac.signal })).rejects.toBe(reason);
  });

  it('on timeout kills the group and throws ToolTimeoutError', async () => {
    const { run, pids } = startTree([], undefined, { timeoutMs: 1500 });
    const { grandchild } = await pids;
    const err = (await run.catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(ToolTimeoutError);
    expect(err).toBeInstanceOf(ToolError);
    expect(err.message).toMatch(/timed out after 1500 ms/);
    expect(alive(grandchild)).toBe(false);
  });
});

describe('tool environment', () => {
  test("tools inherit the system basics and storage credentials, never the worker's keys", () => {
    const env = toolEnvironment({ PATH: '/bin', HOME: '/root', AWS_ACCESS_KEY_ID: 'ak', TIUP_HOME: '/t', TIEM_SECRET_KEY: 's', TIEM_CODEC_KEY: 'c', TIEM_API_TOKENS: 't' });
    expect(env).toEqual({ PATH: '/bin', HOME: '/root', AWS_ACCESS_KEY_ID: 'ak', TIUP_HOME: '/t' });
  });
});
