// Attack: a collection's update or delete rule is looser than its view rule, and a user changes or deletes (and through the update's answer, reads) a record they may not view.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { collection, field } from '../helpers/test-engine.ts';
import { ADMIN, ALL, caller, openFixture, rejectsWith, type Fixture } from './records-fixture.ts';

const LOOSE = collection('loose', [field('title', 'text')], {
  list: 'owner = @auth.id', view: 'owner = @auth.id', create: '@auth.id != null', update: '@auth.id != null', delete: '@auth.id != null',
});

eachDialect('update and delete also require the view rule', (t) => {
  let fx: Fixture;
  before(async () => { fx = await openFixture(t, undefined, [...ALL, LOOSE]); });
  after(async () => { await fx.close(); });

  test('a record the caller cannot view is neither changed, nor deleted, nor revealed', async () => {
    const alice = caller();
    const mallory = caller();
    const rec = await fx.svc.create(alice, 'loose', { title: 'private title' });
    const id = String(rec.id);
    const err = await rejectsWith(fx.svc.update(mallory, 'loose', id, { title: 'pwned' }), 'ERR_NOT_FOUND');
    assert.ok(!JSON.stringify({ ...err, message: err.message }).includes('private title'));
    await rejectsWith(fx.svc.delete(mallory, 'loose', id), 'ERR_NOT_FOUND');
    assert.deepEqual(await fx.svc.get(alice, 'loose', id), rec);
    assert.equal(await fx.count('loose'), 1);
    // the owner, who may view it, can still change and delete it
    assert.equal((await fx.svc.update(alice, 'loose', id, { title: 'new' })).title, 'new');
    await fx.svc.delete(alice, 'loose', id);
    assert.equal(await fx.count('loose'), 0);
  });

  test('admins still bypass both rules', async () => {
    const rec = await fx.svc.create(caller(), 'loose', { title: 'x' });
    assert.equal((await fx.svc.update(ADMIN, 'loose', String(rec.id), { title: 'y' })).title, 'y');
  });
});
