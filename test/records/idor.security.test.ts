// Attack: a signed-in user guesses or learns another user's record id and tries to read, change or delete it, or to tell "exists but not mine" apart from "does not exist".
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { ANONYMOUS } from '../../src/core/caller.ts';
import { randomId } from '../../src/crypto/random-id.ts';
import type { StrongboxError } from '../../src/errors/strongbox-error.ts';
import { eachDialect } from '../helpers/dialects.ts';
import { caller, openFixture, rejectsWith, type Fixture } from './records-fixture.ts';

const shape = (e: StrongboxError) => ({ code: e.code, status: e.status, message: e.message, details: e.details, keys: Object.keys(e) });

eachDialect('IDOR: another user\'s record looks exactly like a missing one', (t) => {
  let fx: Fixture;
  before(async () => { fx = await openFixture(t); });
  after(async () => { await fx.close(); });

  test('get / update / delete of a foreign record equal those of a missing one, and change nothing', async () => {
    const alice = caller();
    const mallory = caller();
    const secret = await fx.svc.create(alice, 'notes', { title: 'alice secret', body: 'private' });
    const missing = randomId();
    for (const who of [mallory, ANONYMOUS]) {
      const ops = [
        (id: string) => fx.svc.get(who, 'notes', id),
        (id: string) => fx.svc.update(who, 'notes', id, { title: 'pwned' }),
        (id: string) => fx.svc.delete(who, 'notes', id),
      ];
      for (const op of ops) {
        const foreign = await rejectsWith(op(String(secret.id)), 'ERR_NOT_FOUND');
        const absent = await rejectsWith(op(missing), 'ERR_NOT_FOUND');
        assert.deepEqual(shape(foreign), shape(absent));
      }
    }
    assert.deepEqual(await fx.svc.get(alice, 'notes', String(secret.id)), secret);
  });

  test('list never includes foreign records, whatever the filter says', async () => {
    const alice = caller();
    const mallory = caller();
    await fx.svc.create(alice, 'notes', { title: 'alice only' });
    await fx.svc.create(mallory, 'notes', { title: 'mallory' });
    for (const filter of [undefined, `owner = '${alice.id}'`, 'owner != @auth.id', "title ~ 'alice' || true", 'true']) {
      const res = await fx.svc.list(mallory, 'notes', { filter });
      assert.ok(res.items.every((r) => r.owner === mallory.id), String(filter));
      assert.ok(!res.items.some((r) => r.title === 'alice only'));
      assert.equal(res.totalItems, res.items.length);
    }
  });
});
