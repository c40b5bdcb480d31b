import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFilter } from '../../src/filter/parser.ts';
import { checkExpr, type CheckContext } from '../../src/filter/check.ts';
import { normalizeDate, normalizeDatetime } from '../../src/filter/temporal.ts';
import { ITEMS } from './filter-fixtures.ts';
import { assertFilterError } from '../helpers/filter-errors.ts';

const ctx: CheckContext = { collection: ITEMS, mode: 'filter' };
const check = (text: string, c: CheckContext = ctx) => checkExpr(parseFilter(text), c);

const fails = (text: string, code: string, position: number, message?: RegExp, c: CheckContext = ctx): void =>
  assertFilterError(() => check(text, c), code, position, message);

describe('checkExpr: accepted filters', () => {
  test('well-typed comparisons on every kind', () => {
    for (const text of [
      "title = 'a' && title ~ 'b' && email !~ 'x' && kind = 'a' && parent = 'p' && id != 'x' && owner = @auth.id",
      'n > 1 && x <= 2.5 && n = x && n > -1e300', "ok = true && ok != false && ok = null",
      "d >= '2024-02-29' && dt < '2024-01-01T00:00:00Z' && created > @now && updated <= dt",
      "title < 'b' && 'b' > title && @auth.role = 'doctor' && 'a' = 'a' && 1 < 2 && null = null",
      "ssn = '123' && ssn != null && title ~ @auth.email", 'true', "@auth.id != null",
    ]) check(text);
  });

  test('returns the same tree when nothing needs normalizing', () => {
    const e = parseFilter("title = 'a' && (n > 1 || d = '2024-01-01')");
    assert.equal(checkExpr(e, ctx), e);
  });

  test('datetime literals are normalized to UTC milliseconds', () => {
    const e = check("dt >= '2024-01-01T10:00+02:00' && '2024-03-01' < created");
    assert.ok(e.kind === 'and');
    const [a, b] = e.items;
    assert.ok(a.kind === 'compare' && a.right.kind === 'string');
    assert.equal(a.right.value, '2024-01-01T08:00:00.000Z');
    assert.ok(b.kind === 'compare' && b.left.kind === 'string');
    assert.equal(b.left.value, '2024-03-01T00:00:00.000Z');
  });

  test('@body is allowed in write rules and takes the field type', () => {
    const w: CheckContext = { collection: ITEMS, mode: 'write-rule' };
    check("@body.title = 'x' && @body.n > 3 && @body.ok = true && owner = @auth.id && @body.d < '2024-01-01'", w);
    fails('@body.n = \'x\'', 'ERR_FILTER_TYPE', 10, /@body.n \(a number\)/, w);
    check('@body.n:isset = true && @body.title:isset != false && ok = @body.d:isset', w);
    fails('@body.n:isset = 1', 'ERR_FILTER_TYPE', 16, undefined, w);
    fails('@body.title:isset ~ "x"', 'ERR_FILTER_TYPE', 0, undefined, w);
    fails('@body.nope:isset = true', 'ERR_FILTER_UNKNOWN_FIELD', 0, undefined, w);
    fails('@body.n:isset = true', 'ERR_FILTER_FORBIDDEN_FIELD', 0, /only allowed in create and update rules/);
  });
});

