import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFilter } from '../../src/filter/parser.ts';
import { FILTER_LIMITS } from '../../src/filter/ast.ts';
import { assertFilterError } from '../helpers/filter-errors.ts';

const fails = (text: string, code: string, position: number, message?: RegExp): void =>
  assertFilterError(() => parseFilter(text), code, position, message);

describe('parseFilter: AST', () => {
  test('precedence: && binds tighter than ||, parentheses group', () => {
    const e = parseFilter("a = 1 || b = 'x' && c != null");
    assert.equal(e.kind, 'or');
    assert.equal(e.kind === 'or' && e.items[1].kind, 'and');
    const g = parseFilter('(a = 1 || b = 2) && c = 3');
    assert.equal(g.kind, 'and');
    assert.equal(g.kind === 'and' && g.items[0].kind, 'or');
  });

  test('operands: fields, macros, strings with escapes, numbers, booleans, null', () => {
    const e = parseFilter(`a = "q\\"\\\\\\'" && @auth.id != null && n >= -1.5e3 && ok = true && @body.title = 'x'`);
    assert.ok(e.kind === 'and');
    const [s, m, n, b, body] = e.items;
    assert.deepEqual(s, { kind: 'compare', op: '=', left: { kind: 'field', name: 'a', pos: 0 }, right: { kind: 'string', value: `q"\\'`, pos: 4 }, pos: 0 });
    assert.ok(m.kind === 'compare' && m.left.kind === 'macro' && m.left.name === 'auth.id' && m.right.kind === 'null');
    assert.ok(n.kind === 'compare' && n.right.kind === 'number' && n.right.value === -1500 && n.op === '>=');
    assert.ok(b.kind === 'compare' && b.right.kind === 'boolean' && b.right.value === true);
    assert.ok(body.kind === 'compare' && body.left.kind === 'macro' && body.left.name === 'body.title');
  });

  test('every operator', () => {
    for (const op of ['=', '!=', '>', '>=', '<', '<=', '~', '!~']) {
      const e = parseFilter(`a${op}'v'`);
      assert.ok(e.kind === 'compare' && e.op === op, op);
    }
  });

  test('bare true/false terms, also combined and nested', () => {
    assert.deepEqual(parseFilter('true'), { kind: 'const', value: true, pos: 0 });
    assert.deepEqual(parseFilter(' (false) '), { kind: 'const', value: false, pos: 2 });
    const e = parseFilter('true && a = 1');
    assert.ok(e.kind === 'and' && e.items[0].kind === 'const');
    const cmp = parseFilter('true = a');
    assert.ok(cmp.kind === 'compare' && cmp.left.kind === 'boolean');
  });

  test('NUL, quotes and newlines are plain data inside strings', () => {
    const e = parseFilter("a = 'x\u0000y\n\"--/*'");
    assert.ok(e.kind === 'compare' && e.right.kind === 'string' && e.right.value === 'x\u0000y\n"--/*');
  });

  test('non-BMP characters inside strings survive', () => {
    const e = parseFilter("a = '😀\u{10FFFF}'");
    assert.ok(e.kind === 'compare' && e.right.kind === 'string' && e.right.value === '😀\u{10FFFF}');
  });
});

