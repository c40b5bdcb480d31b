import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/db/open-database.ts';
import { withJobLock } from '../../src/db/job-lock.ts';
import { eachDialect } from '../helpers/dialects.ts';

eachDialect('job leadership lock', (ctx) => {
  test('while one instance holds a job, another skips it; afterwards it runs', async () => {
    const cfg = await ctx.freshDatabase();
    const a = await openDatabase(cfg);
    const b = await openDatabase(cfg);
    try {
      let inner: boolean | null = null;
      const ran = await withJobLock(a, 42, async () => { inner = await withJobLock(b, 42, async () => undefined); });
      assert.equal(ran, true);
      // SQLite is one machine: the job just runs; PostgreSQL instances exclude each other
      assert.equal(inner, ctx.dialect === 'sqlite');
      assert.equal(await withJobLock(b, 42, async () => undefined), true);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
