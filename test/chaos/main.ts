// `npm run chaos` — the chaos matrices against the real worker process, the Temporal dev server,
// the simulator and the metadata store; `npm run chaos -- --ci` runs the short subset CI runs.
// Prints one line per case as it ends, then a table: cases per matrix, survived, invariant
// violations, and the failing cases with their workflow ids. Exit 1 if anything did not survive.
//
//   --ci                the CI subset        --only <matrix,…>   fault, cancellation, crash, correlated, concurrency, hostile
//   --outage <minutes>  source TiDB outage during compensation (default 10; CI 6)
//   --grep <regexp>     only cases whose name matches it
//   --keep              leave the working folder (logs) behind
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { allCases, type MatrixOptions } from './matrices.js';
import { runCases, type CaseResult } from './runner.js';
import { ChaosStack } from './stack.js';
import { secretsInFiles } from './invariants.js';

const { values } = parseArgs({
  options: { ci: { type: 'boolean' }, only: { type: 'string' }, grep: { type: 'string' }, outage: { type: 'string' }, keep: { type: 'boolean' }, sources: { type: 'string' } },
});
const ci = values.ci === true;
const RECONCILE_MS = 20_000;
const opts: MatrixOptions = { ci, outageMs: Number(values.outage ?? (ci ? 6 : 10)) * 60_000, reconcileMs: RECONCILE_MS };

function table(results: CaseResult[], extra: { matrix: string; cases: number; survived: number; violations: number }[]): string[] {
  const rows = new Map<string, { cases: number; survived: number; violations: number }>();
  for (const r of results) {
    const row = rows.get(r.matrix) ?? { cases: 0, survived: 0, violations: 0 };
    row.cases++;
    if (r.survived) row.survived++;
    row.violations += r.violations.length;
    rows.set(r.matrix, row);
  }
  for (const e of extra) rows.set(e.matrix, e);
  const lines = ['', `${'matrix'.padEnd(16)} ${'cases'.padStart(6)} ${'survived'.padStart(9)} ${'invariant violations'.padStart(21)}`];
  let total = { cases: 0, survived: 0, violations: 0 };
  for (const [m, r] of rows) {
    lines.push(`${m.padEnd(16)} ${String(r.cases).padStart(6)} ${String(r.survived).padStart(9)} ${String(r.violations).padStart(21)}`);
    total = { cases: total.cases + r.cases, survived: total.survived + r.survived, violations: total.violations + r.violations };
  }
  lines.push(`${'total'.padEnd(16)} ${String(total.cases).padStart(6)} ${String(total.survived).padStart(9)} ${String(total.violations).padStart(21)}`);
  const failing = results.filter((r) => !r.survived);
  if (failing.length) {
    lines.push('', 'failing cases:');
    for (const r of failing) lines.push(`  [${r.matrix}] ${r.name}  (${r.workflowId})`, ...r.violations.map((v) => `      - ${v}`));
  }
  return lines;
}

async function main(): Promise<number> {
  const only = values.only ? new Set(values.only.split(',').map((s) => s.trim())) : undefined;
  const cases = allCases(opts)
    .filter((c) => !only || only.has(c.matrix) || (c.matrix === 'hostile input' && only.has('hostile')))
    .filter((c) => !values.grep || new RegExp(values.grep).test(c.name));
  const dir = mkdtempSync(join(tmpdir(), 'tiem-chaos-'));
  const stack = new ChaosStack({ dir, sources: Number(values.sources ?? 3), speed: 50, reconcileInterval: `${RECONCILE_MS / 1000}s` });
  const t0 = Date.now();
  console.log(`chaos: ${cases.length} cases${ci ? ' (CI subset)' : ''}; working folder ${dir}`);
  let results: CaseResult[] = [];
  const extra: { matrix: string; cases: number; survived: number; violations: number }[] = [];
  try {
    await stack.start();
    results = await runCases(stack, cases, (r) =>
      console.log(`${r.survived ? 'ok  ' : 'FAIL'} [${r.matrix}] ${r.name} (${(r.ms / 1000).toFixed(0)} s)${r.survived ? '' : `\n       ${r.violations.join('\n       ')}`}`),
    );
    // Secrets at rest and in logs, over everything every case wrote.
    const secrets = [...[...stack.sources, stack.bigSource].map((s) => s.rootPassword), ...stack.secrets];
    const metadata = await stack.metadataBytes();
    const leaks = [
      ...secretsInFiles([stack.workerLog, join(dir, 'logs', 'simulator.log')], secrets),
      ...secrets.filter((s) => metadata.includes(Buffer.from(s, 'utf8'))).map(() => 'plaintext secret in the metadata DB'),
    ];
    extra.push({ matrix: 'secrets at rest', cases: 1, survived: leaks.length ? 0 : 1, violations: leaks.length });
    for (const l of leaks) console.log(`FAIL ${l}`);
  } finally {
    await stack.stop();
  }
  for (const line of table(results, extra)) console.log(line);
  console.log(`\n${((Date.now() - t0) / 60_000).toFixed(1)} min, worker restarted ${stack.workerRestarts} time(s)`);
  if (!values.keep && results.every((r) => r.survived)) rmSync(dir, { recursive: true, force: true });
  return results.every((r) => r.survived) && extra.every((e) => e.violations === 0) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
