import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { caller, openFixture, rejectsWith, type Fixture } from '../records/records-fixture.ts';
import { PATIENTS } from '../records/patients-fixture.ts';
import { ReencryptJob } from '../../src/core/keys/reencrypt-job.ts';
import { getJob } from '../../src/core/keys/reencrypt-store.ts';
import { FieldResealPool, fieldResealPool, type ResealPage } from '../../src/crypto/field-reseal-pool.ts';
import { FieldDecryptError } from '../../src/crypto/field-cipher.ts';
import type { Caller } from '../../src/core/caller.ts';

const COLLECTIONS = { patients: PATIENTS };
const CIPHER_COLUMNS = ['ssn', '_mk_ssn', 'email', '_mk_email', 'note', 'age'] as const;
const ssn = (i: number) => `${String(100 + (i % 900)).padStart(3, '0')}-${String(i % 100).padStart(2, '0')}-${String(i).padStart(4, '0')}`;

/** The process-wide pool, counting the pages it re-seals and what became of each page's key buffer. */
class CountingPool extends FieldResealPool {
  pages = 0;
  items = 0;
  /** each page's record ids, in order */
  readonly ids: string[][] = [];
  readonly keyBytesLeft: number[] = [];
  override reseal(page: ResealPage, target: number, versions: readonly number[], keys: ArrayBuffer): Promise<string[]> {
    this.pages++;
    this.items += page.stored.length;
    this.ids.push([...page.ids]);
    const p = super.reseal(page, target, versions, keys);
    this.keyBytesLeft.push(keys.byteLength); // 0: transferred, no copy stays on this thread
    return p;
  }
}

async function seed(fx: Fixture, n: number, who: Caller): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    const r = await fx.svc.create(who, 'patients', { name: `p${i}`, ssn: ssn(i), email: `p${i}@example.com`, note: `note ${i}`, age: 20 + (i % 50) });
    out.set(String(r.id), ssn(i));
  }
  return out;
}

/** Every data-key version named by a stored ciphertext. */
async function storedVersions(fx: Fixture): Promise<number[]> {
  const rows = await fx.db.kysely.selectFrom('patients').select([...CIPHER_COLUMNS]).execute();
  const versions = rows.flatMap((r) => CIPHER_COLUMNS.map((c) => (r as Record<string, unknown>)[c])).filter((v) => v !== null).map((v) => fx.keys.storedVersion(v));
  return [...new Set(versions)].sort() as number[];
}