describe('checkExpr: errors', () => {
  test('ERR_FILTER_UNKNOWN_FIELD', () => {
    fails("title = 'a' && nope = 1", 'ERR_FILTER_UNKNOWN_FIELD', 15, /unknown field 'nope'/);
    fails("@body.nope = 1", 'ERR_FILTER_UNKNOWN_FIELD', 0, undefined, { collection: ITEMS, mode: 'write-rule' });
    fails("@body.owner = 'x'", 'ERR_FILTER_UNKNOWN_FIELD', 0, undefined, { collection: ITEMS, mode: 'write-rule' });
  });

  test('ERR_FILTER_TYPE: literal and field types never cast', () => {
    fails("title = 1", 'ERR_FILTER_TYPE', 8, /cannot compare field 'title' \(text\) with a number/);
    fails("n = '1'", 'ERR_FILTER_TYPE', 4, /field 'n' \(a number\)/);
    fails('ok = 1', 'ERR_FILTER_TYPE', 5);
    fails("ok = 'true'", 'ERR_FILTER_TYPE', 5, /cannot compare field 'ok' \(a boolean\) with a string/);
    fails('ok > false', 'ERR_FILTER_TYPE', 0, /boolean/);
    fails("d = '2024-02-30'", 'ERR_FILTER_TYPE', 4, /valid YYYY-MM-DD/);
    fails("d = '2024-01-01T00:00:00Z'", 'ERR_FILTER_TYPE', 4);
    fails("dt = '2024-01-01T00:00:00'", 'ERR_FILTER_TYPE', 5, /time zone/);
    fails("dt = 'yesterday'", 'ERR_FILTER_TYPE', 5);
    fails("created > '2024-13-01T00:00:00Z'", 'ERR_FILTER_TYPE', 10);
    fails('d < @now', 'ERR_FILTER_TYPE', 4);
    fails('dt = d', 'ERR_FILTER_TYPE', 5);
    fails("n ~ '1'", 'ERR_FILTER_TYPE', 0, /~ needs text/);
    fails("kind ~ 'a'", 'ERR_FILTER_TYPE', 0);
    fails("id ~ 'a'", 'ERR_FILTER_TYPE', 0);
    fails("d ~ '2024'", 'ERR_FILTER_TYPE', 0);
    fails("meta = 'x'", 'ERR_FILTER_TYPE', 0, /json/);
    fails("tags = 'a'", 'ERR_FILTER_TYPE', 0);
    fails('title > null', 'ERR_FILTER_TYPE', 8, /null/);
    fails('title ~ null', 'ERR_FILTER_TYPE', 8);
    fails("'a' = 1", 'ERR_FILTER_TYPE', 0, /cannot compare a number with a string/);
    fails('@auth.id = 5', 'ERR_FILTER_TYPE', 11);
  });

  test('ERR_FILTER_FORBIDDEN_FIELD: unreadable fields and @body outside write rules; ERR_FILTER_SENSITIVE_OPERATOR: sensitive fields', () => {
    const readable: CheckContext = { collection: ITEMS, mode: 'filter', readable: new Set(['title']) };
    check("title = 'a' && id != 'x' && owner = @auth.id && created > '2024-01-01'", readable);
    fails("title = 'a' || n > 1", 'ERR_FILTER_FORBIDDEN_FIELD', 15, /field 'n' may not be used/, readable);
    fails("ssn ~ '1'", 'ERR_FILTER_SENSITIVE_OPERATOR', 0, /allows only = and !=/);
    fails("ssn > '1'", 'ERR_FILTER_SENSITIVE_OPERATOR', 0);
    fails("secret = '1'", 'ERR_FILTER_SENSITIVE_OPERATOR', 0, /not searchable/);
    fails('ssn = title', 'ERR_FILTER_SENSITIVE_OPERATOR', 0, /only be compared with a value/);
    fails("@body.title = 'x'", 'ERR_FILTER_FORBIDDEN_FIELD', 0, /only allowed in create and update rules/);
    fails("@body.title = 'x'", 'ERR_FILTER_FORBIDDEN_FIELD', 0, undefined, { collection: ITEMS, mode: 'rule' });
  });
});

describe('temporal literals', () => {
  test('dates: real calendar days only', () => {
    assert.equal(normalizeDate('2024-02-29'), '2024-02-29');
    assert.equal(normalizeDate('2023-02-29'), null);
    assert.equal(normalizeDate('2000-02-29'), '2000-02-29');
    assert.equal(normalizeDate('1900-02-29'), null);
    assert.equal(normalizeDate('2024-04-31'), null);
    assert.equal(normalizeDate('2024-1-01'), null);
    assert.equal(normalizeDate('0000-01-01'), '0000-01-01');
  });

  test('datetimes: zone required, normalized to UTC with milliseconds', () => {
    assert.equal(normalizeDatetime('2024-01-01T00:00:00Z'), '2024-01-01T00:00:00.000Z');
    assert.equal(normalizeDatetime('2024-01-01 23:30-01:00'), '2024-01-02T00:30:00.000Z');
    assert.equal(normalizeDatetime('2024-01-01T00:00:00.5+00:00'), '2024-01-01T00:00:00.500Z');
    assert.equal(normalizeDatetime('0050-06-01T00:00:00Z'), '0050-06-01T00:00:00.000Z');
    assert.equal(normalizeDatetime('0000-01-01T00:00:00+01:00'), null); // before year 0
    assert.equal(normalizeDatetime('2024-01-01T24:00:00Z'), null);
    assert.equal(normalizeDatetime('2024-01-01T00:00:60Z'), null);
    assert.equal(normalizeDatetime('2024-01-01T00:00:00.1234Z'), null);
    assert.equal(normalizeDatetime('2024-01-01T00:00:00+24:00'), null);
    assert.equal(normalizeDatetime('2024-02-30T00:00:00.000Z'), null);
  });
});
