// An insider edits the audit trail so that the fast parallel verify (database-built pages, chunks
// on several threads) would pass what the exact check refuses: an edit at a chunk boundary, a
// hash stored in another type or case, an event too long for a page's framing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { eachDialect, type DialectCtx } from '../helpers/dialects.ts';
import { testConfig } from '../helpers/test-engine.ts';
import { fixedAuditKeys } from '../helpers/fixed-audit-keys.ts';
import { openEngine, type Engine } from '../../src/core/engine.ts';
import { chainHash } from '../../src/core/audit/audit-chain.ts';
import { linkSourceFor } from '../../src/db/audit/audit-link-source.ts';
import type { ParallelVerify } from '../../src/core/audit/audit-verify.ts';
import type { DatabaseConfig } from '../../src/config/config.ts';
import type { AuditRow } from '../../src/db/audit/audit-store.ts';
import { sampleEvent } from './audit-fixture.ts';

const N = 30;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type K = Kysely<any>;

interface Trail { engine: Engine; database: DatabaseConfig; keys: ReturnType<typeof fixedAuditKeys>; k: K }

/** N events, the append-only guards lifted (what the insider does first). */
async function trail(t: DialectCtx): Promise<Trail> {
  const database = await t.freshDatabase();
  const keys = fixedAuditKeys(randomBytes(32).toString('hex'));
  const engine = await openEngine(testConfig(database, { collections: [] }), { auditKeys: keys });
  for (let i = 1; i <= N; i++) await engine.audit.append(sampleEvent(i));
  const k = engine.db.kysely;
  if (t.dialect === 'sqlite') {
    await sql`drop trigger if exists _sb_audit_no_update`.execute(k);
    await sql`drop trigger if exists _sb_audit_no_delete`.execute(k);
  } else {
    await sql`alter table _sb_audit disable trigger user`.execute(k);
  }
  return { engine, database, keys, k };
}

// chunks of 5: 1-5, 6-10, 11-15, 16-20, 21-25, 26-30
const FAST: Record<string, Omit<ParallelVerify, 'source'>> = {
  'this thread alone': { workers: 0, chunk: 5, minEvents: 0 },
  'two workers alone': { workers: 2, chunk: 5, minEvents: 0, onThisThread: false },
  'a worker and this thread': { workers: 1, chunk: 5, minEvents: 0 },
};

/** Every fast configuration gives the exact check's answer, its fast part having stopped right before `bad` (null: passed it all). */
async function sameAsExact(tr: Trail, bad: number | null, ok: boolean): Promise<void> {
  const exact = await tr.engine.audit.verify({ parallel: { source: null } });
  assert.equal(exact.ok, ok, String(exact.problem));
  if (!ok) assert.equal(exact.firstBadSeq, bad, String(exact.problem));
  for (const [name, p] of Object.entries(FAST)) {
    const res = await tr.engine.audit.verify({ parallel: { source: linkSourceFor(tr.database), ...p } });
    assert.deepEqual([res.ok, res.firstBadSeq, res.problem, res.checked], [exact.ok, exact.firstBadSeq, exact.problem, exact.checked], name);
    assert.equal(res.viaWorkers, bad === null ? exact.checked : bad - 1, `${name}: events the fast check passed`);
  }
}

async function row(k: K, seq: number): Promise<AuditRow> {
  const r = await k.selectFrom('_sb_audit').selectAll().where('seq', '=', seq).executeTakeFirstOrThrow();
  return { ...r, seq: Number(r.seq), key_version: Number(r.key_version) } as AuditRow;
}

async function withTrail(t: DialectCtx, body: (tr: Trail) => Promise<void>): Promise<void> {
  const tr = await trail(t);
  try {
    await body(tr);
  } finally {
    await tr.engine.close();
  }
}

eachDialect('audit verify, fast parallel path', (t) => {
  test('an untouched trail passes on every configuration', () => withTrail(t, (tr) => sameAsExact(tr, null, true)));

  for (const seq of [15, 16]) {
    test(`an edit at a chunk's ${seq === 15 ? 'last' : 'first'} event (seq ${seq}) is named by every configuration`, () => withTrail(t, async (tr) => {
      await tr.k.updateTable('_sb_audit').set({ outcome: 'denied' }).where('seq', '=', seq).execute();
      await sameAsExact(tr, seq, false);
    }));
  }

  test("a chunk's last hash rewritten (the next chunk starts from the rewritten one)", () => withTrail(t, async (tr) => {
    await tr.k.updateTable('_sb_audit').set({ hash: 'f'.repeat(64) }).where('seq', '=', 10).execute();
    await sameAsExact(tr, 10, false);
  }));

  test('a hash rewritten in upper case, and one with a stray hex digit appended (same HMAC, other text)', () => withTrail(t, async (tr) => {
    const r12 = await row(tr.k, 12);
    await tr.k.updateTable('_sb_audit').set({ hash: r12.hash.toUpperCase() }).where('seq', '=', 12).execute();
    await sameAsExact(tr, 12, false);
    await tr.k.updateTable('_sb_audit').set({ hash: r12.hash }).where('seq', '=', 12).execute();
    const r20 = await row(tr.k, 20);
    await tr.k.updateTable('_sb_audit').set({ hash: `${r20.hash}0` }).where('seq', '=', 20).execute();
    await sameAsExact(tr, 20, false);
  }));

  if (t.dialect === 'sqlite') {
    test('a hash stored as a blob of the right hex characters is refused', () => withTrail(t, async (tr) => {
      const r = await row(tr.k, 8);
      await sql`update _sb_audit set hash = cast(${r.hash} as blob) where seq = 8`.execute(tr.k);
      await sameAsExact(tr, 8, false);
    }));
  }

  test('an authentic event whose encoding passes a megabyte verifies (the exact check takes it)', () => withTrail(t, async (tr) => {
    const last = await row(tr.k, N);
    const big: Omit<AuditRow, 'hash'> = { ...last, seq: N + 1, details: JSON.stringify({ note: '"'.repeat(400_000) }) };
    const hash = chainHash(tr.keys.mac('audit-hmac'), last.hash, big);
    await tr.k.insertInto('_sb_audit').values({ ...big, hash }).execute();
    await tr.k.updateTable('_sb_audit_head').set({ seq: N + 1, hash }).execute();
    await sameAsExact(tr, N + 1, true);
  }));

  test('workers that cannot read leave the whole chain to the exact check', () => withTrail(t, async (tr) => {
    const res = await tr.engine.audit.verify({ parallel: { source: { dialect: 'sqlite', path: '/nonexistent/strongbox.db' }, workers: 2, chunk: 5, minEvents: 0, onThisThread: false } });
    assert.deepEqual([res.ok, res.checked, res.viaWorkers], [true, N, 0]);
  }));
});
