// ESLint: typescript-eslint with type information, so that a promise nobody awaits is an error,
// and a machine check that workflow code stays deterministic. Formatting is Prettier's job.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = [
  'assert',
  'async_hooks',
  'buffer',
  'child_process',
  'cluster',
  'crypto',
  'dgram',
  'dns',
  'events',
  'fs',
  'fs/promises',
  'http',
  'http2',
  'https',
  'net',
  'os',
  'path',
  'perf_hooks',
  'process',
  'readline',
  'stream',
  'timers',
  'tls',
  'url',
  'util',
  'v8',
  'vm',
  'worker_threads',
  'zlib',
];

/** Code that runs inside the workflow sandbox must replay identically: no I/O, no clock, no Node. */
const deterministic = {
  'no-restricted-imports': [
    'error',
    {
      paths: [
        ...NODE_BUILTINS.map((name) => ({ name, message: 'workflow code is replayed: no Node built-ins (use @temporalio/workflow APIs)' })),
        ...['@clickhouse/client', 'chdb', 'koa', '@koa/router', 'pino', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'].map((name) => ({
          name,
          message: 'workflow code is replayed: I/O belongs in activities',
          allowTypeImports: true,
        })),
      ],
      patterns: [
        { group: ['node:*'], message: 'workflow code is replayed: no Node built-ins (use @temporalio/workflow APIs)' },
        {
          group: ['**/clickhouse/**', '**/api/**', '**/temporal/**', '**/service', '**/config'],
          message: 'workflow code is replayed: it may import the domain and messages only',
          allowTypeImports: true,
        },
      ],
    },
  ],
  'no-restricted-globals': [
    'error',
    { name: 'process', message: 'workflow code is replayed: no process state' },
    { name: 'fetch', message: 'workflow code is replayed: I/O belongs in activities' },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tools/', '.data/', 'bench/results/', 'coverage/', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  { files: ['workflows/**/*.ts', 'src/domain/**/*.ts', 'bench/floor/bareWorkflow.ts'], rules: deterministic },
  {
    // Tests read loosely typed JSON answers on purpose.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  prettier,
);
