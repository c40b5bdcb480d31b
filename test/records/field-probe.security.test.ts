// Attack: a user who may see a record but not one of its fields tries to learn that field's value by filtering or sorting on it, or by asking for it in `fields=`.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { ADMIN, caller, openFixture, rejectsWith, type Fixture } from './records-fixture.ts';

eachDialect('field read rules and probing', (t) => {
  let fx: Fixture;
  before(async () => { fx = await openFixture(t); });
  after(async () => { await fx.close(); });

  test('a per-record read rule hides the field from others in every read path', async () => {
    const alice = caller();
    const bob = caller();
    const r = await fx.svc.create(alice, 'people', { name: 'alice', salary: 123456, diagnosis: 'flu' });
    assert.equal(r.salary, 123456); // own record
    assert.equal('diagnosis' in r, false); // not a doctor
    const seen = await fx.svc.get(bob, 'people', String(r.id));
    assert.equal('salary' in seen, false);
    assert.equal('diagnosis' in seen, false);
    assert.equal(seen.name, 'alice');
    assert.equal('salary' in (await fx.svc.get(bob, 'people', String(r.id), { fields: 'salary,name' })), false);
    const listed = await fx.svc.list(bob, 'people', {});
    assert.ok(listed.items.every((x) => !('salary' in x) || x.owner === bob.id));
    assert.ok(!JSON.stringify(listed).includes('123456'));
    assert.equal((await fx.svc.get(ADMIN, 'people', String(r.id))).salary, 123456);
  });

  test('unreadable fields cannot be filtered or sorted (ERR_FILTER_FORBIDDEN_FIELD)', async () => {
    const bob = caller();
    for (const q of [
      { filter: 'salary > 100000' },
      { filter: "name = 'alice' && salary = 123456" },
      { filter: "diagnosis ~ 'f'" },
      { sort: 'salary' },
      { sort: '-diagnosis' },
    ]) {
      await rejectsWith(fx.svc.list(bob, 'people', q), 'ERR_FILTER_FORBIDDEN_FIELD');
    }
  });

  test('a macro-only read rule that holds for the caller opens filter and output', async () => {
    const alice = caller();
    const doctor = caller('doctor');
    await fx.svc.create(alice, 'people', { name: 'pat', diagnosis: 'measles' });
    const res = await fx.svc.list(doctor, 'people', { filter: "diagnosis = 'measles'", sort: 'diagnosis' });
    assert.equal(res.items.length, 1);
    assert.equal(res.items[0].diagnosis, 'measles');
    assert.equal('salary' in res.items[0], false);
    // salary's rule names a field, so even its owner cannot filter on it
    await rejectsWith(fx.svc.list(alice, 'people', { filter: 'salary > 1' }), 'ERR_FILTER_FORBIDDEN_FIELD');
  });

  test('relation values: a foreign invisible record and a missing one give the same validation answer', async () => {
    const alice = caller();
    const mallory = caller();
    const aliceNote = await fx.svc.create(alice, 'notes', { title: 'alice' });
    const malloryNote = await fx.svc.create(mallory, 'notes', { title: 'mine' });
    const before = await fx.count('kinds');
    const foreign = await rejectsWith(fx.svc.create(mallory, 'kinds', { note: aliceNote.id }), 'ERR_VALIDATION');
    const missing = await rejectsWith(fx.svc.create(mallory, 'kinds', { note: 'AAAAAAAAAAAAAAAAAAAA' }), 'ERR_VALIDATION');
    assert.deepEqual(foreign.details, missing.details);
    assert.equal(foreign.message, missing.message);
    assert.equal(await fx.count('kinds'), before);
    const ok = await fx.svc.create(mallory, 'kinds', { note: malloryNote.id });
    assert.equal(ok.note, malloryNote.id);
    await rejectsWith(fx.svc.update(mallory, 'kinds', String(ok.id), { note: aliceNote.id }), 'ERR_VALIDATION');
    assert.equal((await fx.svc.get(mallory, 'kinds', String(ok.id))).note, malloryNote.id);
  });
});
