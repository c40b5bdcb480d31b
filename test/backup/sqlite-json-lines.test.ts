// SQLite writes backup rows as JSON itself (src/db/backup/sqlite-json-lines.ts): every value must
// read back as the same archive value the JavaScript encoder gives, or a restore would differ.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import BetterSqlite3 from 'better-sqlite3';
import { sqliteJsonLinesQuery } from '../../src/db/backup/sqlite-json-lines.ts';
import { openSqliteSnapshot } from '../../src/db/sqlite/snapshot-reader.ts';
import { encoderFor, type ArchiveStorage } from '../../src/db/backup/value-coercion.ts';

const COLUMNS: { name: string; type: string; storage: ArchiveStorage }[] = [
  { name: 'id', type: 'text', storage: 'text' },
  { name: 't', type: 'text', storage: 'text' },
  { name: 'i', type: 'integer', storage: 'integer' },
  { name: 'r', type: 'real', storage: 'real' },
  { name: 'b', type: 'integer', storage: 'boolean' },
  { name: 'j', type: 'text', storage: 'json' },
];

// a bounded, seeded-by-randomness corpus: edge values first, then random ones
function values(k: number): unknown[] {
  const edgeReals = [0, -0, 0.1, 0.1 + 0.2, 1e300, -1e-300, 5e-324, Number.MAX_VALUE, 2 ** 53 + 2, 123456.789, 1 / 3];
  const edgeInts = [0, -1, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 31, -(2 ** 31)];
  const edgeTexts = ['', 'plain', 'quote " backslash \\ slash /', 'line\nbreak\ttab\r', '\u0000nul', 'é ü 漢字 😀', '\u2028\u2029', '[1,2]', 'null'];
  const rnd = randomBytes(8);
  const real = k < edgeReals.length ? edgeReals[k]! : rnd.readDoubleLE(0);
  const int = k < edgeInts.length ? edgeInts[k]! : rnd.readInt32LE(0) * 2048 + (rnd[4]! % 2048);
  const text = k < edgeTexts.length ? edgeTexts[k]! : randomBytes(12).toString('base64') + String.fromCodePoint(0x20 + (rnd[5]! % 0x2000));
  return [
    `id${k}`,
    k % 7 === 0 ? null : text,
    k % 11 === 0 ? null : int,
    k % 13 === 0 || !Number.isFinite(real) ? null : real,
    k % 5 === 0 ? null : k % 2,
    k % 3 === 0 ? null : JSON.stringify({ k, text }),
  ];
}

test('SQLite-written lines read back as the JavaScript encoder writes them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-jsonl-'));
  try {
    const path = join(dir, 'db.sqlite');
    const db = new BetterSqlite3(path);
    db.pragma('journal_mode = WAL');
    db.exec(`create table v (${COLUMNS.map((c) => `"${c.name}" ${c.type}`).join(', ')})`);
    db.exec('create table big (n integer)');
    db.exec('create table bin (id text, data blob)');
    const insert = db.prepare(`insert into v values (${COLUMNS.map(() => '?').join(', ')})`);
    const rows = Array.from({ length: 3000 }, (_, k) => values(k));
    db.transaction(() => { for (const r of rows) insert.run(r); })();
    db.prepare('insert into big values (?), (?), (?)').run(2n ** 53n + 1n, -(2n ** 62n), 42);
    db.prepare('insert into big (rowid, n) values (?, 7)').run(-(2n ** 62n)); // a negative rowid is read too
    db.close();

    const snap = openSqliteSnapshot(path);
    try {
      const v = snap.tables.find((t) => t.name === 'v')!;
      const pages = snap.jsonLines!(v, COLUMNS);
      assert.ok(pages !== null);
      const got = new Map<string, unknown[]>();
      let pageCount = 0;
      for await (const page of pages) {
        pageCount++;
        assert.ok(page.text.endsWith('\n'));
        const lines = page.text.slice(0, -1).split('\n');
        assert.equal(lines.length, page.rows);
        for (const l of lines) {
          const row = JSON.parse(l) as unknown[];
          got.set(row[0] as string, row);
        }
      }
      assert.ok(pageCount > 1, 'the table is read in pages');
      assert.equal(got.size, rows.length, 'every row once');
      // the JavaScript path: the driver's values through encoderFor
      const encoders = COLUMNS.map((c) => encoderFor(c.storage, 'sqlite'));
      const jsRows = snap.rows(v, 500);
      for await (const batch of jsRows) {
        for (const row of batch) {
          const want = row.map((x, j) => {
            const e = encoders[j];
            const enc = e ? e(x) : x;
            return COLUMNS[j]!.storage === 'boolean' && enc !== null ? enc === true || enc === 1 : enc;
          });
          const have = got.get(row[0] as string)!;
          assert.deepEqual(JSON.parse(JSON.stringify(have)), JSON.parse(JSON.stringify(want)), `row ${String(row[0])}`);
          // a REAL reads back as the very same double
          if (typeof want[3] === 'number') assert.ok(Object.is(have[3], want[3]) || (want[3] === 0 && have[3] === 0));
        }
      }
      // beyond 2^53 an integer is its decimal string, never a rounded number
      const big = snap.tables.find((t) => t.name === 'big')!;
      let text = '';
      for await (const page of snap.jsonLines!(big, [{ name: 'n', storage: 'integer' }])!) text += page.text;
      assert.deepEqual(text.trim().split('\n').map((l) => JSON.parse(l)).sort(), [[42], [7], ['-4611686018427387904'], ['9007199254740993']].sort());
      // blobs have no SQL base64: that table takes the JavaScript path
      const bin = snap.tables.find((t) => t.name === 'bin')!;
      assert.equal(snap.jsonLines!(bin, [{ name: 'id', storage: 'text' }, { name: 'data', storage: 'blob' }]), null);
      assert.equal(sqliteJsonLinesQuery('bin', [{ name: 'data', storage: 'blob' }]), null);
    } finally {
      await snap.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