async function storedRow(fx: Fixture, id: string): Promise<Record<string, unknown>> {
  return fx.db.kysely.selectFrom('patients').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

eachDialect('re-encryption on the worker thread', (t) => {
  test('every ciphertext is re-sealed on the thread under the new key, still bound to its place; the keys leave this thread', async () => {
    const fx = await openFixture(t, undefined, [PATIENTS]);
    const alice = caller();
    const expected = await seed(fx, 90, alice);
    const ids = [...expected.keys()];
    const before = await storedRow(fx, ids[0]);
    await fx.keys.rotateDataKeys(['patients']);
    const pool = new CountingPool();
    await pool.ready();
    const job = new ReencryptJob(fx.db, fx.keys, COLLECTIONS, { batch: 20, graceMs: 0, pool });
    await job.start(['patients']);
    await job.runAll();
    assert.ok(pool.pages >= 4, `${pool.pages} pages went to the thread`);
    assert.equal(pool.items, 90 * 6, 'every ciphertext (values and masks) was re-sealed there, none twice');
    assert.ok(pool.keyBytesLeft.every((n) => n === 0), 'each key buffer was transferred, not copied');
    assert.deepEqual(await storedVersions(fx), [2]);
    const after = await storedRow(fx, ids[0]);
    assert.equal(after._sv, before._sv, 'the revision (part of the associated data) is unchanged');
    assert.equal(after._bi_ssn, before._bi_ssn, 'a data-key rotation leaves the blind index alone');
    for (const c of CIPHER_COLUMNS) assert.notEqual(after[c], before[c], `${c} was rewritten`);
    for (const [id, v] of expected) {
      const got = await fx.svc.get(alice, 'patients', id);
      assert.equal(got.ssn, v, `record ${id}`);
    }
    const other = await fx.svc.get(alice, 'patients', ids[1]);
    assert.deepEqual([other.note, other.age], ['note 1', 21]);
    // still bound to the record: record 1's re-sealed ssn copied into record 0 does not open
    const moved = await storedRow(fx, ids[1]);
    await fx.db.kysely.updateTable('patients').set({ ssn: moved.ssn }).where('id', '=', ids[0]).execute();
    await rejectsWith(fx.svc.get(alice, 'patients', ids[0]), 'ERR_INTERNAL');
    // and to the field: record 0's email ciphertext in its note column does not open
    await fx.db.kysely.updateTable('patients').set({ ssn: after.ssn, note: after.email }).where('id', '=', ids[0]).execute();
    await rejectsWith(fx.svc.get(alice, 'patients', ids[0]), 'ERR_INTERNAL');
    await pool.stop();
    await fx.close();
  });

  test('a client write to a row of the page read ahead (already on the thread) is kept: compare-and-set skips that row', async () => {
    const fx = await openFixture(t, undefined, [PATIENTS]);
    const alice = caller();
    const expected = await seed(fx, 60, alice);
    await fx.keys.rotateDataKeys(['patients']);
    const pool = new CountingPool();
    await pool.ready();
    const job = new ReencryptJob(fx.db, fx.keys, COLLECTIONS, { batch: 20, graceMs: 0, pool });
    await job.start(['patients']);
    assert.equal(await job.step('patients'), true);
    assert.equal(pool.pages, 2, 'the first batch sent its page and the next one');
    const [first, next] = pool.ids;
    assert.equal((await getJob(fx.db.kysely, 'patients'))?.cursor, first.at(-1), 'only the first page is written');
    // the next page's rows were read by the first batch and are being re-sealed from what it read
    const target = next[Math.floor(next.length / 2)];
    const stale = await storedRow(fx, target);
    await fx.svc.update(alice, 'patients', target, { ssn: '999-99-0025', note: 'client wrote this' });
    const client = await storedRow(fx, target);
    assert.equal(await job.step('patients'), true);
    assert.equal((await getJob(fx.db.kysely, 'patients'))?.cursor, next.at(-1), 'the page read ahead is written by the next batch');
    const now = await storedRow(fx, target);
    for (const c of CIPHER_COLUMNS) assert.equal(now[c], client[c], `${c} holds the client's ciphertext, not the job's`);
    assert.notEqual(now._sv, stale._sv);
    const got = await fx.svc.get(alice, 'patients', target);
    assert.deepEqual([got.ssn, got.note], ['999-99-0025', 'client wrote this']);
    const neighbour = await storedRow(fx, next.find((id) => id !== target) as string);
    assert.equal(fx.keys.storedVersion(neighbour.ssn), 2, 'the rest of that page was rewritten');
    await job.runAll();
    expected.set(target, '999-99-0025');
    assert.deepEqual(await storedVersions(fx), [2]);
    for (const [id, v] of expected) assert.equal((await fx.svc.get(alice, 'patients', id)).ssn, v, `record ${id}`);
    await pool.stop();
    await fx.close();
  });

  test('a worker that dies fails the job with nothing written; the next runner resumes it and finishes', async () => {
    const fx = await openFixture(t, undefined, [PATIENTS]);
    const alice = caller();
    const expected = await seed(fx, 40, alice);
    await fx.keys.rotateDataKeys(['patients']);
    const crashing = new FieldResealPool({ script: new URL('./fixtures/crashing-reseal-worker.mjs', import.meta.url) });
    await crashing.ready();
    let clock = Date.now();
    const now = () => clock;
    const a = new ReencryptJob(fx.db, fx.keys, COLLECTIONS, { batch: 10, graceMs: 0, leaseMs: 30_000, now, pool: crashing });
    await a.start(['patients']);
    const err = await rejectsWith(a.runAll(), 'ERR_INTERNAL');
    assert.match(err.message, /re-encryption worker stopped unexpectedly \(exit code 3\)/);
    const job = await getJob(fx.db.kysely, 'patients');
    assert.deepEqual([job?.state, job?.cursor, job?.done], ['running', '', 0], 'no progress saved for the failed page');
    assert.deepEqual(await storedVersions(fx), [1], 'nothing was rewritten');
    for (const [id, v] of expected) assert.equal((await fx.svc.get(alice, 'patients', id)).ssn, v);
    clock += 31_000; // the dead runner's lease lapses
    await fieldResealPool.ready();
    const b = new ReencryptJob(fx.db, fx.keys, COLLECTIONS, { batch: 10, graceMs: 0, leaseMs: 30_000, now });
    await b.runAll();
    assert.equal((await getJob(fx.db.kysely, 'patients'))?.state, 'done');
    assert.deepEqual(await storedVersions(fx), [2]);
    for (const [id, v] of expected) assert.equal((await fx.svc.get(alice, 'patients', id)).ssn, v, `record ${id}`);
    await fx.close();
  });

  test('a ciphertext that does not open on the thread stops the job at its page: nothing in it is rewritten, no key or value in the error', async () => {
    const fx = await openFixture(t, undefined, [PATIENTS]);
    const alice = caller();
    const expected = await seed(fx, 30, alice);
    const ids = [...expected.keys()].sort();
    // a flipped bit in the ciphertext of record 5's note
    const row = await storedRow(fx, ids[5]);
    const bytes = Buffer.from(String(row.note), 'base64');
    bytes[20] ^= 1;
    await fx.db.kysely.updateTable('patients').set({ note: bytes.toString('base64') }).where('id', '=', ids[5]).execute();
    await fx.keys.rotateDataKeys(['patients']);
    const pool = new CountingPool();
    await pool.ready();
    const job = new ReencryptJob(fx.db, fx.keys, COLLECTIONS, { batch: 10, graceMs: 0, pool });
    await job.start(['patients']);
    await assert.rejects(job.runAll(), (e: unknown) => {
      assert.ok(e instanceof FieldDecryptError);
      assert.match(e.message, new RegExp(`authentication failed for patients\\.note of record ${ids[5]}`));
      assert.doesNotMatch(e.message, /note 5|p5@example|\d{3}-\d{2}-\d{4}/);
      return true;
    });
    assert.equal((await getJob(fx.db.kysely, 'patients'))?.cursor, '');
    for (const id of ids.slice(0, 10)) assert.equal(fx.keys.storedVersion((await storedRow(fx, id)).ssn), 1, `record ${id} untouched`);
    await pool.stop();
    await fx.close();
  });
});
