// Attack: a caller hopes a read compiled and cached for someone else (an owner, an admin, a doctor) is replayed for them, handing over records or fields their own rules deny.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { ANONYMOUS } from '../../src/core/caller.ts';
import { eachDialect } from '../helpers/dialects.ts';
import { collection, field } from '../helpers/test-engine.ts';
import { ADMIN, ALL, caller, openFixture, rejectsWith, type Fixture } from './records-fixture.ts';

// A view rule with @now: its SQL must be built afresh on every request.
const TIMED = collection('timed', [field('title', 'text'), field('until', 'datetime')], {
  list: 'until > @now', view: 'until > @now', create: 'true', update: null, delete: null,
});

eachDialect('compiled read cache never crosses callers', (t) => {
  let fx: Fixture;
  before(async () => { fx = await openFixture(t, undefined, [...ALL, TIMED]); });
  after(async () => { await fx.close(); });

  test('an owner\'s cached get and list are not served to another user, an anonymous caller or after the owner', async () => {
    const alice = caller();
    const bob = caller();
    const note = await fx.svc.create(alice, 'notes', { title: 'alice cache', tag: 'c1' });
    const id = String(note.id);
    for (let i = 0; i < 3; i++) assert.equal((await fx.svc.get(alice, 'notes', id)).title, 'alice cache');
    for (const who of [bob, ANONYMOUS]) {
      await rejectsWith(fx.svc.get(who, 'notes', id), 'ERR_NOT_FOUND');
      if (who === bob) assert.deepEqual((await fx.svc.list(who, 'notes', { filter: "tag = 'c1'" })).items, []);
    }
    assert.equal((await fx.svc.list(alice, 'notes', { filter: "tag = 'c1'" })).totalItems, 1);
    assert.equal((await fx.svc.get(ADMIN, 'notes', id)).title, 'alice cache');
    await rejectsWith(fx.svc.get(bob, 'notes', id), 'ERR_NOT_FOUND');
  });

  test('a field shown to a doctor from a cached shape stays hidden from a plain user', async () => {
    const owner = caller();
    const doctor = caller('doctor');
    const user = caller('user');
    const p = await fx.svc.create(owner, 'people', { name: 'pat', salary: 10, diagnosis: 'flu' });
    const id = String(p.id);
    assert.equal((await fx.svc.get(doctor, 'people', id)).diagnosis, 'flu');
    assert.equal((await fx.svc.get(doctor, 'people', id)).diagnosis, 'flu');
    const seen = await fx.svc.get(user, 'people', id);
    assert.ok(!('diagnosis' in seen) && !('salary' in seen), JSON.stringify(seen));
    await rejectsWith(fx.svc.list(user, 'people', { filter: "diagnosis = 'flu'" }), 'ERR_FILTER_FORBIDDEN_FIELD');
  });

  test('the record id and page window are bound per call, not frozen into the cached shape', async () => {
    const alice = caller();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(String((await fx.svc.create(alice, 'notes', { title: `n${i}`, tag: 'pg' })).id));
    for (const id of ids) assert.equal((await fx.svc.get(alice, 'notes', id)).id, id);
    const pages = [];
    // By title: records made in the same millisecond tie on `created`, and then id order is random.
    for (let page = 1; page <= 3; page++) pages.push((await fx.svc.list(alice, 'notes', { filter: "tag = 'pg'", sort: 'title', perPage: 2, page })).items.map((r) => r.id));
    assert.deepEqual(pages.flat(), ids);
  });

  test('a rule with @now is never reused: a record expires between two identical reads', async () => {
    const soon = new Date(Date.now() + 400).toISOString();
    const r = await fx.svc.create(caller(), 'timed', { title: 'x', until: soon });
    assert.equal((await fx.svc.get(ANONYMOUS, 'timed', String(r.id))).title, 'x');
    await new Promise((res) => setTimeout(res, 500));
    await rejectsWith(fx.svc.get(ANONYMOUS, 'timed', String(r.id)), 'ERR_NOT_FOUND');
  });
});
