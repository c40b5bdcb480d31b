import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openDatabase } from '../../src/db/open-database.ts';

test('SQLite WAL pages reach the database file from the background checkpointer, not the request path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-ckpt-'));
  const path = join(dir, 'c.db');
  const db = await openDatabase({ kind: 'sqlite', path });
  try {
    await db.kysely.schema.createTable('t').addColumn('v', 'text').execute();
    const before = statSync(path).size;
    const blob = 'x'.repeat(1000);
    for (let i = 0; i < 400; i++) await db.kysely.insertInto('t').values({ v: `${i}${blob}` }).execute();
    // 400 pages is far below the main connection's own threshold, so only the background thread copies them
    const deadline = Date.now() + 10_000;
    while (statSync(path).size < before + 300_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.ok(statSync(path).size >= before + 300_000, `database file grew from ${before} to ${statSync(path).size} bytes`);
    const [{ n }] = (await sql<{ n: number }>`select count(*) as n from t`.execute(db.kysely)).rows;
    assert.equal(Number(n), 400);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
