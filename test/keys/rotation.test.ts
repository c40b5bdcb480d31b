import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { caller, openFixture, type Fixture } from '../records/records-fixture.ts';
import { PATIENTS } from '../records/patients-fixture.ts';
import { ReencryptJob } from '../../src/core/keys/reencrypt-job.ts';
import { getJob } from '../../src/core/keys/reencrypt-store.ts';

const COLLECTIONS = { patients: PATIENTS };
const ssn = (i: number) => `${String(100 + (i % 900)).padStart(3, '0')}-${String(i % 100).padStart(2, '0')}-${String(i).padStart(4, '0')}`;

async function seed(fx: Fixture, n: number, who = caller()): Promise<{ id: string; ssn: string }[]> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const r = await fx.svc.create(who, 'patients', { name: `p${i}`, ssn: ssn(i), email: `p${i}@example.com`, note: `note ${i}` });
    out.push({ id: String(r.id), ssn: ssn(i) });
  }
  return out;
}

async function storedVersions(fx: Fixture): Promise<number[]> {
  const rows = await fx.db.kysely.selectFrom('patients').select(['ssn', 'note', '_mk_ssn']).execute();
  return [...new Set(rows.flatMap((r) => [r.ssn, r.note, r._mk_ssn]).filter((v) => v !== null).map((v) => fx.keys.storedVersion(v) as number))].sort();
}

