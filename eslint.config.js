// Lint rules that hold the architecture in place (see DESIGN.md, CONVENTIONS.md 5 and 8).
// Syntax-only typescript-eslint (no type information) so `npm run lint` stays fast.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Flat config replaces a rule's options per matching block, so each scope lists its whole set.
const MATH_RANDOM = { object: 'Math', property: 'random', message: 'Math.random is predictable; use src/crypto (CSPRNG).' };
const RAW_SQL = [
  { object: 'sql', property: 'raw', message: 'sql.raw takes unchecked SQL text: only src/db/ may use it.' },
  { object: 'sql', property: 'lit', message: 'sql.lit inlines a value into SQL text: only src/db/ may use it.' },
  { object: 'CompiledQuery', property: 'raw', message: 'CompiledQuery.raw runs unchecked SQL text: only src/db/ may use it.' },
  { property: 'unsafe', message: '.unsafe() runs unchecked SQL: only src/db/ may use it.' },
];

const CRYPTO = [
  { name: 'node:crypto', message: 'Only src/crypto/ uses node:crypto (random ids and tokens too).' },
  { name: 'crypto', message: 'Only src/crypto/ uses node:crypto (random ids and tokens too).' },
];
const ARGON2 = [{ name: '@node-rs/argon2', message: 'Only src/crypto/ hashes passwords.' }];
const FASTIFY = [{ name: 'fastify', message: 'Only src/http/ uses Fastify; core/ stays framework-free.' }];
const FASTIFY_PLUGINS = [{ group: ['@fastify/*'], message: 'Only src/http/ uses Fastify plugins.' }];

const restrictImports = (paths, patterns = []) => ['error', { paths, patterns }];

// A readonly Node global set for plain .js/.mjs files (TypeScript files are checked by tsc).
const NODE_GLOBALS = Object.fromEntries(
  ['process', 'console', 'Buffer', 'URL', 'URLSearchParams', 'setTimeout', 'clearTimeout', 'setInterval',
    'clearInterval', 'setImmediate', 'queueMicrotask', 'structuredClone', 'AbortController', 'TextEncoder',
    'TextDecoder', 'fetch', 'globalThis'].map((name) => [name, 'readonly']),
);

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', '.tmp/', 'data/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: NODE_GLOBALS },
  },
  {
    rules: {
      'no-restricted-properties': ['error', MATH_RANDOM, ...RAW_SQL],
      'no-restricted-imports': restrictImports([...CRYPTO, ...ARGON2, ...FASTIFY], FASTIFY_PLUGINS),
      // input validation rejects control characters with exactly such regexes
      'no-control-regex': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  // src/db/ owns raw SQL (dialect differences, DDL in migrations)
  {
    files: ['src/db/**'],
    rules: { 'no-restricted-properties': ['error', MATH_RANDOM] },
  },
  {
    files: ['src/crypto/**'],
    rules: { 'no-restricted-imports': restrictImports(FASTIFY, FASTIFY_PLUGINS) },
  },
  {
    files: ['src/http/**'],
    rules: { 'no-restricted-imports': restrictImports([...CRYPTO, ...ARGON2]) },
  },
  // tests may use node:crypto (random test data), inspect argon2 hashes, and drive Fastify
  {
    files: ['test/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  // the bare baseline server does the same work as Strongbox without its layers: Fastify and argon2 directly
  {
    files: ['bench/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
