// Attack: a signed-in user tries to escape collection rules by injecting into the filter, by widening the list with OR, or by writing to records and collections whose rules exclude them.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { ANONYMOUS } from '../../src/core/caller.ts';
import { eachDialect } from '../helpers/dialects.ts';
import { caller, openFixture, rejectsWith, type Fixture } from './records-fixture.ts';

eachDialect('rule bypass', (t) => {
  let fx: Fixture;
  before(async () => { fx = await openFixture(t); });
  after(async () => { await fx.close(); });

  test('filter text cannot break out of the rule: it is ANDed and bound', async () => {
    const alice = caller();
    const mallory = caller();
    await fx.svc.create(alice, 'notes', { title: 'secret' });
    for (const filter of [
      "title = 'x') || (1 = 1",
      "title = '' || '1' = '1'",
      "title = 'x' -- ",
      "title = 'x'; DROP TABLE notes",
      'owner = null || owner != null',
    ]) {
      try {
        const res = await fx.svc.list(mallory, 'notes', { filter });
        assert.equal(res.items.length, 0, filter);
      } catch (e) {
        assert.match(String((e as { code?: string }).code), /^ERR_FILTER_/, filter);
      }
    }
    assert.equal(await fx.count('notes'), 1);
  });

  test('update and delete by a non-owner change nothing', async () => {
    const alice = caller();
    const mallory = caller();
    const r = await fx.svc.create(alice, 'notes', { title: 'keep me', stars: 1 });
    await rejectsWith(fx.svc.update(mallory, 'notes', String(r.id), { title: 'pwned' }), 'ERR_NOT_FOUND');
    await rejectsWith(fx.svc.delete(mallory, 'notes', String(r.id)), 'ERR_NOT_FOUND');
    await rejectsWith(fx.svc.update(ANONYMOUS, 'notes', String(r.id), { title: 'pwned' }), 'ERR_NOT_FOUND');
    assert.deepEqual(await fx.svc.get(alice, 'notes', String(r.id)), r);
  });

  test('a record cannot be handed to someone else or re-owned through the body', async () => {
    const alice = caller();
    const mallory = caller();
    const r = await fx.svc.create(alice, 'notes', { title: 'x' });
    await rejectsWith(fx.svc.update(alice, 'notes', String(r.id), { owner: mallory.id }), 'ERR_VALIDATION');
    await rejectsWith(fx.svc.create(mallory, 'notes', { title: 'y', owner: alice.id }), 'ERR_VALIDATION');
    assert.equal((await fx.svc.get(alice, 'notes', String(r.id))).owner, alice.id);
  });

  test('null rules deny everyone but admins', async () => {
    const mallory = caller();
    const g = await fx.svc.create(mallory, 'gated', { title: 'ok', level: 1 });
    await rejectsWith(fx.svc.delete(mallory, 'gated', String(g.id)), 'ERR_NOT_FOUND');
    assert.equal((await fx.svc.get(mallory, 'gated', String(g.id))).title, 'ok');
  });

  test('a role claimed in data does not make an admin', async () => {
    const fake = Object.freeze({ id: null, role: 'admin', email: null }); // anonymous with a role is not an admin
    await rejectsWith(fx.svc.create(fake, 'notes', { title: 'x' }), 'ERR_UNAUTHENTICATED');
    await rejectsWith(fx.svc.delete(fake, 'gated', 'AAAAAAAAAAAAAAAAAAAA'), 'ERR_NOT_FOUND');
  });
});