describe('parseFilter: errors name the position', () => {
  test('syntax errors', () => {
    fails("title = 'x' && (a = 1))", 'ERR_FILTER_SYNTAX', 22, /unexpected '\)'/);
    fails('a = ', 'ERR_FILTER_SYNTAX', 4, /unexpected end of filter/);
    fails('a == 1', 'ERR_FILTER_SYNTAX', 3, /unexpected '='/);
    fails('(a = 1', 'ERR_FILTER_SYNTAX', 6, /expected '\)'/);
    fails('a = 1 b = 2', 'ERR_FILTER_SYNTAX', 6);
    fails('a', 'ERR_FILTER_SYNTAX', 1, /expected an operator/);
    fails('', 'ERR_FILTER_SYNTAX', 0);
    fails('   ', 'ERR_FILTER_SYNTAX', 3);
    fails('a = 1 &', 'ERR_FILTER_SYNTAX', 6, /unexpected character '&'/);
    fails('a = 1 | b = 2', 'ERR_FILTER_SYNTAX', 6);
    // camelCase field names: upper-case letters are identifiers, so `TRUE` is a (field) name, not a keyword
    assert.deepEqual((parseFilter('A = 1') as { left: unknown }).left, { kind: 'field', name: 'A', pos: 0 });
    assert.deepEqual((parseFilter('a = TRUE') as { right: unknown }).right, { kind: 'field', name: 'TRUE', pos: 4 });
    fails('a = 1 -- comment', 'ERR_FILTER_SYNTAX', 6);
    fails('a = 1; drop table x', 'ERR_FILTER_SYNTAX', 5, /';'/);
    fails('a ! 1', 'ERR_FILTER_SYNTAX', 2);
    fails('&& a = 1', 'ERR_FILTER_SYNTAX', 0);
    fails('()', 'ERR_FILTER_SYNTAX', 1);
  });

  test('strings: unterminated, bad escapes, lone surrogates', () => {
    fails("a = 'abc", 'ERR_FILTER_SYNTAX', 4, /unterminated string/);
    fails('a = "abc\'', 'ERR_FILTER_SYNTAX', 4, /unterminated string/);
    fails("a = 'a\\nb'", 'ERR_FILTER_SYNTAX', 6, /invalid escape \\n/);
    fails("a = 'a\\x41'", 'ERR_FILTER_SYNTAX', 6, /invalid escape/);
    fails("a = 'a\\", 'ERR_FILTER_SYNTAX', 6);
    fails("a = 'a\uD800b'", 'ERR_FILTER_SYNTAX', 6, /not valid Unicode/);
    fails("a = 'a\uDC00'", 'ERR_FILTER_SYNTAX', 6, /not valid Unicode/);
  });

  test('numbers: JSON-like and finite', () => {
    fails('a = 01', 'ERR_FILTER_SYNTAX', 5);
    fails('a = 1.', 'ERR_FILTER_SYNTAX', 6, /digit/);
    fails('a = .5', 'ERR_FILTER_SYNTAX', 4);
    fails('a = 1e', 'ERR_FILTER_SYNTAX', 6, /exponent/);
    fails('a = 1e999', 'ERR_FILTER_SYNTAX', 4, /out of range/);
    fails('a = 12abc', 'ERR_FILTER_SYNTAX', 6);
    fails('a = +1', 'ERR_FILTER_SYNTAX', 4);
    fails('a = 0x10', 'ERR_FILTER_SYNTAX', 5);
    assert.deepEqual((parseFilter('a = NaN') as { right: unknown }).right, { kind: 'field', name: 'NaN', pos: 4 });
    const e = parseFilter('a = 0.5e-2');
    assert.ok(e.kind === 'compare' && e.right.kind === 'number' && e.right.value === 0.005);
  });

  test('control characters, NUL and unicode look-alikes outside strings', () => {
    fails('a = 1\u0000', 'ERR_FILTER_SYNTAX', 5, /U\+0000/);
    fails('a\u0001= 1', 'ERR_FILTER_SYNTAX', 1, /U\+0001/);
    fails('a = \uFF071\uFF07', 'ERR_FILTER_SYNTAX', 4, /U\+FF07/);
    fails('a = \u2019x\u2019', 'ERR_FILTER_SYNTAX', 4, /U\+2019/);
    fails('a\u200F = 1', 'ERR_FILTER_SYNTAX', 1, /U\+200F/);
    fails('a = 1 \u00A0', 'ERR_FILTER_SYNTAX', 6, /U\+00A0/);
    fails('a = 😀', 'ERR_FILTER_SYNTAX', 4, /U\+1F600/);
  });

  test('macros', () => {
    fails('a = @auth.password', 'ERR_FILTER_SYNTAX', 4, /unknown macro '@auth.password'/);
    fails('a = @', 'ERR_FILTER_SYNTAX', 5, /macro name/);
    fails('a = @body', 'ERR_FILTER_SYNTAX', 4);
    fails('a = @body.x.y', 'ERR_FILTER_SYNTAX', 4);
    assert.deepEqual(parseFilter('@body.x:isset = true'), { kind: 'compare', op: '=', pos: 0,
      left: { kind: 'macro', name: 'body.x:isset', pos: 0 }, right: { kind: 'boolean', value: true, pos: 16 } });
    fails('@body.x:set = true', 'ERR_FILTER_SYNTAX', 0, /unknown macro '@body.x:set'/);
    fails('@auth.id:isset = true', 'ERR_FILTER_SYNTAX', 0, /unknown macro/);
    fails('@body.x: isset = true', 'ERR_FILTER_SYNTAX', 7);
    fails('@body.x:isset:isset = true', 'ERR_FILTER_SYNTAX', 13);
    fails('a = @auth.', 'ERR_FILTER_SYNTAX', 10);
  });
});

describe('parseFilter: limits', () => {
  test(`length: ${FILTER_LIMITS.maxLength} characters`, () => {
    const ok = `a = '${'x'.repeat(FILTER_LIMITS.maxLength - 6)}'`;
    assert.equal(ok.length, FILTER_LIMITS.maxLength);
    parseFilter(ok);
    fails(ok + ' ', 'ERR_FILTER_LIMIT', FILTER_LIMITS.maxLength, /longer than 2000/);
  });

  test(`depth: ${FILTER_LIMITS.maxDepth} nested parentheses`, () => {
    const nest = (d: number): string => '('.repeat(d) + 'a = 1' + ')'.repeat(d);
    parseFilter(nest(FILTER_LIMITS.maxDepth));
    fails(nest(FILTER_LIMITS.maxDepth + 1), 'ERR_FILTER_LIMIT', FILTER_LIMITS.maxDepth, /deeper than 8/);
  });

  test('hostile nesting fails fast without recursing', () => {
    fails('('.repeat(1999), 'ERR_FILTER_LIMIT', 8);
    fails('('.repeat(100_000), 'ERR_FILTER_LIMIT', FILTER_LIMITS.maxLength);
  });

  test(`comparisons: ${FILTER_LIMITS.maxComparisons}`, () => {
    const terms = (k: number): string => Array.from({ length: k }, () => 'a = 1').join(' && ');
    parseFilter(terms(FILTER_LIMITS.maxComparisons));
    fails(terms(FILTER_LIMITS.maxComparisons + 1), 'ERR_FILTER_LIMIT', 40 * 9, /more than 40 comparisons/);
    fails(Array.from({ length: 41 }, () => 'true').join('||'), 'ERR_FILTER_LIMIT', 40 * 6);
  });
});
