// Attack: a hostile strongbox.yaml (alias bombs, huge or deeply nested documents, __proto__ keys, duplicate keys that
// override a rule, code-executing tags, merge keys, ReDoS patterns, non-UTF-8 bytes, special files) tries to crash or
// hang start-up, pollute prototypes, or slip a weaker config past validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { ConfigError } from '../../src/config/config-error.ts';
import { loadConfig, MAX_CONFIG_BYTES } from '../../src/config/load-config.ts';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';
import { configError, loadText, writeConfig } from './write-config.ts';

/** Loads a file that must be refused, within `ms`, with ERR_CONFIG. */
function refused(load: () => unknown, ms = 2000): StrongboxError {
  const start = performance.now();
  try {
    load();
  } catch (err) {
    assert.ok(err instanceof StrongboxError, `not a StrongboxError: ${String(err)}`);
    assert.equal(err.code, 'ERR_CONFIG');
    assert.ok(performance.now() - start < ms, `took ${Math.round(performance.now() - start)} ms`);
    assert.doesNotMatch(err.message, /\n\s+at |\/tmp\/|sb-config-/, 'no stack or server path');
    return err;
  }
  return assert.fail('the hostile config was accepted');
}

test('billion laughs: nested aliases are refused before they expand', () => {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 10; i++) {
    const prev = String.fromCharCode(96 + i);
    const name = String.fromCharCode(97 + i);
    lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  const before = process.memoryUsage().heapUsed;
  const err = refused(() => loadText(`collections:\n  x:\n    fields: {}\n    extra:\n${lines.map((l) => `      ${l}`).join('\n')}\n`));
  assert.match(err.message, /aliases expand too much/);
  assert.ok(process.memoryUsage().heapUsed - before < 64 * 1024 * 1024, 'no expansion in memory');
});

test('a file larger than 1 MiB is refused without being parsed', () => {
  const big = `# ${'x'.repeat(MAX_CONFIG_BYTES)}\ncollections: {}\n`;
  const err = refused(() => loadConfig(writeConfig(big)));
  assert.equal(err.message, 'strongbox.yaml: the file is larger than 1 MiB');
  assert.ok(!(err instanceof ConfigError) || err.issues.length === 1);
});

test('deeply nested flow collections give ERR_CONFIG, not a stack overflow', () => {
  refused(() => loadText(`collections: ${'['.repeat(100_000)}`), 5000);
  refused(() => loadText(`collections: ${'{a: '.repeat(50_000)}`), 5000);
});

test('__proto__ and constructor keys never pollute prototypes or pass validation', () => {
  const yaml = [
    '__proto__: { polluted: true }',
    'listen: { __proto__: { port: 1 } }',
    'collections:',
    '  __proto__: { fields: {} }',
    '  notes:',
    '    fields:',
    '      __proto__: { type: text }',
    '      meta: { type: json, default: { __proto__: { polluted: true } } }',
    '      t: { type: text, __proto__: { sensitive: true } }',
    '    rules: { __proto__: { list: "true" } }',
  ].join('\n');
  const err = configError(yaml);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal((Object.prototype as Record<string, unknown>).port, undefined);
  assert.deepEqual(err.issues.map((i) => `${i.line} ${i.path}`), [
    '1 __proto__',
    '2 listen.__proto__',
    '4 collections.__proto__',
    '7 collections.notes.fields.__proto__',
    '8 collections.notes.fields.meta.default',
    '9 collections.notes.fields.t.__proto__',
    '10 collections.notes.rules.__proto__',
  ]);
});

test('a json default with __proto__ is refused, as a record body with it would be', () => {
  const err = configError('collections:\n  n:\n    fields:\n      meta: { type: json, default: { a: { __proto__: { polluted: true } } } }\n');
  assert.deepEqual(err.issues.map((i) => `${i.line} ${i.path}: ${i.message}`), [
    '4 collections.n.fields.meta.default: default must not contain the key "__proto__"',
  ]);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('a duplicate key cannot override a strict rule with an open one', () => {
  const yaml = 'collections:\n  n:\n    fields: {}\n    rules:\n      list: "owner = @auth.id"\n      list: "true"\n';
  const err = configError(yaml);
  assert.equal(err.message, 'strongbox.yaml:6:7: duplicate key');
});

test('code-executing and custom tags are refused, even ones yaml resolves', () => {
  for (const value of ['!!js/function "function () { return 1 }"', '!!js/undefined ""', '!!binary aGVsbG8=', '!custom x', '!!str 8443', '!!python/object:os.system [ls]']) {
    const err = configError(`listen:\n  host: ${value}\n`);
    assert.equal(err.issues.length, 1, value);
    assert.match(err.issues[0].text, /^strongbox\.yaml:2:\d+: YAML tags \(such as !!js\/function or !!binary\) are not allowed$/, value);
  }
});

test('merge keys do not merge: an anchored open rule cannot be spliced in', () => {
  const yaml = [
    'open: &open { list: "true", view: "true" }',
    'collections:',
    '  n:',
    '    fields: {}',
    '    rules:',
    '      <<: *open',
  ].join('\n');
  const err = configError(yaml);
  assert.deepEqual(err.issues.map((i) => i.path), ['open', 'collections.n.rules["<<"]']);
});

test('a %YAML 1.1 directive does not bring back yes/no booleans or timestamps', () => {
  const err = configError('%YAML 1.1\n---\nauth: { register: yes }\n');
  assert.match(err.message, /auth\.register: expected true or false, got a string/);
});

test('only one document: a second document cannot hide a different config', () => {
  const err = configError('collections: {}\n---\nauth: { register: true }\n');
  assert.match(err.message, /exactly one YAML document/);
});

test('ReDoS patterns never reach the validator', () => {
  const err = configError("collections:\n  n:\n    fields:\n      a: { type: text, pattern: '^(\\w+\\s?)*$' }\n");
  assert.match(err.message, /nests quantifiers/);
});

test('non-UTF-8 bytes, NUL in paths and special files are refused', () => {
  refused(() => loadConfig(writeConfig(Buffer.from([0x61, 0x3a, 0x20, 0xff, 0xfe, 0x0a]))));
  refused(() => loadText('database: "sqlite:./a\\0b.db"\n'));
  if (existsSync('/dev/zero')) refused(() => loadConfig('/dev/zero'));
  refused(() => loadConfig('/nonexistent/strongbox.yaml'));
});

test('huge keys and floods of errors give a short message', () => {
  const longKey = 'k'.repeat(1000);
  const keys = Array.from({ length: 5000 }, (_, i) => `k${i}: 1`).join('\n');
  const err = configError(`${longKey}: 1\n${keys}\n`);
  assert.equal(err.issues.length, 5001);
  assert.ok(err.message.length < 10_000, `message is ${err.message.length} chars`);
  assert.match(err.message, /… and 4951 more/);
  assert.ok(!err.message.includes(longKey));
});

test('tens of thousands of keys stay linear (no quadratic duplicate-key check)', () => {
  const keys = Array.from({ length: 40_000 }, (_, i) => `k${i}: 1`).join('\n');
  const err = refused(() => loadText(`${keys}\n`), 15_000);
  assert.ok(err instanceof ConfigError && err.issues.length === 40_000);
});

test('keys that become the same string collide: 1 and "1"', () => {
  const err = configError('collections:\n  n:\n    fields:\n      a: { type: text, 1: x, "1": y }\n');
  assert.deepEqual(err.issues.map((i) => i.text), ['strongbox.yaml:4:30: duplicate key']);
});
