import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { validateValue, TEXT_DEFAULT_MAX } from '../../src/config/field-values/validate-value.ts';
import { validateInput } from '../../src/core/records/validate-input.ts';
import { normalizeEmail } from '../../src/core/auth/account-input.ts';
import { randomId, isRecordId } from '../../src/crypto/random-id.ts';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';
import { KINDS } from './records-fixture.ts';

const f = (name: string) => {
  const def = KINDS.fields.find((x) => x.name === name);
  if (!def) throw new Error(name);
  return def;
};
const ok = (name: string, v: unknown, expected: unknown = v) => {
  const r = validateValue(f(name), v);
  assert.ok(r.ok, `${name}: ${JSON.stringify(v)} should pass (${r.ok ? '' : r.reason})`);
  assert.deepEqual(r.value, expected);
};
const bad = (name: string, v: unknown) => {
  const r = validateValue(f(name), v);
  assert.equal(r.ok, false, `${name}: ${typeof v === 'string' ? v.slice(0, 60) : typeof v} should fail`);
};
const OPERATOR = { $gt: 1 };

describe('validateValue per type', () => {
  test('text: code-point length, pattern, NUL, lone surrogates', () => {
    ok('t', 'ab');
    ok('t', '😀😀'); // 2 code points, 4 UTF-16 units
    ok('t', 'abcde');
    bad('t', 'a');
    bad('t', 'abcdef');
    bad('t', '😀😀😀😀😀😀');
    ok('code', 'ABC');
    for (const v of ['abc', 'ABCD', 'AB']) bad('code', v);
    for (const v of ['a\u0000b', 'ab\uD800', '\uDC00ab', 1, true, null, ['ab'], OPERATOR]) bad('t', v);
    ok('free', 'x'.repeat(TEXT_DEFAULT_MAX));
    bad('free', 'x'.repeat(TEXT_DEFAULT_MAX + 1));
    bad('free', 'x'.repeat(5_000_000));
  });

  test('number: integer/float, finite, range', () => {
    ok('i', 10);
    ok('i', -10);
    ok('i', -0, 0);
    for (const v of [11, -11, 1.5, NaN, Infinity, '5', true, null, [1], OPERATOR]) bad('i', v);
    ok('f', 0.5);
    for (const v of [-0.1, 1.01, Infinity, -Infinity, NaN, '0.5']) bad('f', v);
  });

  test('boolean is strictly boolean', () => {
    ok('b', true);
    ok('b', false);
    for (const v of [0, 1, 'true', 'false', null, [], {}]) bad('b', v);
  });

  test('email: trimmed, lowercased, strict, ≤ 254', () => {
    ok('e', '  Alice@Example.COM ', 'alice@example.com');
    ok('e', 'a.b+c@sub.example.org');
    const long = `${'a'.repeat(64)}@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(10)}.com`;
    assert.ok(long.length > 254);
    for (const v of ['a@b', 'a@@b.com', 'a..b@c.com', '.a@b.com', 'a@-b.com', 'a b@c.com', 'a@b.com\u0000', long, 'a@b.c', 5, OPERATOR]) bad('e', v);
    // Controls, lone surrogates, bidi overrides and letters that lower-case to ASCII (Kelvin sign → k).
    for (const v of ['a\u0001\u001b@x.io', 'a@x.io\n', '\ta@x.io', 'a\u007f@x.io', 'a\u0085@x.io', 'a\ud800@x.io', 'a\udc00@x.io', 'a\u202e@x.io', 'a\u200b@x.io', '\u212aate@x.io', 'a@x\u0130o.io']) bad('e', v);
  });

  test('email: accounts use the very same rule as email fields', () => {
    const inputs = ['  Alice@Example.COM ', 'a.b+c@sub.example.org', 'a\u0000@x.io', 'a\u0001@x.io', 'a\ud800@x.io', '\u212aate@x.io', 'a@b', `${'a'.repeat(250)}@x.io`];
    for (const v of inputs) {
      const r = validateValue(f('e'), v);
      assert.equal(normalizeEmail(v), r.ok ? r.value : null, JSON.stringify(v));
    }
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.emailAddress()), (v) => {
      const r = validateValue(f('e'), v);
      return normalizeEmail(v) === (r.ok ? r.value : null);
    }), { numRuns: 500 });
  });

  test('url: http/https only, no control chars, ≤ 2048', () => {
    ok('u', 'https://example.com/a?b=c#d');
    ok('u', 'http://localhost:8080');
    for (const v of ['javascript:alert(1)', 'ftp://x.com', 'file:///etc/passwd', 'data:text/html,x', 'https://exa\tmple.com', ' https://x.com', 'notaurl', `https://x.com/${'a'.repeat(2048)}`, 'https://', 7]) bad('u', v);
  });

  test('date: YYYY-MM-DD and a real calendar day', () => {
    ok('d', '2024-02-29');
    ok('d', '0099-01-01');
    for (const v of ['2023-02-29', '2024-13-01', '2024-00-10', '2024-04-31', '2024-1-1', '2024-01-01T00:00:00Z', '20240101', '']) bad('d', v);
  });

  test('datetime: ISO 8601 with offset, normalized to UTC milliseconds', () => {
    ok('dt', '2024-05-06T07:08:09Z', '2024-05-06T07:08:09.000Z');
    ok('dt', '2024-05-06T01:00:00+02:00', '2024-05-05T23:00:00.000Z');
    ok('dt', '2024-05-06T07:08Z', '2024-05-06T07:08:00.000Z');
    ok('dt', '2024-05-06T07:08:09.123456-05:30', '2024-05-06T12:38:09.123Z');
    for (const v of ['2024-05-06T07:08:09', '2024-05-06', '2024-02-30T00:00:00Z', '2024-05-06T24:00:00Z', '2024-05-06T07:60:00Z', '2024-05-06 07:08:09Z', '0001-01-01T00:00:00+01:00', 1714979289000]) bad('dt', v);
  });

  test('select: single value or unique array of values', () => {
    ok('s', 'red');
    for (const v of ['blue', 'RED', ['red'], null, 1]) bad('s', v);
    ok('ms', ['a', 'c']);
    ok('ms', []);
    for (const v of [['a', 'a'], ['d'], 'a', [1], [OPERATOR]]) bad('ms', v);
  });

  test('json: any JSON value, ≤ 64 KiB, depth ≤ 20, no NUL/surrogates/prototype keys', () => {
    ok('j', { a: [1, 'x', null, true, { b: 2 }] });
    ok('j', 'just a string');
    ok('j', 0);
    let deep: unknown = 1;
    for (let i = 0; i < 20; i++) deep = [deep];
    ok('j', deep);
    bad('j', [deep]);
    let hostile: unknown = 1;
    for (let i = 0; i < 100_000; i++) hostile = { a: hostile };
    bad('j', hostile);
    bad('j', { big: 'x'.repeat(64 * 1024) });
    bad('j', { a: 'x\u0000' });
    bad('j', { ['k\uD800']: 1 });
    bad('j', JSON.parse('{"__proto__": {"admin": true}}'));
    bad('j', { n: Infinity });
    bad('j', new Date());
    bad('j', undefined);
  });

  test('relation: only a record id shape passes here (existence is checked by the service)', () => {
    ok('note', randomId());
    for (const v of ['short', `${randomId()}x`, 'a'.repeat(19) + '!', 5, [randomId()], OPERATOR]) bad('note', v);
  });
});

