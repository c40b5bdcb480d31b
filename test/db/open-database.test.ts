import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sql, type ColumnDataType } from 'kysely';
import type { DatabaseConfig } from '../../src/config/config.ts';
import type { FieldDef } from '../../src/config/schema.ts';
import { decodeValue, encodeValue } from '../../src/db/column-codec.ts';
import type { Database, Dialect } from '../../src/db/database.ts';
import { openDatabase, statementCacheStats } from '../../src/db/open-database.ts';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';
import { eachDialect } from '../helpers/dialects.ts';

function field(name: string, extra: Record<string, unknown>): FieldDef {
  return {
    name, required: false, unique: false, index: false, default: undefined,
    sensitive: false, searchable: false, mask: null, read: null, ...extra,
  } as FieldDef;
}

const FIELDS: readonly FieldDef[] = [
  field('t', { type: 'text', min: null, max: null, pattern: null }),
  field('n', { type: 'number', integer: true, min: null, max: null }),
  field('f', { type: 'number', integer: false, min: null, max: null }),
  field('b', { type: 'boolean' }),
  field('j', { type: 'json' }),
  field('m', { type: 'select', values: ['a', 'b', 'c'], multiple: true }),
  field('s', { type: 'select', values: ['a', 'b'], multiple: false }),
  field('d', { type: 'date' }),
  field('dt', { type: 'datetime' }),
];

const COLUMN_TYPES: Record<Dialect, Record<string, ColumnDataType>> = {
  sqlite: { t: 'text', n: 'integer', f: 'real', b: 'integer', j: 'text', m: 'text', s: 'text', d: 'text', dt: 'text' },
  postgres: { t: 'text', n: 'bigint', f: 'double precision', b: 'boolean', j: 'jsonb', m: 'jsonb', s: 'text', d: 'text', dt: 'text' },
};

const ROWS: readonly Record<string, unknown>[] = [
  { id: 'r1', t: `it's "quoted" -- ; DROP TABLE x; ünïcødé 🔒`, n: Number.MAX_SAFE_INTEGER, f: 3.5, b: true,
    j: { a: [1, 'x', null], b: { c: true }, n: -2.25 }, m: ['a', 'c'], s: 'b', d: '2024-02-29', dt: '2024-02-29T23:59:59.999Z' },
  { id: 'r2', t: '', n: -42, f: -1e300, b: false, j: [], m: [], s: 'a', d: '1970-01-01', dt: '1970-01-01T00:00:00.000Z' },
  { id: 'r3', t: null, n: null, f: null, b: null, j: null, m: null, s: null, d: null, dt: null },
];

async function createKindsTable(db: Database): Promise<void> {
  let builder = db.kysely.schema.createTable('kinds').addColumn('id', 'text', (c) => c.primaryKey());
  for (const f of FIELDS) builder = builder.addColumn(f.name, COLUMN_TYPES[db.dialect][f.name]!);
  await builder.execute();
}

function assertSafeError(err: unknown, secrets: readonly string[]): true {
  assert.ok(err instanceof StrongboxError, `expected StrongboxError, got ${String(err)}`);
  assert.equal(err.code, 'ERR_UNAVAILABLE');
  for (const s of secrets) {
    assert.ok(!err.message.includes(s), `message leaks ${s}`);
    assert.ok(!String(err.stack).includes(s), `stack leaks ${s}`);
  }
  assert.ok(err.cause !== undefined, 'the cause is kept for the log');
  return true;
}

