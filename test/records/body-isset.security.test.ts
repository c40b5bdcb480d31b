// Attack: a non-owner clears a field through an update rule that cannot tell a field not sent from one sent as null (`owner = @auth.id || @body.assignee = null`).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { collection, field } from '../helpers/test-engine.ts';
import { caller, openFixture, rejectsWith, type Fixture } from './records-fixture.ts';

/** Anyone may edit a task, but only its owner may touch `assignee`. */
const TASKS = collection('tasks', [field('title', 'text'), field('assignee', 'text')], {
  list: 'true', view: 'true', create: '@auth.id != null',
  update: 'owner = @auth.id || @body.assignee:isset = false', delete: null,
});

/** Non-owners may only clear `assignee` (sent as null), nothing else. */
const CLAIMS = collection('claims', [field('title', 'text'), field('assignee', 'text')], {
  list: 'true', view: 'true', create: 'true', update: 'owner = @auth.id || @body.assignee = null', delete: null,
});

eachDialect('@body: absent is not null', (t) => {
  let fx: Fixture;
  before(async () => { fx = await openFixture(t, undefined, [TASKS, CLAIMS]); });
  after(async () => { await fx.close(); });

  test('isset: a non-owner may edit the title but neither set nor clear the assignee', async () => {
    const alice = caller();
    const mallory = caller();
    const r = await fx.svc.create(alice, 'tasks', { title: 't', assignee: 'alice' });
    await rejectsWith(fx.svc.update(mallory, 'tasks', String(r.id), { assignee: null }), 'ERR_NOT_FOUND');
    await rejectsWith(fx.svc.update(mallory, 'tasks', String(r.id), { title: 'x', assignee: 'mallory' }), 'ERR_NOT_FOUND');
    assert.equal((await fx.svc.get(alice, 'tasks', String(r.id))).assignee, 'alice');
    assert.equal((await fx.svc.update(mallory, 'tasks', String(r.id), { title: 'renamed' })).title, 'renamed');
    assert.equal((await fx.svc.update(alice, 'tasks', String(r.id), { assignee: null })).assignee, null);
  });

  test('`@body.x = null` holds only when the body sets x to null, never when x is absent', async () => {
    const alice = caller();
    const mallory = caller();
    const r = await fx.svc.create(alice, 'claims', { title: 't', assignee: 'alice' });
    await rejectsWith(fx.svc.update(mallory, 'claims', String(r.id), { title: 'pwned' }), 'ERR_NOT_FOUND');
    assert.equal((await fx.svc.get(alice, 'claims', String(r.id))).title, 't');
    const cleared = await fx.svc.update(mallory, 'claims', String(r.id), { assignee: null });
    assert.equal(cleared.assignee, null);
    assert.equal(cleared.title, 't');
  });
});
