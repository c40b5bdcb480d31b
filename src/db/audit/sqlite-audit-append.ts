import type { SyncWriter } from '../database.ts';
import { AUDIT_COLUMNS, HEAD_COLUMNS, toHead, type AuditHead, type AuditRow } from './audit-row.ts';
import { AUDIT_HEAD_TABLE, AUDIT_TABLE } from './audit-schema.ts';

/**
 * The audit trail's append on SQLite as synchronous statements on a write batch's connection
 * (batchWriterOf): inside a batch job they run with no Kysely hand-off per statement.
 * Same statements, same rows as audit-store.ts's lockAuditHead and writeAuditRows.
 */
const SELECT_HEAD = `select ${HEAD_COLUMNS.map((c) => `"${c}"`).join(', ')} from "${AUDIT_HEAD_TABLE}" where "id" = 1`;
const MOVE_HEAD = `update "${AUDIT_HEAD_TABLE}" set "seq" = ?, "hash" = ? where "id" = 1`;

/** Rows per insert: a power of two up to this, so a batch of n uses at most log2(MAX)+1 statement texts, each prepared once. */
export const MAX_ROWS_PER_INSERT = 64;
const ROW = `(${AUDIT_COLUMNS.map(() => '?').join(', ')})`;
const INSERTS = new Map<number, string>();
for (let n = 1; n <= MAX_ROWS_PER_INSERT; n *= 2) {
  INSERTS.set(n, `insert into "${AUDIT_TABLE}" (${AUDIT_COLUMNS.map((c) => `"${c}"`).join(', ')}) values ${Array(n).fill(ROW).join(', ')}`);
}

/** The head, inside the batch's transaction (SQLite's BEGIN IMMEDIATE already excludes other writers). */
export function readAuditHeadSync(w: SyncWriter): AuditHead {
  const row = w.get(SELECT_HEAD, []);
  if (row === undefined) throw new Error('the audit head row is missing');
  return toHead(row);
}

/** Inserts rows chained on from the head just read, in chunks of powers of two, and moves the head to the last. */
export function writeAuditRowsSync(w: SyncWriter, rows: readonly AuditRow[]): void {
  let i = 0;
  while (i < rows.length) {
    let n = MAX_ROWS_PER_INSERT;
    while (n > rows.length - i) n /= 2;
    const values: unknown[] = new Array(n * AUDIT_COLUMNS.length);
    let v = 0;
    for (let r = i; r < i + n; r++) {
      const row = rows[r];
      for (const c of AUDIT_COLUMNS) values[v++] = row[c];
    }
    w.run(INSERTS.get(n) as string, values);
    i += n;
  }
  if (rows.length === 0) return;
  const last = rows[rows.length - 1];
  w.run(MOVE_HEAD, [last.seq, last.hash]);
}
