// An insider with write access to the database edits the audit trail (changes, deletes, forges,
// reorders or truncates events, or restores an older copy) and hopes verification still passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { sql, type Kysely } from 'kysely';
import { eachDialect, type DialectCtx } from '../helpers/dialects.ts';
import { testConfig } from '../helpers/test-engine.ts';
import { openEngine, type Engine } from '../../src/core/engine.ts';
import { randomBytes } from 'node:crypto';
import { fixedAuditKeys } from '../helpers/fixed-audit-keys.ts';
import { canonicalEncoding, chainHash } from '../../src/core/audit/audit-chain.ts';
import { linkSourceFor } from '../../src/db/audit/audit-link-source.ts';
import { loadCheckpoints } from '../../src/core/audit/audit-checkpoints.ts';
import type { AuditRow } from '../../src/db/audit/audit-store.ts';
import type { DatabaseConfig } from '../../src/config/config.ts';
import { sampleEvent } from './audit-fixture.ts';

const N = 20;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type K = Kysely<any>;

interface Trail {
  engine: Engine;
  database: DatabaseConfig;
  keys: ReturnType<typeof fixedAuditKeys>;
  config: ReturnType<typeof testConfig>;
}

async function trail(t: DialectCtx, n = N): Promise<Trail> {
  const database = await t.freshDatabase();
  const keys = fixedAuditKeys(randomBytes(32).toString('hex'));
  const config = testConfig(database, { collections: [] });
  const engine = await openEngine(config, { auditKeys: keys });
  mkdirSync(config.audit.checkpoints, { recursive: true });
  for (let i = 1; i <= n; i++) await engine.audit.append(sampleEvent(i));
  return { engine, database, keys, config };
}

/** Signs a checkpoint of the current head into the folder (what the server does every 1,000 events). */
async function checkpoint(tr: Trail): Promise<void> {
  const { Checkpointer } = await import('../../src/core/audit/checkpointer.ts');
  const cp = new Checkpointer({ db: tr.engine.db, audit: tr.engine.audit, keys: tr.keys, config: tr.config.audit });
  await cp.tick(true);
}

type Mode = 'sequential' | 'parallel';

/** Sequential: this thread reads and checks every event. Parallel: chunks of 7 on two workers first (the joins at seq 7|8 and 14|15; audit-verify-parallel.security.test.ts runs this thread's share). */
async function verify(tr: Trail, mode: Mode) {
  const parallel = mode === 'parallel' ? { source: linkSourceFor(tr.database), workers: 2, chunk: 7, minEvents: 0, onThisThread: false } : { source: null };
  return tr.engine.audit.verify({ checkpoints: loadCheckpoints(tr.engine.audit, tr.config.audit), parallel });
}

/** What the insider does first: lift the append-only guards. */
async function unguard(k: K, dialect: string): Promise<void> {
  if (dialect === 'sqlite') {
    await sql`drop trigger if exists _sb_audit_no_update`.execute(k);
    await sql`drop trigger if exists _sb_audit_no_delete`.execute(k);
  } else {
    await sql`alter table _sb_audit disable trigger user`.execute(k);
  }
}

async function rows(k: K): Promise<AuditRow[]> {
  return (await k.selectFrom('_sb_audit').selectAll().orderBy('seq').execute()).map((r) => ({ ...r, seq: Number(r.seq), key_version: Number(r.key_version) }) as AuditRow);
}

const sha = (prev: string, r: Omit<AuditRow, 'hash'>): string =>
  createHash('sha256').update(Buffer.concat([Buffer.from(prev, 'hex'), Buffer.from(canonicalEncoding(r))])).digest('hex');

async function expectBad(tr: Trail, mode: Mode, seq: number, problem?: RegExp): Promise<void> {
  const res = await verify(tr, mode);
  assert.equal(res.ok, false, 'verification must fail');
  assert.equal(res.firstBadSeq, seq, String(res.problem));
  if (problem) assert.match(String(res.problem), problem);
  // the workers themselves stopped at the bad event (the exact check only names it)
  if (mode === 'parallel') assert.equal(res.viaWorkers, Math.min(seq - 1, N), 'events checked by the workers');
}

