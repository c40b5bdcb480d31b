// A restored database whose sensitive values do not open with the KEK (a ciphertext altered,
// or moved to another record) must fail `backup verify`'s KEK check, on its thread and on the main one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { checkSensitiveFields } from '../../src/core/backup/kek-check.ts';
import { startRestoredChecks, type ChecksOutcome, type RestoredChecksJob } from '../../src/core/backup/restored-checks.ts';
import type { Dialect } from '../../src/db/database.ts';
import { COLLECTIONS, seededEngine } from './backup-fixture.ts';
import { freshFor } from './fresh-database.ts';

/** The checks thread over a database that is already whole (its last commit was long ago). */
function onThread(job: RestoredChecksJob): Promise<ChecksOutcome> {
  const checks = startRestoredChecks();
  checks.start(job);
  checks.committed({ final: true, complete: [], audit: true });
  return checks.outcome();
}

for (const dialect of ['sqlite', 'postgres'] as Dialect[]) {
  test(`every sensitive value is opened, and an altered or moved one fails [${dialect}]`, async (t) => {
    const database = await freshFor(dialect);
    if (database === null) return t.skip('PostgreSQL is not available');
    const { engine } = await seededEngine(database, 12);
    try {
      const job = { database, kek: engine.config.keys.kek, dev: engine.config.dev, collections: COLLECTIONS, nice: 0 };
      assert.equal(await checkSensitiveFields(engine, COLLECTIONS), 12);
      const whole = await onThread(job);
      assert.equal(whole.error, null);
      assert.equal(whole.opened, 12);
      assert.equal(whole.audit?.ok, true);
      const rows = (await sql<{ id: string; ssn: string }>`select id, ssn from patients order by id`.execute(engine.db.kysely)).rows;

      // one flipped bit in the last byte (the GCM tag) of one record's ciphertext
      const bytes = Buffer.from(rows[5]!.ssn, 'base64');
      bytes[bytes.length - 1]! ^= 1;
      await sql`update patients set ssn = ${bytes.toString('base64')} where id = ${rows[5]!.id}`.execute(engine.db.kysely);
      const altered = await onThread(job);
      assert.equal(altered.opened, null);
      const err = altered.error as { code?: string; message?: string } | null;
      assert.ok(err?.code === 'ERR_BACKUP_VERIFY_FAILED' && err.message!.includes(rows[5]!.id) && !err.message!.includes('123-45'), String(err?.message));
      await assert.rejects(checkSensitiveFields(engine, COLLECTIONS), { code: 'ERR_BACKUP_VERIFY_FAILED' });

      // a valid ciphertext copied to another record: bound to its record id, it does not open there
      await sql`update patients set ssn = ${rows[0]!.ssn} where id = ${rows[5]!.id}`.execute(engine.db.kysely);
      await assert.rejects(checkSensitiveFields(engine, COLLECTIONS), (err: { code?: string; message?: string }) =>
        err.code === 'ERR_BACKUP_VERIFY_FAILED' && err.message!.includes(rows[5]!.id));
    } finally {
      await engine.close();
    }
  });
}
