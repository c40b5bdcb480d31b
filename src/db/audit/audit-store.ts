import { sql } from 'kysely';
import type { Database, Dialect } from '../database.ts';
import type { Executor } from '../migrate/introspect.ts';
import { FixedStatement } from '../fixed-statement.ts';
import { appendOneAuditRow } from '../postgres/audit-append.ts';
import { batchWriterOf } from '../sqlite/write-batch.ts';
import { deferredAuditOf } from '../postgres/write-batch.ts';
import { readAuditHeadSync, writeAuditRowsSync } from './sqlite-audit-append.ts';
import { AUDIT_HEAD_TABLE, AUDIT_TABLE, PG_PRUNE_SETTING, SQLITE_GUARDS } from './audit-schema.ts';
import { AUDIT_COLUMNS, HEAD_COLUMNS, toHead, type AuditHead, type AuditRow } from './audit-row.ts';

export { AUDIT_COLUMNS, type AuditHead, type AuditRow };

// SQLite allows 32,766 bound values per statement; 14 columns per row.
const INSERT_CHUNK = 1000;

/**
 * Runs fn in a transaction that may append events (Database.write: on SQLite group-committed
 * under BEGIN IMMEDIATE, so reading the head and then writing cannot fail with SQLITE_BUSY when
 * another process wrote in between).
 */
export async function inAuditTransaction<T>(db: Database, fn: (trx: Executor) => Promise<T>): Promise<T> {
  return db.write(fn);
}

const SELECT_HEAD = new FixedStatement((k) => k.selectFrom(AUDIT_HEAD_TABLE).select(HEAD_COLUMNS).where('id', '=', 1));
const LOCK_HEAD = new FixedStatement((k) => k.selectFrom(AUDIT_HEAD_TABLE).select(HEAD_COLUMNS).where('id', '=', 1).forUpdate());
const INSERT_ONE = new FixedStatement((k, p) => k.insertInto(AUDIT_TABLE).values(Object.fromEntries(AUDIT_COLUMNS.map((c, i) => [c, p[i]]))));
const MOVE_HEAD = new FixedStatement((k, p) => k.updateTable(AUDIT_HEAD_TABLE).set({ seq: p[0], hash: p[1] }).where('id', '=', 1));

/**
 * Reads the head inside the caller's transaction. On PostgreSQL the row is locked (FOR UPDATE)
 * until that transaction ends: appenders in every process queue here, so the chain stays linear.
 * SQLite serializes writers already.
 */
export async function lockAuditHead(trx: Executor, dialect: Dialect): Promise<AuditHead> {
  const sync = dialect === 'sqlite' ? batchWriterOf(trx) : undefined;
  if (sync !== undefined) return readAuditHeadSync(sync);
  const { rows: [row] } = await (dialect === 'postgres' ? LOCK_HEAD : SELECT_HEAD).run(trx, dialect);
  if (row === undefined) throw new Error('the audit head row is missing');
  return toHead(row as Record<string, unknown>);
}

/**
 * Appends the events `chain` makes from the locked head (consecutive seqs from `head.seq + 1`,
 * each hash over the one before) and resolves with the last seq. In a PostgreSQL write batch
 * (postgres/write-batch.ts) the chaining waits for the batch's end, where the head is locked once
 * for all its jobs and their events go in one statement with the COMMIT: then it resolves with
 * null, and `chain` runs later (or never, if the job or the batch fails).
 */
export async function appendChained(trx: Executor, dialect: Dialect, chain: (head: AuditHead) => AuditRow[]): Promise<number | null> {
  const deferred = dialect === 'postgres' ? deferredAuditOf(trx) : undefined;
  if (deferred !== undefined) {
    deferred.push(chain);
    return null;
  }
  const rows = chain(await lockAuditHead(trx, dialect));
  await writeAuditRows(trx, rows, dialect);
  return rows.length === 0 ? null : rows[rows.length - 1].seq;
}

export async function readAuditHead(exec: Executor): Promise<AuditHead> {
  const row = await exec.selectFrom(AUDIT_HEAD_TABLE).select(['log_id', 'seq', 'hash', 'base_seq', 'base_hash'])
    .where('id', '=', 1).executeTakeFirstOrThrow();
  return toHead(row);
}


/**
 * Inserts rows (already chained on from the locked head) and moves the head to the last one.
 * SQLite runs one compiled single-row insert per event (a prepared statement, no round trip);
 * PostgreSQL sends multi-row inserts (one round trip per chunk).
 */
