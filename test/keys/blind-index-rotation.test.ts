import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { collection } from '../helpers/test-engine.ts';
import { caller, openFixture, rejectsWith, type Fixture } from '../records/records-fixture.ts';
import { PATIENTS } from '../records/patients-fixture.ts';
import { ReencryptJob } from '../../src/core/keys/reencrypt-job.ts';
import { startIndexBackfills } from '../../src/core/keys/background-reencrypt.ts';
import { getJob } from '../../src/core/keys/reencrypt-store.ts';
import { normalizeForIndex } from '../../src/core/records/field-encryption-stage.ts';
import { RecordService } from '../../src/core/records/record-service.ts';
import { fieldEncryptionStage } from '../../src/core/records/field-encryption-stage.ts';
import { applyMigration } from '../../src/db/migrate/apply-migration.ts';
import { planMigration } from '../../src/db/migrate/plan-migration.ts';
import type { Caller } from '../../src/core/caller.ts';

const ssn = (i: number) => `${String(100 + (i % 900)).padStart(3, '0')}-${String(i % 100).padStart(2, '0')}-${String(i).padStart(4, '0')}`;
const SSN_FIELD = PATIENTS.fields.find((f) => f.name === 'ssn')!;

async function seed(fx: Fixture, n: number, who: Caller, svc = fx.svc): Promise<{ id: string; ssn: string }[]> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const r = await svc.create(who, 'patients', { name: `p${i}`, ssn: ssn(i), email: `p${i}@example.com` });
    out.push({ id: String(r.id), ssn: ssn(i) });
  }
  return out;
}

/** The ids a filter on ssn finds, as the owner sees them. */
async function find(svc: RecordService, who: Caller, filter: string): Promise<string[]> {
  const page = await svc.list(who, 'patients', { filter, perPage: 500 });
  return page.items.map((r) => String(r.id)).sort();
}

/** Which index-key version each row's `_bi_ssn` was computed under (null: none matches a live key). */
async function indexVersions(fx: Fixture, rows: readonly { id: string; ssn: string }[]): Promise<(number | null)[]> {
  const stored = new Map((await fx.db.kysely.selectFrom('patients').select(['id', '_bi_ssn']).execute()).map((r) => [String(r.id), r._bi_ssn]));
  return rows.map((r) => {
    for (const v of fx.keys.indexVersions('patients')) {
      if (stored.get(r.id) === fx.keys.blindIndexAt('patients', v, normalizeForIndex(SSN_FIELD, r.ssn))) return v;
    }
    return null;
  });
}

