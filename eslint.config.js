// Lint: typescript-eslint's recommended rules, plus the workflow sandbox rule: nothing under
// workflows/ (or the pure domain modules it imports) may import Node builtins or I/O libraries.
import tseslint from 'typescript-eslint';

const ioModules = ['fs', 'path', 'os', 'child_process', 'net', 'http', 'https', 'crypto', 'stream', 'worker_threads', 'execa', 'mysql2', 'mysql2/promise', 'better-sqlite3', 'kysely', 'pg', 'yaml'];
const restricted = {
  paths: ioModules.map((name) => ({ name, message: 'Workflow code runs in a deterministic sandbox: no I/O modules.' })),
  patterns: [{ group: ['node:*'], message: 'Workflow code runs in a deterministic sandbox: no Node builtins.' },
    { group: ['**/activities/index*', '**/adapters/*', '**/metadata/*', '!**/metadata/types*', '**/domain/topology*', '**/security/*'], message: 'Workflows import activity types only.' }],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.tools/**', '.tiem/**', 'coverage/**', 'simulator/bin/*.cjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },
  {
    files: ['workflows/**/*.ts', 'domain/**/*.ts'],
    ignores: ['domain/topology.ts'],
    rules: { 'no-restricted-imports': ['error', restricted] },
  },
);
