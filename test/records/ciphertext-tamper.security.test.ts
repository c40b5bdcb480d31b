// Attack: an insider with write access to the database file edits ciphertexts (flips a bit, swaps values between records, fields or collections, writes back an older ciphertext) hoping to read or plant a sensitive value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { eachDialect } from '../helpers/dialects.ts';
import { bearer, collection, field, openTestApi } from '../helpers/test-engine.ts';
import { caller, openFixture, rejectsWith } from './records-fixture.ts';
import { PATIENTS } from './patients-fixture.ts';

const STAFF = collection('staff', [field('ssn', 'text', { sensitive: true })], { list: 'true', view: 'true', create: 'true', update: 'true' });

eachDialect('ciphertext tampering', (t) => {
  test('every tampered ciphertext is one opaque ERR_INTERNAL that names the place, never the value or key', async () => {
    const fx = await openFixture(t, undefined, [PATIENTS, STAFF]);
    const alice = caller();
    const a = await fx.svc.create(alice, 'patients', { name: 'A', ssn: '123-45-6789', email: 'a@example.com', note: 'first' });
    const b = await fx.svc.create(alice, 'patients', { name: 'B', ssn: '987-65-4321', email: 'b@example.com', note: 'second' });
    const s = await fx.svc.create(alice, 'staff', { ssn: '555-55-5555' });
    const raw = async (table: string, id: unknown) => fx.db.kysely.selectFrom(table).selectAll().where('id', '=', String(id)).executeTakeFirstOrThrow();
    const set = (table: string, id: unknown, values: Record<string, unknown>) => fx.db.kysely.updateTable(table).set(values).where('id', '=', String(id)).execute();
    const rowA = await raw('patients', a.id);
    const rowB = await raw('patients', b.id);
    const rowS = await raw('staff', s.id);

    const expectOpaque = async (what: string) => {
      const err = await rejectsWith(fx.svc.get(alice, 'patients', String(a.id)), 'ERR_INTERNAL');
      assert.match(err.message, /patients\.\w+(#mask)? of record [\w-]+ did not decrypt/, what);
      for (const secret of ['123-45-6789', '987-65-4321', '555-55-5555', 'first', 'second']) assert.ok(!err.message.includes(secret), `${what}: ${secret}`);
    };

    const flipped = Buffer.from(String(rowA.ssn), 'base64');
    flipped[20] ^= 0x04;
    await set('patients', a.id, { ssn: flipped.toString('base64') });
    await expectOpaque('bit flip');
    await set('patients', a.id, { ssn: rowB.ssn });
    await expectOpaque('swapped between records');
    await set('patients', a.id, { ssn: rowA.email });
    await expectOpaque('swapped between fields');
    await set('patients', a.id, { ssn: rowS.ssn });
    await expectOpaque('swapped between collections');
    await set('patients', a.id, { ssn: String(rowA.ssn).slice(0, 12) });
    await expectOpaque('truncated');
    await set('patients', a.id, { ssn: Buffer.from('not a strongbox ciphertext at all').toString('base64') });
    await expectOpaque('foreign bytes');
    await set('patients', a.id, { ssn: rowA.ssn });
    assert.equal((await fx.svc.get(alice, 'patients', String(a.id))).ssn, '123-45-6789', 'restored exactly, it opens again');

    // An older ciphertext of the same field of the same record, written back after a later write.
    await fx.svc.update(alice, 'patients', String(a.id), { ssn: '111-11-1111' });
    await set('patients', a.id, { ssn: rowA.ssn });
    await expectOpaque('older ciphertext written back');
    // nothing was rewritten by the failed reads
    assert.equal((await raw('patients', a.id)).ssn, rowA.ssn);
    await fx.close();
  });

  test('over HTTP the client gets the registry message only; the log gets the precise line', async () => {
    const lines: string[] = [];
    const stream = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    const api = await openTestApi(await t.freshDatabase(), { collections: [PATIENTS], logger: { level: 'info', stream } });
    const { token } = await api.signIn('owner@example.com');
    const created = await api.inject({ method: 'POST', url: '/api/collections/patients/records', headers: bearer(token), payload: { name: 'A', ssn: '123-45-6789' } });
    assert.equal(created.statusCode, 201);
    const id = created.json().id;
    const row = await api.engine.db.kysely.selectFrom('patients').select('ssn').where('id', '=', id).executeTakeFirstOrThrow();
    const bytes = Buffer.from(String(row.ssn), 'base64');
    bytes[bytes.length - 1] ^= 0x80;
    await api.engine.db.kysely.updateTable('patients').set({ ssn: bytes.toString('base64') }).where('id', '=', id).execute();
    const res = await api.inject({ method: 'GET', url: `/api/collections/patients/records/${id}`, headers: bearer(token) });
    assert.equal(res.statusCode, 500);
    assert.deepEqual(res.json(), { error: { code: 'ERR_INTERNAL', message: 'An internal error occurred.' } });
    const log = lines.join('');
    assert.match(log, /sensitive field patients\.ssn of record [\w-]+ did not decrypt: field decryption failed: authentication failed/);
    assert.ok(!log.includes('123-45-6789'));
    await api.close();
  });
});
