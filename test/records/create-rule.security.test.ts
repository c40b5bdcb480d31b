// Attack: a caller creates a record its own create rule should refuse (`src != dst` with both absent) by relying on create rules being folded with macro semantics instead of the semantics the rule has on the stored row.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { collection, field } from '../helpers/test-engine.ts';
import { caller, openFixture, rejectsWith, type Fixture } from './records-fixture.ts';

const TRANSFERS = collection('transfers', [field('src', 'text'), field('dst', 'text'), field('amount', 'number', { default: 0 })], {
  list: 'src != dst', view: 'src != dst', create: 'src != dst', update: null, delete: null,
});
/** A create rule on a defaulted field and on the body itself. */
const BOUNDED = collection('bounded', [field('amount', 'number', { default: 7 }), field('note', 'text')], {
  list: 'true', view: 'true', create: 'amount < 10 && note = null && @body.note:isset = false', update: null, delete: null,
});

eachDialect('create rules decide on the would-be row', (t) => {
  let fx: Fixture;
  before(async () => { fx = await openFixture(t, undefined, [TRANSFERS, BOUNDED]); });
  after(async () => { await fx.close(); });

  test('`src != dst` refuses {} (null is not distinct from null), as the same rule is false on a stored row', async () => {
    const u = caller();
    await rejectsWith(fx.svc.create(u, 'transfers', {}), 'ERR_FORBIDDEN');
    await rejectsWith(fx.svc.create(u, 'transfers', { src: 'a', dst: 'a' }), 'ERR_FORBIDDEN');
    await rejectsWith(fx.svc.create(u, 'transfers', { src: null, dst: null }), 'ERR_FORBIDDEN');
    assert.equal(await fx.count('transfers'), 0, 'nothing written');
    const ok = await fx.svc.create(u, 'transfers', { src: 'a' });
    assert.equal((await fx.svc.get(u, 'transfers', String(ok.id))).src, 'a', 'what the rule admits, the creator can see');
  });

  test('a field the body did not send is the default the row will hold; @body.x is only what was sent', async () => {
    const u = caller();
    assert.equal((await fx.svc.create(u, 'bounded', {})).amount, 7);
    await rejectsWith(fx.svc.create(u, 'bounded', { amount: 12 }), 'ERR_FORBIDDEN');
    await rejectsWith(fx.svc.create(u, 'bounded', { note: null }), 'ERR_FORBIDDEN');
    assert.equal(await fx.count('bounded'), 1);
  });
});