eachDialect('key rotation', (t) => {
  test('rotate: new writes use v2 at once, reads accept both, the job rewrites everything and retires v1', async () => {
    const fx = await openFixture(t, undefined, [PATIENTS]);
    const alice = caller();
    const first = await seed(fx, 120, alice);
    await fx.keys.rotateDataKeys(['patients']);
    assert.equal(fx.keys.fieldVersion('patients'), 2);
    const fresh = await fx.svc.create(alice, 'patients', { name: 'new', ssn: '999-99-9999' });
    assert.deepEqual(await storedVersions(fx), [1, 2], 'v1 and v2 live side by side');
    assert.equal((await fx.svc.get(alice, 'patients', first[0].id)).ssn, first[0].ssn);
    assert.equal((await fx.svc.get(alice, 'patients', String(fresh.id))).ssn, '999-99-9999');

    const job = new ReencryptJob(fx.db, fx.keys, COLLECTIONS, { batch: 25, graceMs: 0 });
    await job.start(['patients']);
    const seen: number[] = [];
    await job.runAll((p) => seen.push(p.done));
    assert.ok(seen.length >= 5, 'progress is reported per batch');
    assert.deepEqual(await storedVersions(fx), [2]);
    const keys = await fx.keys.stored();
    const v1 = keys.find((k) => k.purpose === 'field-data' && k.scope === 'patients' && k.version === 1);
    assert.equal(v1?.state, 'retired');
    assert.equal(v1?.wrapped, null, 'a retired key keeps no key material');
    assert.equal((await getJob(fx.db.kysely, 'patients'))?.state, 'done');
    for (const r of first) assert.equal((await fx.svc.get(alice, 'patients', r.id)).ssn, r.ssn);
    await fx.close();
  });

  test('an instance that has not seen a rotation yet opens a value under the new key: it loads the key first', async () => {
    const fx = await openFixture(t, undefined, [PATIENTS]);
    const alice = caller();
    const [old] = await seed(fx, 1, alice);
    const peer = await fx.peer();
    assert.equal((await peer.svc.get(alice, 'patients', old.id)).ssn, old.ssn, 'the peer reads v1 values');
    await fx.keys.rotateDataKeys(['patients']);
    const fresh = await fx.svc.create(alice, 'patients', { name: 'new', ssn: '999-99-9999', email: 'new@example.com', note: 'under v2' });
    assert.equal(peer.keys.hasFieldKey('patients', 2), false, 'the peer has not loaded v2');
    const got = await peer.svc.get(alice, 'patients', String(fresh.id));
    assert.deepEqual([got.ssn, got.note], ['999-99-9999', 'under v2']);
    assert.equal(peer.keys.hasFieldKey('patients', 2), true);
    await fx.close();
  });

  test('full-speed writes and reads during rotation: no write lost, no request failed', async () => {
    const fx = await openFixture(t, undefined, [PATIENTS]);
    const alice = caller();
    const seeded = await seed(fx, 150, alice);
    const expected = new Map(seeded.map((r) => [r.id, r.ssn]));
    let stop = false;
    const failures: unknown[] = [];
    const worker = async (k: number) => {
      for (let i = 0; !stop && i < 2000; i++) {
        try {
          if (i % 3 === 0) {
            const id = seeded[(i * 7 + k) % seeded.length].id;
            const v = ssn(10_000 + i * 4 + k);
            await fx.svc.update(alice, 'patients', id, { ssn: v });
            expected.set(id, v);
          } else if (i % 3 === 1) {
            const r = await fx.svc.create(alice, 'patients', { name: `w${k}-${i}`, ssn: ssn(50_000 + i * 4 + k) });
            expected.set(String(r.id), String(r.ssn));
          } else {
            const id = seeded[(i * 13 + k) % seeded.length].id;
            const got = await fx.svc.get(alice, 'patients', id);
            assert.equal(typeof got.ssn, 'string');
          }
        } catch (err) {
          failures.push(err);
        }
      }
    };
    const load = Promise.all([0, 1, 2].map(worker));
    await fx.keys.rotateDataKeys(['patients']);
    const job = new ReencryptJob(fx.db, fx.keys, COLLECTIONS, { batch: 20, graceMs: 0 });
    await job.start(['patients']);
    await job.runAll();
    stop = true;
    await load;
    assert.deepEqual(failures, []);
    // a last pass after the load: the writes made during the job are already v2
    await job.start(['patients']);
    await job.runAll();
    assert.deepEqual(await storedVersions(fx), [2]);
    for (const [id, v] of expected) assert.equal((await fx.svc.get(alice, 'patients', id)).ssn, v, `record ${id}`);
    await fx.close();
  });

  test('a batch budget that cannot be met still makes progress, in small batches', async () => {
    const fx = await openFixture(t, undefined, [PATIENTS]);
    const alice = caller();
    const rows = await seed(fx, 100, alice);
    await fx.keys.rotateDataKeys(['patients']);
    // 1 µs: every batch overruns, so it stops at its first 16-row boundary and the next is sized down
    const job = new ReencryptJob(fx.db, fx.keys, COLLECTIONS, { batch: 1000, batchMs: 0.001, graceMs: 0 });
    await job.start(['patients']);
    await job.runAll();
    assert.ok(job.stats.batches >= 100 / 16, `${job.stats.batches} batches`);
    assert.equal(job.stats.rewrittenRows, 100);
    assert.deepEqual(await storedVersions(fx), [2]);
    for (const r of rows.slice(0, 10)) assert.equal((await fx.svc.get(alice, 'patients', r.id)).ssn, r.ssn);
    await fx.close();
  });

  test('a killed runner is resumed from its cursor once its lease lapses', async () => {
    const fx = await openFixture(t, undefined, [PATIENTS]);
    const alice = caller();
    const rows = await seed(fx, 60, alice);
    await fx.keys.rotateDataKeys(['patients']);
    let clock = Date.now();
    const now = () => clock;
    const a = new ReencryptJob(fx.db, fx.keys, COLLECTIONS, { batch: 10, graceMs: 0, leaseMs: 30_000, now });
    await a.start(['patients']);
    assert.equal(await a.step('patients'), true);
    assert.equal(await a.step('patients'), true); // then "killed": it never renews its lease
    const b = new ReencryptJob(fx.db, fx.keys, COLLECTIONS, { batch: 10, graceMs: 0, leaseMs: 30_000, now });
    assert.equal(await b.step('patients'), false, 'the lease is still held');
    const cursor = (await getJob(fx.db.kysely, 'patients'))?.cursor;
    clock += 31_000;
    assert.equal(await b.step('patients'), true);
    const after = await getJob(fx.db.kysely, 'patients');
    assert.ok(after && after.done === 30 && after.cursor > String(cursor), 'resumed after the stored cursor, not from the start');
    await b.runAll();
    assert.deepEqual(await storedVersions(fx), [2]);
    for (const r of rows) assert.equal((await fx.svc.get(alice, 'patients', r.id)).ssn, r.ssn);
    await fx.close();
  });
});
