import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { buildConfig } from '../../src/config/build-config.ts';
import { ConfigError } from '../../src/config/config-error.ts';
import { JSON_MAX_DEPTH } from '../../src/config/schema.ts';
import { validateValue } from '../../src/config/field-values/validate-value.ts';
import { field } from '../helpers/test-engine.ts';
import { configError } from './write-config.ts';

const KEY = 'collections.c.fields.f.default';

/** The issues of a config with one collection `c` holding one field `f`, or [] when it is accepted. */
function issuesOf(f: Record<string, unknown>): { path: string; message: string }[] {
  try {
    buildConfig({ collections: { c: { fields: { f } } } }, { baseDir: '/srv/app', env: {} });
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.code, 'ERR_CONFIG');
    return err.issues.map((i) => ({ path: i.path, message: i.message }));
  }
}

/** `n` arrays nested in each other: depth 1 is `[]`. */
const nested = (n: number): unknown => {
  let v: unknown = [];
  for (let i = 1; i < n; i++) v = [v];
  return v;
};

// A default the record validator would refuse makes every create without that field fail,
// so config must refuse it at start-up with the same rule.
describe('defaults use the record validator', () => {
  const refused: [string, Record<string, unknown>][] = [
    ['text with NUL', { type: 'text', default: 'a\u0000b' }],
    ['text with a lone surrogate', { type: 'text', default: 'a\ud800b' }],
    ['text longer than the implicit ceiling', { type: 'text', default: 'x'.repeat(65_536) }],
    ['json with __proto__', { type: 'json', default: JSON.parse('{"a":{"__proto__":{"polluted":true}}}') }],
    ['json with constructor', { type: 'json', default: { constructor: { prototype: 1 } } }],
    ['json with NUL in a string', { type: 'json', default: { a: 'x\u0000' } }],
    ['json with NUL in a key', { type: 'json', default: { 'k\u0000': 1 } }],
    [`json nested ${JSON_MAX_DEPTH + 1} deep`, { type: 'json', default: nested(JSON_MAX_DEPTH + 1) }],
    ['email with control characters', { type: 'email', default: 'a\u0001\u001b@x.io' }],
    ['email with NUL', { type: 'email', default: 'a\u0000@x.io' }],
    ['email with a lone surrogate', { type: 'email', default: 'a\ud800@x.io' }],
    ['email with U+202E', { type: 'email', default: 'a\u202e@x.io' }],
    ['email with a trailing newline', { type: 'email', default: 'a@x.io\n' }],
    ['email with the Kelvin sign (lower-cases to k)', { type: 'email', default: '\u212aate@x.io' }],
    ['url with a tab', { type: 'url', default: 'https://exa\tmple.com' }],
    ['single select with NUL', { type: 'select', values: ['a'], default: 'a\u0000' }],
  ];
  for (const [what, f] of refused) {
    test(`${what} → ERR_CONFIG at ${KEY}`, () => {
      const issues = issuesOf(f);
      assert.equal(issues.length, 1, JSON.stringify(issues));
      assert.equal(issues[0].path, KEY);
      assert.match(issues[0].message, /^default /);
      assert.doesNotMatch(issues[0].message, /\u0000|\u0001|\u001b/, 'the message does not echo the bad value');
      // And the record validator agrees: this is the value every create would have stored.
      const def = field('f', f.type as never, Object.fromEntries(Object.entries(f).filter(([k]) => k !== 'type' && k !== 'default')));
      assert.equal(validateValue(def, f.default).ok, false);
    });
  }

  test(`json nested ${JSON_MAX_DEPTH} deep is still accepted`, () => {
    assert.deepEqual(issuesOf({ type: 'json', default: nested(JSON_MAX_DEPTH) }), []);
  });

  test('accepted defaults are normalized exactly as records are', () => {
    const c = buildConfig({
      collections: {
        c: {
          fields: {
            e: { type: 'email', default: '  Ann@Example.COM ' },
            n: { type: 'number', default: -0 },
            j: { type: 'json', default: { a: ['x', 1, null] } },
          },
        },
      },
    }, { baseDir: '/srv/app', env: {} });
    const [e, n, j] = c.collections.c.fields;
    assert.equal(e.default, 'ann@example.com');
    assert.ok(Object.is(n.default, 0));
    assert.deepEqual(j.default, { a: ['x', 1, null] });
  });

  test('a relation default must have the record id shape', () => {
    const f = (d: string) => ({ collections: { t: { fields: {} }, c: { fields: { f: { type: 'relation', collection: 't', default: d } } } } });
    const build = (d: string) => buildConfig(f(d), { baseDir: '/srv/app', env: {} });
    assert.equal(build('AAAAAAAAAAAAAAAAAAAA').collections.c.fields[0].default, 'AAAAAAAAAAAAAAAAAAAA');
    assert.throws(() => build("x' OR 1=1 --"), (err) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.issues.map((i) => `${i.path}: ${i.message}`), [`${KEY}: default must be a record id`]);
      return true;
    });
  });

  test('in a file, the issue names file:line:col and the key path', () => {
    const yaml = 'collections:\n  c:\n    fields:\n      f: { type: text, default: "a\\0b" }\n      g: { type: email, default: "a\\x01@x.io" }\n';
    const err = configError(yaml);
    assert.deepEqual(err.issues.map((i) => i.text), [
      'strongbox.yaml:4:33: collections.c.fields.f.default: default must not contain NUL characters',
      'strongbox.yaml:5:34: collections.c.fields.g.default: default must be a valid email address',
    ]);
  });
});
