import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { PATIENTS } from './patients-fixture.ts';
import { caller, openFixture, rejectsWith } from './records-fixture.ts';
import { collection, field } from '../helpers/test-engine.ts';

const SSN = '123-45-6789';

eachDialect('field encryption', (t) => {
  test('sensitive values are stored only as ciphertext, with a blind index and an encrypted mask', async () => {
    const fx = await openFixture(t, undefined, [PATIENTS]);
    const alice = caller();
    const r = await fx.svc.create(alice, 'patients', { name: 'Alice', ssn: SSN, email: 'alice@example.com', note: 'allergic to penicillin', age: 41 });
    assert.equal(r.ssn, SSN);
    assert.equal(r.age, 41);
    const row = await fx.db.kysely.selectFrom('patients').selectAll().where('id', '=', r.id).executeTakeFirstOrThrow();
    const raw = JSON.stringify(row);
    for (const secret of [SSN, '6789', 'alice@example', 'penicillin']) assert.ok(!raw.includes(secret), `${secret} in ${raw}`);
    for (const col of ['ssn', 'email', 'note', 'age', '_mk_ssn', '_mk_email']) {
      const bytes = Buffer.from(String(row[col]), 'base64');
      assert.equal(bytes[0], 1, `${col} format version`);
      assert.equal(bytes.readUInt32BE(1), 1, `${col} key id`);
    }
    assert.match(String(row._bi_ssn), /^[A-Za-z0-9_-]{43}$/);
    assert.equal(row._mk_note, undefined, 'mask full keeps no mask column');
    await fx.close();
  });

  test('masks: the owner reads plaintext, a doctor sees ***-**-6789, j***@ shows to non-doctors, full shows nothing', async () => {
    const fx = await openFixture(t, undefined, [PATIENTS]);
    const alice = caller();
    const doctor = caller('doctor');
    const r = await fx.svc.create(alice, 'patients', { name: 'Alice', ssn: SSN, email: 'jane@example.com', note: 'n' });
    const own = await fx.svc.get(alice, 'patients', String(r.id));
    assert.equal(own.ssn, SSN);
    assert.equal(own.email, 'j***@example.com', 'alice is no doctor: her email read rule is false');
    assert.equal(own.note, 'n');
    const seen = await fx.svc.get(doctor, 'patients', String(r.id));
    assert.equal(seen.ssn, '***-**-6789');
    assert.equal(seen.email, 'jane@example.com');
    const list = await fx.svc.list(doctor, 'patients', {});
    assert.deepEqual(list.items.map((i) => i.ssn), ['***-**-6789']);
    await fx.close();
  });

  test('a create answers what a read by its author shows, from the values sent: nothing decrypted, no read event', async () => {
    const reads: unknown[] = [];
    const writes: string[] = [];
    const fx = await openFixture(t, { audit: { record: async (e) => { writes.push(e.action); }, recordRead: async (e) => { reads.push(e); } } }, [PATIENTS]);
    const alice = caller();
    const doctor = caller('doctor');
    const bodies = [
      [alice, { name: 'A', ssn: SSN, email: 'jane@example.com', note: 'n', age: 41 }],
      [alice, { name: 'B', ssn: '111-22-3333' }], // absent fields: null, no mask
      [doctor, { name: 'C', ssn: '444-55-6666', email: 'doc@example.com', note: 'm' }],
    ] as const;
    for (const [who, body] of bodies) {
      const created = await fx.svc.create(who, 'patients', body);
      assert.equal(reads.length, 0, 'a create is not a read of stored data');
      const read = await fx.svc.get(who, 'patients', String(created.id));
      assert.deepEqual(created, read, `the create's answer is the author's read (${body.name})`);
      assert.equal(reads.length, 1, 'the read is a read');
      reads.length = 0;
    }
    assert.deepEqual(writes, ['create', 'create', 'create']);
    await fx.close();
    // a read rule that depends on the row itself: decided on the row the INSERT returned
    const VAULT = collection('vault', [field('name', 'text'), field('code', 'text', { sensitive: true, mask: 'last4', read: 'name = "open"' })],
      { list: '@auth.id != null', view: '@auth.id != null', create: '@auth.id != null' });
    const fv = await openFixture(t, undefined, [VAULT]);
    for (const name of ['open', 'closed']) {
      const created = await fv.svc.create(alice, 'vault', { name, code: 'AB-1234' });
      assert.equal(created.code, name === 'open' ? 'AB-1234' : '**-1234');
      assert.deepEqual(created, await fv.svc.get(alice, 'vault', String(created.id)));
    }
    await fv.close();
  });

  test('= and != on a searchable field use the blind index and carry its read rule', async () => {
    const fx = await openFixture(t, undefined, [PATIENTS]);
    const alice = caller();
    const bob = caller();
    const doctor = caller('doctor');
    const a = await fx.svc.create(alice, 'patients', { name: 'A', ssn: SSN });
    await fx.svc.create(bob, 'patients', { name: 'B', ssn: '987-65-4321' });
    const mine = await fx.svc.list(alice, 'patients', { filter: `ssn = "${SSN}"` });
    assert.deepEqual(mine.items.map((i) => i.id), [a.id]);
    // the doctor sees both records but may not read ssn: the comparison matches none of them
    assert.equal((await fx.svc.list(doctor, 'patients', { filter: `ssn = "${SSN}"` })).totalItems, 0);
    assert.equal((await fx.svc.list(doctor, 'patients', { filter: `ssn != "${SSN}"` })).totalItems, 0);
    assert.equal((await fx.svc.list(doctor, 'patients', { filter: `name = "A" || ssn = "${SSN}"` })).totalItems, 1);
    assert.equal((await fx.svc.list(bob, 'patients', { filter: `ssn = "${SSN}"` })).totalItems, 0);
    assert.equal((await fx.svc.list(bob, 'patients', { filter: `ssn != "${SSN}"` })).totalItems, 1);
    await rejectsWith(fx.svc.list(alice, 'patients', { filter: 'ssn ~ "123"' }), 'ERR_FILTER_SENSITIVE_OPERATOR');
    await rejectsWith(fx.svc.list(alice, 'patients', { filter: 'ssn > "1"' }), 'ERR_FILTER_SENSITIVE_OPERATOR');
    await rejectsWith(fx.svc.list(alice, 'patients', { filter: 'note = "n"' }), 'ERR_FILTER_SENSITIVE_OPERATOR');
    await rejectsWith(fx.svc.list(alice, 'patients', { sort: 'ssn' }), 'ERR_FILTER_SENSITIVE_OPERATOR');
    await fx.close();
  });

  test('unique is enforced through the blind index; updates re-encrypt and keep the other fields readable', async () => {
    const fx = await openFixture(t, undefined, [PATIENTS]);
    const alice = caller();
    const r = await fx.svc.create(alice, 'patients', { name: 'A', ssn: SSN, note: 'keep me', age: 3 });
    const err = await rejectsWith(fx.svc.create(caller(), 'patients', { name: 'B', ssn: SSN }), 'ERR_CONFLICT');
    assert.deepEqual(err.details?.fields, { ssn: 'must be unique' });
    assert.ok(!JSON.stringify(err.details).includes(SSN) && !err.message.includes(SSN));
    const before = await fx.db.kysely.selectFrom('patients').select(['note', '_sv']).where('id', '=', r.id).executeTakeFirstOrThrow();
    const u = await fx.svc.update(alice, 'patients', String(r.id), { ssn: '111-22-3333' });
    assert.deepEqual([u.ssn, u.note, u.age], ['111-22-3333', 'keep me', 3]);
    const after = await fx.db.kysely.selectFrom('patients').select(['note', '_sv']).where('id', '=', r.id).executeTakeFirstOrThrow();
    assert.notEqual(after._sv, before._sv, 'a sensitive write renews the revision');
    assert.notEqual(after.note, before.note, 'the untouched sensitive field is re-sealed under it');
    await fx.svc.create(caller(), 'patients', { name: 'C', ssn: SSN }); // the old value is free again
    const cleared = await fx.svc.update(alice, 'patients', String(r.id), { ssn: null });
    assert.equal(cleared.ssn, null);
    const row = await fx.db.kysely.selectFrom('patients').select(['ssn', '_bi_ssn', '_mk_ssn']).where('id', '=', r.id).executeTakeFirstOrThrow();
    assert.deepEqual([row.ssn, row._bi_ssn, row._mk_ssn], [null, null, null]);
    const plain = await fx.svc.update(alice, 'patients', String(r.id), { name: 'renamed' });
    assert.equal(plain.note, 'keep me');
    await fx.close();
  });
});
