import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/db/open-database.ts';
import { runSystemMigrations } from '../../src/db/migrate/system-migrations.ts';
import { planMigration } from '../../src/db/migrate/plan-migration.ts';
import { applyMigration } from '../../src/db/migrate/apply-migration.ts';
import { describeSchema } from '../../src/db/migrate/describe-schema.ts';
import { eachDialect } from '../helpers/dialects.ts';
import { collection, field } from './fixtures.ts';

const cols = [collection('items', [field('a', 'text', { index: true })])];

eachDialect('two instances starting on one database', (t) => {
  test('both migrate at once: each change is applied exactly once and both start', async () => {
    const cfg = await t.freshDatabase();
    const [a, b] = [await openDatabase(cfg), await openDatabase(cfg)];
    try {
      const start = async (db: typeof a) => {
        await runSystemMigrations(db);
        await applyMigration(db, await planMigration(db, cols), { allowDestructive: false });
      };
      await Promise.all([start(a), start(b)]);
      const versions = await a.kysely.selectFrom('_sb_migrations').select('version').execute();
      assert.equal(versions.length, 1);
      assert.equal((await describeSchema(b)).items!.a!.index, true);
      assert.deepEqual((await planMigration(b, cols)).steps, []);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
