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

// The layers (DESIGN.md): cli/ http/ → core/ → db/ crypto/ → filter/ config/ → errors/ util/.
// Each folder lists the src/ folders it must not import; imports only ever point down.
const LAYER_BANS = {
  http: ['db', 'crypto', 'cli'],
  cli: ['db', 'crypto'],
  core: ['http', 'cli'],
  db: ['core', 'http', 'cli', 'crypto'],
  crypto: ['core', 'http', 'cli', 'db', 'filter', 'config'],
  filter: ['core', 'http', 'cli', 'db', 'crypto'],
  config: ['core', 'http', 'cli', 'db', 'crypto'],
  errors: ['core', 'http', 'cli', 'db', 'crypto', 'filter', 'config', 'util'],
  util: ['core', 'http', 'cli', 'db', 'crypto', 'filter', 'config', 'errors'],
};
const layerPattern = (folder) => ({
  regex: `^(\\.\\./)+(${LAYER_BANS[folder].join('|')})/`,
  message: `src/${folder}/ may not import ${LAYER_BANS[folder].map((f) => `src/${f}/`).join(', ')}: imports point down the layers.`,
});
// Per-folder import rules: the module bans that apply there plus its layer ban.
const folderImports = (folder, paths, patterns = []) => ({
  files: [`src/${folder}/**`],
  rules: { 'no-restricted-imports': restrictImports(paths, [...patterns, layerPattern(folder)]) },
});

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
  folderImports('crypto', FASTIFY, FASTIFY_PLUGINS),
  folderImports('http', [...CRYPTO, ...ARGON2]),
  ...['cli', 'core', 'db', 'filter', 'config', 'errors', 'util'].map((f) => folderImports(f, [...CRYPTO, ...ARGON2, ...FASTIFY], FASTIFY_PLUGINS)),
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