eachDialect('blind-index key rotation', (t) => {
  test('filters and unique work before, during (job killed half-way, then resumed) and after; the old index key is retired', async () => {
    const fx = await openFixture(t, undefined, [PATIENTS]);
    const alice = caller();
    const rows = await seed(fx, 40, alice);
    const byId = [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)); // the job's order: binary, as the database compares ids
    assert.deepEqual(await find(fx.svc, alice, `ssn = "${rows[3].ssn}"`), [rows[3].id], 'before');

    const versions = await fx.keys.rotateIndexKeys(['patients']);
    assert.equal(versions.patients, 2);
    assert.deepEqual(fx.keys.indexVersions('patients'), [1, 2]);
    let clock = Date.now();
    const now = () => clock;
    const a = new ReencryptJob(fx.db, fx.keys, { patients: PATIENTS }, { batch: 10, graceMs: 0, settleMs: 0, leaseMs: 30_000, now });
    await a.start(['patients']);
    assert.equal(await a.step('patients'), true);
    assert.equal(await a.step('patients'), true); // then killed: 20 of 40 rows re-indexed
    const half = await indexVersions(fx, byId);
    assert.deepEqual(half.slice(0, 20), Array(20).fill(2), 'the first rows carry the new index');
    assert.deepEqual(half.slice(20), Array(20).fill(1), 'the rest still the old one');

    // during: both kinds of row are found, `!=` excludes exactly one, new writes use the new key
    const early = byId[2];
    const late = byId[35];
    assert.deepEqual(await find(fx.svc, alice, `ssn = "${early.ssn}"`), [early.id]);
    assert.deepEqual(await find(fx.svc, alice, `ssn = "${late.ssn}"`), [late.id]);
    assert.equal((await find(fx.svc, alice, `ssn != "${late.ssn}"`)).length, 39);
    const fresh = await fx.svc.create(alice, 'patients', { name: 'new', ssn: '999-99-9999' });
    assert.deepEqual(await find(fx.svc, alice, 'ssn = "999-99-9999"'), [String(fresh.id)]);
    // unique: against a row still under the old key, and one already under the new key
    await rejectsWith(fx.svc.create(alice, 'patients', { name: 'dup', ssn: late.ssn }), 'ERR_CONFLICT');
    await rejectsWith(fx.svc.create(alice, 'patients', { name: 'dup', ssn: early.ssn }), 'ERR_CONFLICT');
    await rejectsWith(fx.svc.update(alice, 'patients', early.id, { ssn: late.ssn }), 'ERR_CONFLICT');
    // a write to a row the job has not reached yet is not undone by the job
    await fx.svc.update(alice, 'patients', byId[30].id, { ssn: '888-88-8888' });

    const b = new ReencryptJob(fx.db, fx.keys, { patients: PATIENTS }, { batch: 10, graceMs: 0, settleMs: 0, leaseMs: 30_000, now });
    assert.equal(await b.step('patients'), false, 'the killed runner still holds the lease');
    clock += 31_000;
    await b.runAll();
    assert.equal((await getJob(fx.db.kysely, 'patients'))?.state, 'done');

    // after: one live index key, every row under it, the old key retired and unusable
    assert.deepEqual(fx.keys.indexVersions('patients'), [2]);
    const stored = (await fx.keys.stored()).find((k) => k.purpose === 'blind-index' && k.scope === 'patients' && k.version === 1);
    assert.equal(stored?.state, 'retired');
    assert.equal(stored?.wrapped, null, 'a retired index key keeps no key material');
    assert.throws(() => fx.keys.blindIndexAt('patients', 1, 'x'), /no live key/);
    const expected = byId.map((r, i) => (i === 30 ? { ...r, ssn: '888-88-8888' } : r));
    assert.deepEqual(await indexVersions(fx, expected), Array(40).fill(2));
    for (const r of expected) assert.deepEqual(await find(fx.svc, alice, `ssn = "${r.ssn}"`), [r.id], `record ${r.id}`);
    assert.deepEqual(await find(fx.svc, alice, `ssn = "${byId[30].ssn}"`), [], 'the overwritten value is gone');
    await rejectsWith(fx.svc.create(alice, 'patients', { name: 'dup', ssn: late.ssn }), 'ERR_CONFLICT');
    await fx.close();
  });

  test('writes and filters at full speed during the re-indexing: every lookup finds its record, no write is lost', async () => {
    const fx = await openFixture(t, undefined, [PATIENTS]);
    const alice = caller();
    const rows = await seed(fx, 60, alice);
    const stable = rows.slice(0, 30); // only read
    const moving = new Map(rows.slice(30).map((r) => [r.id, r.ssn])); // rewritten during the job
    await fx.keys.rotateIndexKeys(['patients']);
    let stop = false;
    const failures: unknown[] = [];
    const worker = async (k: number) => {
      for (let i = 0; !stop && i < 1000; i++) {
        try {
          if (i % 2 === 0) {
            const r = stable[(i * 7 + k) % stable.length];
            assert.deepEqual(await find(fx.svc, alice, `ssn = "${r.ssn}"`), [r.id]);
          } else {
            const id = [...moving.keys()][(i * 5 + k) % moving.size];
            const v = ssn(20_000 + i * 3 + k);
            await fx.svc.update(alice, 'patients', id, { ssn: v });
            moving.set(id, v);
          }
        } catch (err) {
          failures.push(err);
        }
      }
    };
    const load = Promise.all([0, 1, 2].map(worker));
    const job = new ReencryptJob(fx.db, fx.keys, { patients: PATIENTS }, { batch: 5, graceMs: 0, settleMs: 0 });
    await job.start(['patients']);
    await job.runAll();
    stop = true;
    await load;
    assert.deepEqual(failures, []);
    assert.deepEqual(fx.keys.indexVersions('patients'), [2]);
    for (const r of stable) assert.deepEqual(await find(fx.svc, alice, `ssn = "${r.ssn}"`), [r.id]);
    for (const [id, v] of moving) assert.deepEqual(await find(fx.svc, alice, `ssn = "${v}"`), [id], `record ${id}`);
    await fx.close();
  });

  test('rows written before `searchable: true` was added get their blind index from the job', async () => {
    const plain = collection('patients', PATIENTS.fields.map((f) => (f.name === 'ssn' ? { ...f, searchable: false, unique: false } : f)), PATIENTS.rules);
    const fx = await openFixture(t, undefined, [plain]);
    const alice = caller();
    const rows = await seed(fx, 25, alice);
    const searchable = collection('patients', PATIENTS.fields.map((f) => (f.name === 'ssn' ? { ...f, unique: false } : f)), PATIENTS.rules);
    await applyMigration(fx.db, await planMigration(fx.db, [searchable]), { allowDestructive: false });
    const svc = new RecordService({ db: fx.db, collections: { patients: searchable }, limits: { perPageDefault: 30, perPageMax: 500 }, stages: { sensitive: fieldEncryptionStage(fx.keys) } });
    assert.deepEqual(await find(svc, alice, `ssn = "${rows[4].ssn}"`), [], 'an old row has no index yet');

    const job = new ReencryptJob(fx.db, fx.keys, { patients: searchable }, { batch: 10, graceMs: 0, settleMs: 0 });
    assert.deepEqual(await startIndexBackfills(fx.db, job, { patients: searchable }), ['patients']);
    await job.runAll();
    for (const r of rows) assert.deepEqual(await find(svc, alice, `ssn = "${r.ssn}"`), [r.id]);
    assert.deepEqual(await startIndexBackfills(fx.db, job, { patients: searchable }), [], 'nothing left to backfill');
    assert.equal((await fx.keys.stored()).filter((k) => k.state === 'retired').length, 0, 'a backfill retires no key');
    await fx.close();
  });
});