eachDialect('openDatabase', (t) => {
  const open: Database[] = [];
  after(async () => {
    await Promise.all(open.map((db) => db.close()));
  });
  const fresh = async (opts?: Parameters<typeof openDatabase>[1]): Promise<{ db: Database; cfg: DatabaseConfig }> => {
    const cfg = await t.freshDatabase();
    const db = await openDatabase(cfg, opts);
    open.push(db);
    return { db, cfg };
  };

  test('round-trips every storage kind through column-codec', async () => {
    const { db } = await fresh();
    assert.equal(db.dialect, t.dialect);
    await createKindsTable(db);
    for (const row of ROWS) {
      const encoded: Record<string, unknown> = { id: row.id };
      for (const f of FIELDS) encoded[f.name] = encodeValue(f, row[f.name], db.dialect);
      await db.kysely.insertInto('kinds').values(encoded).execute();
    }
    const stored = await db.kysely.selectFrom('kinds').selectAll().orderBy('id').execute();
    const decoded = stored.map((raw: Record<string, unknown>) => {
      const out: Record<string, unknown> = { id: raw.id };
      for (const f of FIELDS) out[f.name] = decodeValue(f, raw[f.name], db.dialect);
      return out;
    });
    assert.deepEqual(decoded, ROWS);
    assert.equal(typeof stored[0]!.n, 'number', 'an integer column reads back as a number, not a string or bigint');
  });

  test('a repeated query is served from the statement cache', async () => {
    const { db } = await fresh({ poolSize: 1 });
    await db.kysely.schema.createTable('items').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('v', 'integer').execute();
    await db.kysely.insertInto('items').values([{ id: 'a', v: 1 }, { id: 'b', v: 2 }]).execute();
    const query = (id: string) => db.kysely.selectFrom('items').select('v').where('id', '=', id);
    const before = statementCacheStats(db);
    assert.deepEqual(await query('a').execute(), [{ v: 1 }]);
    assert.deepEqual(await query('b').execute(), [{ v: 2 }]);
    assert.deepEqual(await query('zz').execute(), []);
    const afterStats = statementCacheStats(db);
    assert.ok(before && afterStats && before.dialect === afterStats.dialect);
    if (afterStats.dialect === 'sqlite' && before.dialect === 'sqlite') {
      // kept from its second use (a one-off shape is never cached: util/second-sight.ts)
      assert.equal(afterStats.misses - before.misses, 2, 'prepared at the first two uses');
      assert.equal(afterStats.hits - before.hits, 1, 'then reused');
    } else if (afterStats.dialect === 'postgres' && before.dialect === 'postgres') {
      assert.equal(afterStats.named - before.named, 3);
      // pool of one: this is the same connection, where the server lists what it prepared
      const { sql: text } = query('a').compile();
      const { rows } = await sql<{ n: number; runs: number }>`
        select count(*)::int as n, coalesce(sum(generic_plans + custom_plans), 0)::int as runs
        from pg_prepared_statements where statement = ${text}`.execute(db.kysely);
      assert.deepEqual(rows, [{ n: 1, runs: 3 }], 'one server-side statement, executed three times');
    }
  });

  test('a cached select * sees a column added later', async () => {
    const { db } = await fresh({ poolSize: 1 });
    await db.kysely.schema.createTable('grow').addColumn('id', 'text', (c) => c.primaryKey()).execute();
    await db.kysely.insertInto('grow').values({ id: 'x' }).execute();
    assert.deepEqual(await db.kysely.selectFrom('grow').selectAll().execute(), [{ id: 'x' }]);
    await db.kysely.schema.alterTable('grow').addColumn('extra', 'text').execute();
    assert.deepEqual(await db.kysely.selectFrom('grow').selectAll().execute(), [{ id: 'x', extra: null }]);
  });

  test('session settings: foreign keys enforced, UTC, safe numeric types', async () => {
    const { db } = await fresh();
    await db.kysely.schema.createTable('parent').addColumn('id', 'text', (c) => c.primaryKey()).execute();
    await db.kysely.schema.createTable('child').addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('parent', 'text', (c) => c.references('parent.id')).execute();
    await assert.rejects(db.kysely.insertInto('child').values({ id: 'c', parent: 'missing' }).execute());
    assert.deepEqual(await db.kysely.selectFrom('child').selectAll().execute(), []);
    if (db.dialect === 'sqlite') {
      const { rows } = await sql`select * from pragma_journal_mode, pragma_synchronous, pragma_busy_timeout`.execute(db.kysely);
      assert.deepEqual(rows, [{ journal_mode: 'wal', synchronous: 1, timeout: 5000 }]);
    } else {
      const { rows } = await sql`select current_setting('TimeZone') as tz, 42::bigint as small,
        9007199254740993::bigint as big, 1.10::numeric as dec, now() as ts, '2024-01-02'::date as d`.execute(db.kysely);
      const row = rows[0] as Record<string, unknown>;
      assert.equal(row.tz, 'UTC');
      assert.equal(row.small, 42);
      assert.equal(row.big, '9007199254740993', 'an unsafe bigint keeps every digit');
      assert.equal(row.dec, '1.10', 'numeric keeps its precision');
      assert.equal(typeof row.ts, 'string', 'timestamps are not turned into local Date objects');
      assert.match(String(row.ts), /\+00$/);
      assert.equal(row.d, '2024-01-02');
    }
  });

  test('close() is idempotent and later queries fail', async () => {
    const cfg = await t.freshDatabase();
    const db = await openDatabase(cfg);
    await db.close();
    await db.close();
    await assert.rejects(sql`select 1`.execute(db.kysely));
  });

  if (t.dialect === 'sqlite') {
    test('the database file and its WAL are 0600, a created folder 0700', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'strongbox-mode-'));
      try {
        const path = join(dir, 'nested', 'data', 'sb.db');
        const db = await openDatabase({ kind: 'sqlite', path });
        await db.kysely.schema.createTable('x').addColumn('id', 'text').execute();
        await db.kysely.insertInto('x').values({ id: '1' }).execute();
        assert.equal(statSync(path).mode & 0o777, 0o600);
        assert.equal(statSync(`${path}-wal`).mode & 0o777, 0o600);
        assert.equal(statSync(`${path}-shm`).mode & 0o777, 0o600);
        assert.equal(statSync(join(dir, 'nested', 'data')).mode & 0o777, 0o700);
        assert.equal(statSync(join(dir, 'nested')).mode & 0o777, 0o700);
        await db.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('an unopenable path is ERR_UNAVAILABLE without the path', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'strongbox-bad-'));
      try {
        await assert.rejects(openDatabase({ kind: 'sqlite', path: dir }), (err) => assertSafeError(err, [dir]));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  if (t.dialect === 'postgres') {
    const pgCfg = async (): Promise<{ url: string; password: string }> => {
      const cfg = await t.freshDatabase();
      assert.ok(cfg.kind === 'postgres' && cfg.password !== undefined);
      return { url: cfg.url, password: cfg.password };
    };

    test('the connection uses TLS, verified against the test CA', async () => {
      const { db, cfg } = await fresh();
      assert.ok(cfg.kind === 'postgres' && cfg.url.includes('sslmode=verify-full'));
      const { rows } = await sql<{ ssl: boolean }>`select ssl from pg_stat_ssl where pid = pg_backend_pid()`.execute(db.kysely);
      assert.deepEqual(rows, [{ ssl: true }]);
    });

    test('verify-full refuses a server certificate the given CA did not sign', async () => {
      const { url, password } = await pgCfg();
      const caFile = new URL(url).searchParams.get('sslrootcert');
      assert.ok(caFile !== null);
      // the server's own leaf certificate is no CA: the chain cannot be built from it
      const wrongCa = url.replace(encodeURIComponent(caFile), encodeURIComponent(caFile.replace(/ca\.crt$/, 'server.crt')));
      assert.notEqual(wrongCa, url);
      await assert.rejects(openDatabase({ kind: 'postgres', url: wrongCa, password }), (err) => {
        assert.ok(err instanceof StrongboxError && err.code === 'ERR_DB_TLS_VERIFY', String(err));
        for (const s of [password, wrongCa]) assert.ok(!err.message.includes(s) && !String(err.stack).includes(s), `leaks ${s}`);
        assert.match(String((err as Error & { cause: Error }).cause.message), /certificate/i);
        return true;
      });
    });

    test('a connection without TLS is refused', async () => {
      const { url, password } = await pgCfg();
      const plain = url.replace(/sslmode=verify-full/, 'sslmode=disable');
      assert.notEqual(plain, url);
      await assert.rejects(openDatabase({ kind: 'postgres', url: plain, password }), (err) => {
        assertSafeError(err, [password, plain]);
        // the server said no because there was no encryption, not for another reason
        assert.match(String((err as Error & { cause: Error }).cause.message), /no encryption/);
        return true;
      });
    });

    test('a wrong password is ERR_UNAVAILABLE and the message names neither password nor URL', async () => {
      const { url, password } = await pgCfg();
      const wrong = `${password}-wrong`;
      const host = new URL(url).host;
      await assert.rejects(openDatabase({ kind: 'postgres', url, password: wrong }), (err) => {
        assertSafeError(err, [wrong, password, url, host, 'strongbox_test']);
        assert.equal((err as Error).message, 'The PostgreSQL database cannot be reached or refused the connection.');
        return true;
      });
    });

    test('a password inside the URL does not leak either', async () => {
      const { url } = await pgCfg();
      const secret = 'Sup3rSecretInUrl';
      const withPassword = url.replace('strongbox_test@', `strongbox_test:${secret}@`);
      await assert.rejects(openDatabase({ kind: 'postgres', url: withPassword }), (err) => assertSafeError(err, [secret, withPassword]));
    });
  }
});
