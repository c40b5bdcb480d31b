/** A separate process that starts like an instance would: system migrations, then the collection plan. */
import type { DatabaseConfig } from '../../src/config/config.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { runSystemMigrations } from '../../src/db/migrate/system-migrations.ts';
import { planMigration } from '../../src/db/migrate/plan-migration.ts';
import { applyMigration } from '../../src/db/migrate/apply-migration.ts';
import { collection, field } from './fixtures.ts';

export const START_COLLECTIONS = [collection('items', [field('a', 'text', { index: true })])];

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) {
  const cfg = JSON.parse(process.env.SB_TEST_DB ?? '') as DatabaseConfig;
  const db = await openDatabase(cfg);
  try {
    await runSystemMigrations(db);
    await applyMigration(db, await planMigration(db, START_COLLECTIONS), { allowDestructive: false });
  } finally {
    await db.close();
  }
}
