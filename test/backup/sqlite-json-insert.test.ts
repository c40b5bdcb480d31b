// A SQLite restore lets SQLite parse each data part itself (src/db/backup/sqlite-json-insert.ts):
// it must store exactly what the JavaScript path stores, and refuse what that path refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { restoreInTransaction } from '../../src/db/backup/restore-writer.ts';
import type { Database } from '../../src/db/database.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { PATIENTS } from './backup-fixture.ts';
import { freshFor } from './fresh-database.ts';

const TEXTS = ['', 'plain', 'quote " backslash \\ slash /', 'line\nbreak\ttab\r', '\u0000nul', 'é ü 漢字 😀', '\u2028\u2029', '[1,2]', 'null', '12'];
const INTS = [0, -1, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 31, '9007199254740993', '-9223372036854775808', true, false];
const REALS = [0, -0, 0.1, 0.1 + 0.2, 1e300, -1e-300, 5e-324, 123456.789, 1 / 3, 7];

interface Column { readonly name: string; readonly type: string; readonly notnull: number }

async function columnsOf(db: Database): Promise<Column[]> {
  return (await sql<Column>`select name, type, "notnull" from pragma_table_info('patients') order by cid`.execute(db.kysely)).rows;
}

/** Rows for every column of the patients table, each value of its type's edge corpus in turn. */
function rowsFor(columns: readonly Column[], n: number): unknown[][] {
  return Array.from({ length: n }, (_, k) => columns.map((c, j) => {
    if (c.name === 'id') return `r${k}`;
    if ((k + j) % 9 === 0 && c.notnull === 0) return null;
    const t = c.type.toLowerCase();
    if (t.includes('int')) return INTS[(k + j) % INTS.length];
    if (t.includes('real')) return REALS[(k + j) % REALS.length];
    return TEXTS[(k + j) % TEXTS.length];
  }));
}

async function restoreWith(db: Database, fn: (w: Parameters<Parameters<typeof restoreInTransaction>[2]>[0]) => Promise<void>): Promise<void> {
  await restoreInTransaction(db, { force: true }, async (w) => {
    await w.createCollections([PATIENTS]);
    await fn(w);
  });
}

async function stored(db: Database): Promise<unknown[]> {
  const cols = await columnsOf(db);
  const typed = sql.join(cols.flatMap((c) => [sql.ref(c.name), sql`typeof(${sql.ref(c.name)})`]));
  return (await sql`select ${typed} from patients order by id`.execute(db.kysely)).rows;
}

test('a part parsed by SQLite is stored as the JavaScript path stores it, and bad lines are refused', async () => {
  const [a, b] = await Promise.all([freshFor('sqlite'), freshFor('sqlite')]);
  const viaSql = await openDatabase(a!);
  const viaJs = await openDatabase(b!);
  try {
    await restoreWith(viaJs, async () => undefined);
    const columns = await columnsOf(viaJs);
    const names = columns.map((c) => c.name);
    const rows = rowsFor(columns, 200);
    const data = Buffer.from(rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
    await restoreWith(viaSql, async (w) => { assert.equal(await w.insertPart('patients', names, data, rows.length), true); });
    await restoreWith(viaJs, async (w) => { await w.insert('patients', names, rows); });
    const got = await stored(viaSql);
    assert.equal(got.length, 200);
    // the JavaScript path binds every number as a double: a text column holding a JSON number
    // reads '12.0' there; the corpus keeps numbers out of text columns, as the archive does
    assert.deepEqual(got, await stored(viaJs));

    const refused = async (part: string, count: number): Promise<string> => {
      try {
        await restoreWith(viaSql, async (w) => { await w.insertPart('patients', names, Buffer.from(part), count); });
      } catch (err) {
        return (err as Error & { code?: string }).code + ': ' + (err as Error).message;
      }
      return 'restored';
    };
    const line = JSON.stringify(rows[1]);
    assert.match(await refused(`${line}\nnot json\n`, 2), /^ERR_BACKUP_INVALID: .*a row of patients is not JSON/);
    assert.match(await refused(`${line}\n[1, 2]\n`, 2), /^ERR_BACKUP_INVALID: .*a row of patients has the wrong shape/);
    assert.match(await refused(`${line}\n{"id": 1}\n`, 2), /^ERR_BACKUP_INVALID: .*wrong shape/);
    assert.match(await refused(`${line}\n\n`, 2), /^ERR_BACKUP_INVALID/);
    // two rows on one line are two rows where the count says one
    assert.match(await refused(`${line},${JSON.stringify(rows[2])}\n`, 1), /^ERR_BACKUP_INVALID: .*wrong shape/);
    // a refused part leaves the target as the last whole restore left it
    assert.deepEqual(await stored(viaSql), got);
  } finally {
    await viaSql.close();
    await viaJs.close();
  }
});