describe('randomId', () => {
  test('20 url-safe characters, unique', () => {
    const ids = new Set(Array.from({ length: 2000 }, () => randomId()));
    assert.equal(ids.size, 2000);
    for (const id of ids) assert.ok(isRecordId(id), id);
    assert.equal(isRecordId('../../etc/passwd0000'), false);
    assert.equal(isRecordId(42), false);
  });
});

describe('validateInput', () => {
  test('create applies defaults and nulls; collects every problem', () => {
    const out = validateInput(KINDS, { t: 'abc' }, 'create');
    assert.equal(out.req, 'dflt');
    assert.equal(out.t, 'abc');
    assert.equal(out.b, null);
    assert.throws(() => validateInput(KINDS, { t: 'a', i: 99, req: null, id: 'x', zz: 1 }, 'create'), (e: unknown) => {
      assert.ok(e instanceof StrongboxError);
      assert.equal(e.code, 'ERR_VALIDATION');
      assert.deepEqual(Object.keys(e.details?.fields ?? {}).sort(), ['i', 'id', 'req', 't', 'zz']);
      return true;
    });
  });

  test('update is partial and cannot clear a required field', () => {
    const out = validateInput(KINDS, { i: 3 }, 'update');
    assert.deepEqual({ ...out }, { i: 3 });
    assert.throws(() => validateInput(KINDS, { req: null }, 'update'), /req/);
    assert.throws(() => validateInput(KINDS, { req: '' }, 'update'), /req/);
  });

  test('property: any body either validates or throws ERR_VALIDATION, never anything else', () => {
    fc.assert(fc.property(fc.anything({ maxDepth: 4 }), (body) => {
      try {
        validateInput(KINDS, body, 'create');
      } catch (e) {
        assert.ok(e instanceof StrongboxError && e.code === 'ERR_VALIDATION', String(e));
      }
    }), { numRuns: 500 });
  });
});
