import { SYSTEM_MIGRATIONS } from '../../src/db/migrate/system-migrations.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { openDatabase } from '../../src/db/open-database.ts';
import { planMigration } from '../../src/db/migrate/plan-migration.ts';
import { describeSchema } from '../../src/db/migrate/describe-schema.ts';
import { eachDialect } from '../helpers/dialects.ts';
import { START_COLLECTIONS } from './start-instance.ts';

const run = promisify(execFile);
const script = fileURLToPath(new URL('./start-instance.ts', import.meta.url));

eachDialect('instances starting together on one database', (t) => {
  test('three processes migrate at once: each change applies once and every one starts', async () => {
    const cfg = await t.freshDatabase();
    const env = { ...process.env, SB_TEST_DB: JSON.stringify(cfg) };
    const starts = [1, 2, 3].map(() => run(process.execPath, ['--import', 'tsx', script], { env, timeout: 60_000 }));
    const results = await Promise.allSettled(starts);
    for (const r of results) assert.equal(r.status, 'fulfilled', r.status === 'rejected' ? String(r.reason) : '');
    const db = await openDatabase(cfg);
    try {
      const versions = await db.kysely.selectFrom('_sb_migrations').select('version').execute();
      assert.deepEqual(versions.map((v) => Number(v.version)).sort((a, b) => a - b),
        SYSTEM_MIGRATIONS.map((m) => m.version).sort((a, b) => a - b), 'each system migration recorded once');
      assert.equal((await describeSchema(db)).items!.a!.index, true);
      assert.deepEqual((await planMigration(db, START_COLLECTIONS)).steps, []);
    } finally {
      await db.close();
    }
  });
});