export async function writeAuditRows(trx: Executor, rows: readonly AuditRow[], dialect: Dialect): Promise<void> {
  if (rows.length === 0) return;
  const sync = dialect === 'sqlite' ? batchWriterOf(trx) : undefined;
  if (sync !== undefined) return writeAuditRowsSync(sync, rows); // inside a write batch's job: the same statements, no hand-off
  if (dialect === 'sqlite') {
    for (const row of rows) await INSERT_ONE.run(trx, dialect, AUDIT_COLUMNS.map((c) => row[c]));
  } else if (rows.length === 1) {
    // a record write's event: insert and head move in one statement (postgres/audit-append.ts)
    return appendOneAuditRow(trx, AUDIT_COLUMNS, AUDIT_COLUMNS.map((c) => rows[0][c]));
  } else {
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      await trx.insertInto(AUDIT_TABLE).values(rows.slice(i, i + INSERT_CHUNK) as AuditRow[]).execute();
    }
  }
  const last = rows[rows.length - 1];
  await MOVE_HEAD.run(trx, dialect, [last.seq, last.hash]);
}

/** Up to `limit` events after `afterSeq` (and up to `lastSeq` when given), in chain order. */
export async function readAuditRows(exec: Executor, afterSeq: number, limit: number, lastSeq?: number): Promise<AuditRow[]> {
  let q = exec.selectFrom(AUDIT_TABLE).select(AUDIT_COLUMNS).where('seq', '>', afterSeq);
  if (lastSeq !== undefined) q = q.where('seq', '<=', lastSeq);
  const rows = await q.orderBy('seq', 'asc').limit(limit).execute();
  return rows.map(normalizeRow);
}

/**
 * The head and the highest stored seq, read by one statement (so from one snapshot: an event
 * appended meanwhile is in both or in neither). A stored seq past the head is a forged event.
 */
export async function readAuditExtent(exec: Executor): Promise<{ head: AuditHead; maxSeq: number }> {
  const row = await exec.selectFrom(AUDIT_HEAD_TABLE).select([...HEAD_COLUMNS, sql<unknown>`(select max(seq) from _sb_audit)`.as('max_seq')])
    .where('id', '=', 1).executeTakeFirstOrThrow();
  return { head: toHead(row), maxSeq: row.max_seq == null ? 0 : Number(row.max_seq) };
}

export async function readAuditRow(exec: Executor, seq: number): Promise<AuditRow | undefined> {
  const row = await exec.selectFrom(AUDIT_TABLE).select(AUDIT_COLUMNS).where('seq', '=', seq).executeTakeFirst();
  return row && normalizeRow(row);
}

/** The last seq whose time is before `time` (ISO text compares in time order), or the base. */
export async function lastSeqBefore(exec: Executor, time: string): Promise<number | null> {
  const row = await exec.selectFrom(AUDIT_TABLE).select(sql<unknown>`max(seq)`.as('s'))
    .where('time', '<', time).executeTakeFirst();
  return row?.s == null ? null : Number(row.s);
}

/** PostgreSQL returns bigint columns as numbers already (type-parsers.ts); keep both dialects alike. */
export function normalizeRow(row: Record<string, unknown>): AuditRow {
  const r = row as unknown as AuditRow;
  return typeof r.seq === 'number' && typeof r.key_version === 'number'
    ? r : { ...r, seq: Number(r.seq), key_version: Number(r.key_version) };
}

/**
 * The one documented way events leave the table: deletes seq ≤ uptoSeq and records the cut as
 * the chain's new base, in one transaction holding the head. The append-only guard is lifted
 * for that transaction only (SQLite: the trigger is dropped and re-created inside it; PostgreSQL:
 * a transaction-local setting the guard honours).
 */
export async function unsafePruneAuditRows(db: Database, uptoSeq: number, baseHash: string): Promise<number> {
  return inAuditTransaction(db, async (trx) => {
    const head = await lockAuditHead(trx, db.dialect);
    if (uptoSeq <= head.baseSeq || uptoSeq > head.seq) return 0;
    if (db.dialect === 'postgres') await sql`select set_config(${PG_PRUNE_SETTING}, 'on', true)`.execute(trx);
    else await sql`drop trigger _sb_audit_no_delete`.execute(trx);
    const res = await trx.deleteFrom(AUDIT_TABLE).where('seq', '<=', uptoSeq).executeTakeFirst();
    if (db.dialect === 'postgres') await sql`select set_config(${PG_PRUNE_SETTING}, 'off', true)`.execute(trx);
    else await SQLITE_GUARDS.delete.execute(trx);
    await trx.updateTable(AUDIT_HEAD_TABLE).set({ base_seq: uptoSeq, base_hash: baseHash }).where('id', '=', 1).execute();
    return Number(res.numDeletedRows);
  });
}
