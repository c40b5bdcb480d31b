import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { ANONYMOUS } from '../../src/core/caller.ts';
import { RecordService } from '../../src/core/records/record-service.ts';
import { randomId, isRecordId } from '../../src/crypto/random-id.ts';
import { eachDialect } from '../helpers/dialects.ts';
import { ADMIN, caller, openFixture, rejectsWith, statementLog, type Fixture } from './records-fixture.ts';

eachDialect('RecordService', (t) => {
  let fx: Fixture;
  before(async () => { fx = await openFixture(t); });
  after(async () => { await fx.close(); });

  test('create sets id, created, updated, owner and defaults; get returns the same record', async () => {
    const alice = caller();
    const r = await fx.svc.create(alice, 'notes', { title: 'hello' });
    assert.ok(isRecordId(r.id));
    assert.equal(r.owner, alice.id);
    assert.match(String(r.created), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(r.created, r.updated);
    assert.deepEqual({ title: r.title, body: r.body, tag: r.tag, stars: r.stars }, { title: 'hello', body: null, tag: null, stars: 0 });
    assert.deepEqual(await fx.svc.get(alice, 'notes', String(r.id)), r);
  });

  test('every type round-trips with the same values on both dialects', async () => {
    const alice = caller();
    const note = await fx.svc.create(alice, 'notes', { title: 'target' });
    const body = {
      t: 'abc', code: 'XYZ', free: 'naïve 😀', i: -7, f: 0.25, b: true, e: ' Bob@Example.com ', u: 'https://x.org/p?q=1',
      d: '2024-02-29', dt: '2024-05-06T01:00:00+02:00', s: 'green', ms: ['c', 'a'], j: { k: [1, 'two', null, { z: false }] },
      note: note.id,
    };
    const r = await fx.svc.create(alice, 'kinds', body);
    const expected = { ...body, e: 'bob@example.com', dt: '2024-05-05T23:00:00.000Z', req: 'dflt' };
    for (const [k, v] of Object.entries(expected)) assert.deepEqual(r[k], v, k);
    const again = await fx.svc.get(alice, 'kinds', String(r.id));
    for (const [k, v] of Object.entries(expected)) assert.deepEqual(again[k], v, k);
    const up = await fx.svc.update(alice, 'kinds', String(r.id), { b: false, i: 10, ms: [] });
    assert.deepEqual([up.b, up.i, up.ms, up.t], [false, 10, [], 'abc']);
    assert.ok(String(up.updated) >= String(r.updated));
  });

  test('update is partial; delete removes; both answer ERR_NOT_FOUND afterwards', async () => {
    const alice = caller();
    const r = await fx.svc.create(alice, 'notes', { title: 'a', body: 'keep' });
    const u = await fx.svc.update(alice, 'notes', String(r.id), { title: 'b' });
    assert.deepEqual([u.title, u.body, u.owner, u.created], ['b', 'keep', alice.id, r.created]);
    await fx.svc.delete(alice, 'notes', String(r.id));
    await rejectsWith(fx.svc.get(alice, 'notes', String(r.id)), 'ERR_NOT_FOUND');
    await rejectsWith(fx.svc.delete(alice, 'notes', String(r.id)), 'ERR_NOT_FOUND');
    await rejectsWith(fx.svc.update(alice, 'notes', String(r.id), { title: 'c' }), 'ERR_NOT_FOUND');
  });

  test('unknown collection, prototype names and bad ids', async () => {
    const alice = caller();
    for (const name of ['nope', '__proto__', 'constructor', 'toString', '_sb_accounts']) {
      const e = await rejectsWith(fx.svc.list(alice, name, {}), 'ERR_NOT_FOUND');
      assert.equal(e.message, 'no such collection');
    }
    for (const id of ['1', "x' OR 1=1 --", '../../etc/passwd', `${randomId()} `, '']) {
      await rejectsWith(fx.svc.get(alice, 'notes', id), 'ERR_INVALID_ID');
      await rejectsWith(fx.svc.update(alice, 'notes', id, {}), 'ERR_INVALID_ID');
      await rejectsWith(fx.svc.delete(alice, 'notes', id), 'ERR_INVALID_ID');
    }
  });

  test('list: filter, sort, paging, totals, skipTotal, fields projection', async () => {
    const alice = caller();
    for (let i = 0; i < 7; i++) await fx.svc.create(alice, 'notes', { title: `n${i}`, stars: i, tag: i % 2 ? 'odd' : 'even' });
    const all = await fx.svc.list(alice, 'notes', { sort: '-stars', perPage: 3, page: 2 });
    assert.deepEqual(all.items.map((r) => r.stars), [3, 2, 1]);
    assert.deepEqual([all.page, all.perPage, all.totalItems, all.totalPages], [2, 3, 7, 3]);
    const odd = await fx.svc.list(alice, 'notes', { filter: "tag = 'odd' && stars > 1", sort: 'stars' });
    assert.deepEqual(odd.items.map((r) => r.title), ['n3', 'n5']);
    const skip = await fx.svc.list(alice, 'notes', { skipTotal: true, fields: 'title' });
    assert.equal(skip.totalItems, undefined);
    assert.equal(skip.items.length, 7);
    assert.deepEqual(Object.keys(skip.items[0]), ['id', 'title']);
    assert.deepEqual(Object.keys(skip.items[0]), ['id', 'title']);
    const created = (await fx.svc.list(alice, 'notes', { fields: 'created' })).items.map((r) => String(r.created));
    assert.deepEqual(created, [...created].sort()); // default order: creation time, then id
    for (const q of [{ page: 0 }, { page: 1.5 }, { perPage: 0 }, { perPage: 501 }, { perPage: -1 }, { page: Number.MAX_SAFE_INTEGER }]) {
      await rejectsWith(fx.svc.list(alice, 'notes', q), 'ERR_BAD_QUERY');
    }
    await rejectsWith(fx.svc.list(alice, 'notes', { filter: 'nope = 1' }), 'ERR_FILTER_UNKNOWN_FIELD');
    await rejectsWith(fx.svc.list(alice, 'notes', { filter: "title = 'x" }), 'ERR_FILTER_SYNTAX');
    await rejectsWith(fx.svc.list(alice, 'notes', { fields: 'nope' }), 'ERR_FILTER_UNKNOWN_FIELD');
  });

  test('null rules mean admins only; admins bypass rules', async () => {
    const alice = caller();
    await rejectsWith(fx.svc.delete(alice, 'gated', randomId()), 'ERR_NOT_FOUND');
    await rejectsWith(fx.svc.create(ANONYMOUS, 'notes', { title: 'x' }), 'ERR_UNAUTHENTICATED');
    const r = await fx.svc.create(alice, 'notes', { title: 'mine' });
    assert.equal((await fx.svc.get(ADMIN, 'notes', String(r.id))).title, 'mine');
    const g = await fx.svc.create(alice, 'gated', { title: 'ok', level: 1 });
    await fx.svc.delete(ADMIN, 'gated', String(g.id));
    await rejectsWith(fx.svc.get(ADMIN, 'gated', String(g.id)), 'ERR_NOT_FOUND');
  });

  test('create rule sees the body: denied create writes nothing', async () => {
    const alice = caller();
    const before = await fx.count('gated');
    await rejectsWith(fx.svc.create(alice, 'gated', { title: 'nope', level: 1 }), 'ERR_FORBIDDEN');
    await rejectsWith(fx.svc.create(alice, 'gated', { title: 'ok', level: 9 }), 'ERR_FORBIDDEN');
    await rejectsWith(fx.svc.create(ANONYMOUS, 'gated', { title: 'ok', level: 1 }), 'ERR_UNAUTHENTICATED');
    assert.equal(await fx.count('gated'), before);
    const r = await fx.svc.create(alice, 'gated', { title: 'okay', level: 4 });
    // the update rule reads the row as stored, with @body the new values
    await fx.svc.update(alice, 'gated', String(r.id), { level: 7 });
    await rejectsWith(fx.svc.update(alice, 'gated', String(r.id), { level: 1 }), 'ERR_NOT_FOUND');
  });

  test('unique violation → ERR_CONFLICT naming the field, never DB text', async () => {
    const anyone = caller();
    await fx.svc.create(anyone, 'uniq', { email: 'dup@example.com' });
    const before = await fx.count('uniq');
    const e = await rejectsWith(fx.svc.create(anyone, 'uniq', { email: ' DUP@example.com' }), 'ERR_CONFLICT');
    assert.deepEqual(e.details, { fields: { email: 'must be unique' } });
    assert.doesNotMatch(e.message, /constraint|UNIQUE|duplicate|dup@|Key \(/i);
    assert.equal(await fx.count('uniq'), before);
    const other = await fx.svc.create(anyone, 'uniq', { email: 'other@example.com' });
    await rejectsWith(fx.svc.update(anyone, 'uniq', String(other.id), { email: 'dup@example.com' }), 'ERR_CONFLICT');
    assert.equal((await fx.svc.get(anyone, 'uniq', String(other.id))).email, 'other@example.com');
  });

  test('get, update and delete are one statement each: the rule is in its WHERE', async () => {
    const alice = caller();
    const r = await fx.svc.create(alice, 'notes', { title: 'x' });
    const log = statementLog(fx.db);
    const svc = new RecordService({ db: log.db, collections: { notes: fx.svc['collections'].notes }, limits: { perPageDefault: 30, perPageMax: 500 } });
    await svc.get(alice, 'notes', String(r.id));
    await svc.update(alice, 'notes', String(r.id), { title: 'y' });
    await svc.delete(alice, 'notes', String(r.id));
    assert.deepEqual(log.kinds, ['SelectQueryNode', 'UpdateQueryNode', 'DeleteQueryNode']);
  });

  test('repeated queries reuse cached ASTs', async () => {
    const alice = caller();
    await fx.svc.list(alice, 'notes', { filter: "title = 'cache-probe'", sort: '-title' });
    const size = fx.svc.cache.size;
    for (let i = 0; i < 20; i++) await fx.svc.list(alice, 'notes', { filter: "title = 'cache-probe'", sort: '-title' });
    assert.equal(fx.svc.cache.size, size);
  });
});
