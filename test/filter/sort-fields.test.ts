import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSort } from '../../src/filter/sort.ts';
import { parseFields } from '../../src/filter/fields.ts';
import { checkFields, checkSort } from '../../src/filter/check.ts';
import { ITEMS } from './filter-fixtures.ts';
import { assertFilterError } from '../helpers/filter-errors.ts';

const fails = assertFilterError;

describe('parseSort', () => {
  test('directions, spaces and order', () => {
    assert.deepEqual(parseSort('-created,title, +n'), [
      { field: 'created', direction: 'desc', pos: 1 },
      { field: 'title', direction: 'asc', pos: 9 },
      { field: 'n', direction: 'asc', pos: 17 },
    ]);
  });

  test('errors', () => {
    fails(() => parseSort(''), 'ERR_FILTER_SYNTAX', 0, /expected a field name/);
    fails(() => parseSort('title,'), 'ERR_FILTER_SYNTAX', 6, /end of input/);
    fails(() => parseSort('title,,n'), 'ERR_FILTER_SYNTAX', 6);
    fails(() => parseSort('--title'), 'ERR_FILTER_SYNTAX', 1);
    fails(() => parseSort('title desc'), 'ERR_FILTER_SYNTAX', 6, /expected ',' or the end/);
    fails(() => parseSort('title;drop'), 'ERR_FILTER_SYNTAX', 5, /';'/);
    assert.deepEqual(parseSort('firstName').map((t) => t.field), ['firstName']);
    fails(() => parseSort('title,-title'), 'ERR_FILTER_SYNTAX', 7, /listed twice/);
    fails(() => parseSort('"title"'), 'ERR_FILTER_SYNTAX', 0);
    fails(() => parseSort('a\u0000'), 'ERR_FILTER_SYNTAX', 1, /U\+0000/);
  });

  test('limits: 20 terms, 2000 characters', () => {
    const names = Array.from({ length: 21 }, (_, i) => `f${i}`);
    assert.equal(parseSort(names.slice(0, 20).join(',')).length, 20);
    fails(() => parseSort(names.join(',')), 'ERR_FILTER_LIMIT', names.slice(0, 20).join(',').length + 1);
    fails(() => parseSort('a'.repeat(2001)), 'ERR_FILTER_LIMIT', 2000);
  });

  test('checkSort: unknown, unreadable, sensitive and unsortable fields', () => {
    const ctx = { collection: ITEMS, mode: 'filter' as const };
    checkSort(parseSort('-created,title,n,x,ok,d,dt,kind,id,owner,updated,parent'), ctx);
    fails(() => checkSort(parseSort('title,nope'), ctx), 'ERR_FILTER_UNKNOWN_FIELD', 6, /unknown field 'nope'/);
    fails(() => checkSort(parseSort('-ssn'), ctx), 'ERR_FILTER_SENSITIVE_OPERATOR', 1, /sensitive/);
    fails(() => checkSort(parseSort('meta'), ctx), 'ERR_FILTER_TYPE', 0, /json/);
    fails(() => checkSort(parseSort('tags'), ctx), 'ERR_FILTER_TYPE', 0);
    fails(() => checkSort(parseSort('id,title'), { ...ctx, readable: new Set(['n']) }), 'ERR_FILTER_FORBIDDEN_FIELD', 3);
  });
});

describe('parseFields', () => {
  test('names in order', () => {
    assert.deepEqual(parseFields('id, title,meta'), ['id', 'title', 'meta']);
  });

  test('errors and limits', () => {
    fails(() => parseFields('-title'), 'ERR_FILTER_SYNTAX', 0);
    fails(() => parseFields('id,id'), 'ERR_FILTER_SYNTAX', 3, /listed twice/);
    fails(() => parseFields('id,'), 'ERR_FILTER_SYNTAX', 3);
    fails(() => parseFields('id title'), 'ERR_FILTER_SYNTAX', 3);
    const many = Array.from({ length: 101 }, (_, i) => `f${i}`);
    assert.equal(parseFields(many.slice(0, 100).join(',')).length, 100);
    fails(() => parseFields(many.join(',')), 'ERR_FILTER_LIMIT', many.slice(0, 100).join(',').length + 1);
  });

  test('checkFields: unknown and unreadable fields name their position', () => {
    const ctx = { collection: ITEMS, mode: 'filter' as const };
    checkFields(parseFields('id,created,meta,ssn,tags'), ctx);
    fails(() => checkFields(parseFields('id, nope'), ctx), 'ERR_FILTER_UNKNOWN_FIELD', 4);
    fails(() => checkFields(parseFields('id,title'), { ...ctx, readable: new Set(['n']) }), 'ERR_FILTER_FORBIDDEN_FIELD', 3);
    checkFields(parseFields('id,owner,n'), { ...ctx, readable: new Set(['n']) });
  });
});
