import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { collection, field } from '../helpers/test-engine.ts';
import type { AuditEvent } from '../../src/core/records/stages.ts';
import { caller, openFixture, rejectsWith } from './records-fixture.ts';

const OPEN = { list: 'true', view: 'true', create: 'true', update: 'true', delete: 'true' };
const DOCTORS = collection('doctors', [field('name', 'text')], OPEN);
const VISITS = collection('visits', [field('doctor', 'relation', { collection: 'doctors' }), field('note', 'text')], OPEN);
const ASSIGNMENTS = collection('assignments', [field('doctor', 'relation', { collection: 'doctors', required: true })], OPEN);

eachDialect('deleting a relation target', (t) => {
  test('optional relations to it become null (audited as updates); no dangling id reads as valid', async () => {
    const events: AuditEvent[] = [];
    const fx = await openFixture(t, { audit: { async record(e) { events.push(e); }, async recordRead() {} } }, [DOCTORS, VISITS, ASSIGNMENTS]);
    const who = caller();
    const d = await fx.svc.create(who, 'doctors', { name: 'House' });
    const v1 = await fx.svc.create(who, 'visits', { doctor: d.id, note: 'a' });
    const v2 = await fx.svc.create(who, 'visits', { doctor: d.id, note: 'b' });
    await fx.svc.delete(who, 'doctors', String(d.id));
    for (const v of [v1, v2]) {
      const got = await fx.svc.get(who, 'visits', String(v.id));
      assert.equal(got.doctor, null);
      assert.equal(got.note, v.note);
      assert.ok(String(got.updated) >= String(v.updated));
    }
    const updates = events.filter((e) => e.action === 'update' && e.collection === 'visits');
    assert.deepEqual(updates.map((e) => e.fields), [['doctor'], ['doctor']]);
    assert.equal((await fx.svc.list(who, 'visits', { filter: `doctor = "${d.id}"` })).totalItems, 0);
    await fx.close();
  });

  test('a required relation to it refuses the delete, and nothing changes', async () => {
    const fx = await openFixture(t, undefined, [DOCTORS, VISITS, ASSIGNMENTS]);
    const who = caller();
    const d = await fx.svc.create(who, 'doctors', { name: 'Grey' });
    const v = await fx.svc.create(who, 'visits', { doctor: d.id });
    await fx.svc.create(who, 'assignments', { doctor: d.id });
    await rejectsWith(fx.svc.delete(who, 'doctors', String(d.id)), 'ERR_CONFLICT');
    assert.equal((await fx.svc.get(who, 'doctors', String(d.id))).name, 'Grey');
    assert.equal((await fx.svc.get(who, 'visits', String(v.id))).doctor, d.id, 'the optional one was not nulled either (one transaction)');
    await fx.close();
  });
});
