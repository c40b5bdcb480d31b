// Attack: a client sends a body that sets server-owned fields (owner, id, timestamps), unknown columns, operator objects, prototype keys or hostile values, hoping some part gets written.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomId } from '../../src/crypto/random-id.ts';
import { eachDialect } from '../helpers/dialects.ts';
import { caller, openFixture, rejectsWith, type Fixture } from './records-fixture.ts';

let deep: unknown = 'x';
for (let i = 0; i < 5000; i++) deep = { n: deep };

/** body → the fields that must be named in details.fields */
const HOSTILE: Array<[string, unknown, string[]]> = [
  ['owner', { t: 'abc', owner: 'someone-else' }, ['owner']],
  ['id', { t: 'abc', id: randomId() }, ['id']],
  ['timestamps', { t: 'abc', created: '2000-01-01T00:00:00.000Z', updated: '2000-01-01T00:00:00.000Z' }, ['created', 'updated']],
  ['unknown columns', { t: 'abc', role: 'admin', is_admin: true, 'title; DROP TABLE kinds': 1 }, ['role', 'is_admin', 'title; DROP TABLE kinds']],
  ['__proto__', JSON.parse('{"t":"abc","__proto__":{"owner":"x"}}'), ['__proto__']],
  ['constructor/prototype', { t: 'abc', constructor: { prototype: {} }, prototype: 1 }, ['constructor', 'prototype']],
  ['operator object', { t: { $gt: '' } }, ['t']],
  ['operator in number', { i: { $ne: 0 } }, ['i']],
  ['array for scalar', { t: ['abc'], b: [true] }, ['t', 'b']],
  ['string for boolean', { b: 'true' }, ['b']],
  ['NUL byte', { free: 'abc\u0000def' }, ['free']],
  ['lone surrogate', { free: 'abc\uD83D' }, ['free']],
  ['deep nesting', { j: deep }, ['j']],
  ['huge string', { free: 'x'.repeat(2_000_000) }, ['free']],
  ['huge json', { j: { a: 'y'.repeat(70_000) } }, ['j']],
  ['sql in relation', { note: "' OR 1=1 --" }, ['note']],
  ['mixed: one bad field spoils all', { t: 'good', i: 3, e: 'not-an-email' }, ['e']],
];

eachDialect('mass assignment', (t) => {
  let fx: Fixture;
  before(async () => { fx = await openFixture(t); });
  after(async () => { await fx.close(); });

  test('hostile create bodies → ERR_VALIDATION naming each field, nothing written', async () => {
    const alice = caller();
    for (const [label, body, fields] of HOSTILE) {
      const before = await fx.count('kinds');
      const e = await rejectsWith(fx.svc.create(alice, 'kinds', body), 'ERR_VALIDATION');
      assert.deepEqual(Object.keys(e.details?.fields ?? {}).sort(), [...fields].sort(), label);
      assert.equal(await fx.count('kinds'), before, label);
    }
  });

  test('non-object bodies are refused', async () => {
    const alice = caller();
    for (const body of [null, undefined, 'x', 42, [], [{ t: 'abc' }], new Map(), Object.create({ t: 'abc' })]) {
      await rejectsWith(fx.svc.create(alice, 'kinds', body), 'ERR_VALIDATION');
    }
    assert.equal(await fx.count('kinds'), 0);
  });

  test('hostile update bodies change nothing', async () => {
    const alice = caller();
    const r = await fx.svc.create(alice, 'kinds', { t: 'abc' });
    for (const [label, body] of HOSTILE) {
      await rejectsWith(fx.svc.update(alice, 'kinds', String(r.id), body), 'ERR_VALIDATION');
      assert.deepEqual(await fx.svc.get(alice, 'kinds', String(r.id)), r, label);
    }
  });
});