for (const mode of ['sequential', 'parallel'] as const) {
eachDialect(`audit tamper corpus (${mode} verify)`, (t) => {
  test('an untouched trail verifies against its checkpoint', async () => {
    const tr = await trail(t);
    try {
      await checkpoint(tr);
      const res = await verify(tr, mode);
      assert.deepEqual([res.ok, res.checked, res.viaWorkers, res.checkpoint?.size], [true, N, mode === 'parallel' ? N : 0, N]);
    } finally {
      await tr.engine.close();
    }
  });

  test('modifying one byte of one event', async () => {
    const tr = await trail(t);
    try {
      const k = tr.engine.db.kysely;
      await unguard(k, t.dialect);
      const r = (await rows(k))[6];
      const changed = r.details.replace('"n":7', '"n":8');
      assert.notEqual(changed, r.details);
      await k.updateTable('_sb_audit').set({ details: changed }).where('seq', '=', 7).execute();
      await expectBad(tr, mode, 7, /does not match/);
    } finally {
      await tr.engine.close();
    }
  });

  test('deleting one event', async () => {
    const tr = await trail(t);
    try {
      const k = tr.engine.db.kysely;
      await unguard(k, t.dialect);
      await k.deleteFrom('_sb_audit').where('seq', '=', 5).execute();
      await expectBad(tr, mode, 5, /missing/);
    } finally {
      await tr.engine.close();
    }
  });

  for (const recompute of [false, true]) {
    test(`inserting a forged event ${recompute ? 'and recomputing a plain SHA-256 chain after it' : 'with a made-up hash'}`, async () => {
      const tr = await trail(t);
      try {
        const k = tr.engine.db.kysely;
        await unguard(k, t.dialect);
        const all = await rows(k);
        // Make room at seq 10: every later event moves up by one, the forged one takes its place.
        await k.deleteFrom('_sb_audit').where('seq', '>=', 10).execute();
        const forged: Omit<AuditRow, 'hash'> = { ...all[9], action: 'auth.login', outcome: 'success', actor_id: 'insider' };
        let prev = all[8].hash;
        const rest = [forged, ...all.slice(9)].map((r, i) => {
          const row = { ...r, seq: 10 + i };
          const hash = recompute ? sha(prev, row) : createHash('sha256').update(String(i)).digest('hex');
          prev = hash;
          return { ...row, hash };
        });
        await k.insertInto('_sb_audit').values(rest).execute();
        await k.updateTable('_sb_audit_head').set({ seq: N + 1, hash: prev }).execute();
        await expectBad(tr, mode, 10, /does not match/);
      } finally {
        await tr.engine.close();
      }
    });
  }

  test('swapping two events', async () => {
    const tr = await trail(t);
    try {
      const k = tr.engine.db.kysely;
      await unguard(k, t.dialect);
      const all = await rows(k);
      await k.deleteFrom('_sb_audit').where('seq', 'in', [12, 13]).execute();
      await k.insertInto('_sb_audit').values([{ ...all[12], seq: 12 }, { ...all[11], seq: 13 }]).execute();
      await expectBad(tr, mode, 12);
    } finally {
      await tr.engine.close();
    }
  });

  for (const k of [1, 5]) {
    test(`truncating the last ${k} event(s), head row rewritten to match`, async () => {
      const tr = await trail(t);
      try {
        await checkpoint(tr);
        const db = tr.engine.db.kysely;
        await unguard(db, t.dialect);
        const all = await rows(db);
        await db.deleteFrom('_sb_audit').where('seq', '>', N - k).execute();
        await db.updateTable('_sb_audit_head').set({ seq: N - k, hash: all[N - k - 1].hash }).execute();
        await expectBad(tr, mode, N - k + 1, /truncated or rolled back/);
      } finally {
        await tr.engine.close();
      }
    });
  }

  test('restoring an older copy of the whole database', async () => {
    const tr = await trail(t, 10);
    let { engine } = tr;
    try {
      // The older copy: SQLite copies the file; PostgreSQL copies the database as a template.
      let restore: () => Promise<void>;
      if (tr.database.kind === 'sqlite') {
        const file = tr.database.path;
        await engine.close();
        copyFileSync(file, `${file}.old`);
        engine = tr.engine = await openEngine(tr.config, { auditKeys: tr.keys });
        restore = async () => {
          await engine.close();
          for (const suffix of ['-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
          copyFileSync(`${file}.old`, file);
          engine = tr.engine = await openEngine(tr.config, { auditKeys: tr.keys });
        };
      } else {
        const snapshot = await rows(engine.db.kysely);
        const head = await engine.db.kysely.selectFrom('_sb_audit_head').selectAll().executeTakeFirstOrThrow();
        restore = async () => {
          const k = engine.db.kysely;
          await unguard(k, 'postgres');
          await k.deleteFrom('_sb_audit').execute();
          await k.insertInto('_sb_audit').values(snapshot).execute();
          await k.updateTable('_sb_audit_head').set({ seq: head.seq, hash: head.hash }).execute();
        };
      }
      for (let i = 11; i <= N; i++) await engine.audit.append(sampleEvent(i));
      await checkpoint(tr);
      await restore();
      await expectBad(tr, mode, 11, /truncated or rolled back/);
      // Even when the restored copy goes on to grow past the checkpoint, the fork is seen.
      for (let i = 11; i <= N + 3; i++) await tr.engine.audit.append(sampleEvent(100 + i));
      await expectBad(tr, mode, N, /differs from the signed checkpoint/);
    } finally {
      await tr.engine.close();
    }
  });

  test('a forged event stored past the head, the head left alone', async () => {
    const tr = await trail(t);
    try {
      const k = tr.engine.db.kysely;
      const all = await rows(k);
      await k.insertInto('_sb_audit').values({ ...all[N - 1], seq: N + 1, hash: createHash('sha256').update('forged').digest('hex') }).execute();
      await expectBad(tr, mode, N + 1, /does not match/);
    } finally {
      await tr.engine.close();
    }
  });

  test('an authentic event whose text holds every control character verifies (the database may escape it otherwise than JSON.stringify)', async () => {
    const tr = await trail(t);
    try {
      const k = tr.engine.db.kysely;
      const all = await rows(k);
      // Written as a bug-free writer with the key would (the append path neutralizes such text; this row is exact anyway).
      const odd = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('') + '\u007f"\\\u2028é';
      const row: Omit<AuditRow, 'hash'> = { ...all[N - 1], seq: N + 1, request_id: odd.slice(1), details: JSON.stringify({ note: odd.slice(1) }) };
      const hash = chainHash(tr.keys.mac('audit-hmac'), all[N - 1].hash, row);
      await k.insertInto('_sb_audit').values({ ...row, hash }).execute();
      await k.updateTable('_sb_audit_head').set({ seq: N + 1, hash }).execute();
      const res = await verify(tr, mode);
      assert.deepEqual([res.ok, res.checked, res.problem], [true, N + 1, null]);
    } finally {
      await tr.engine.close();
    }
  });
});
}
