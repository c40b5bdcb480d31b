import { CompiledQuery, sql, type Kysely } from 'kysely';
import { FixedStatement } from '../fixed-statement.ts';
import { AUDIT_HEAD_TABLE, AUDIT_TABLE } from '../audit/audit-schema.ts';
import { WITH_COMMIT_MARK } from './pipelining.ts';

let appendOne: FixedStatement | null = null;

/**
 * One event appended and the head moved in one statement (a data-modifying CTE), inside the
 * caller's transaction that holds the head's row lock, marked so the connection sends it with
 * the COMMIT (named-statement-client.ts): two round trips less while every other appender, in
 * every process, waits on that lock. `values` are `columns` in order; the head takes the
 * event's `seq` and `hash`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function appendOneAuditRow(trx: Kysely<any>, columns: readonly string[], values: readonly unknown[]): Promise<void> {
  appendOne ??= new FixedStatement((k, p) => k
    .with('sb_appended', (db) => db.insertInto(AUDIT_TABLE).values(Object.fromEntries(columns.map((c, i) => [c, p[i]]))))
    .updateTable(AUDIT_HEAD_TABLE)
    .set({ seq: p[columns.indexOf('seq')], hash: p[columns.indexOf('hash')] })
    .where('id', '=', 1)
    .modifyEnd(sql.raw(WITH_COMMIT_MARK)));
  await appendOne.run(trx, 'postgres', values);
}

/** `_sb_audit`'s column types, for the batched append's arrays (audit-schema.ts). */
const COLUMN_TYPES: Readonly<Record<string, string>> = { seq: 'bigint', key_version: 'integer' };

let appendMany: string | null = null;

/**
 * Many events appended and the head moved in one statement, whatever their number (one array
 * per column, unnested: one prepared statement for every batch size), on one condition: that the
 * head is still `from`, the head the events were chained on from. The head's UPDATE checks it
 * under the row lock it takes (waiting for another appender's commit, then looking at the row
 * that one left), and the events get their seq only if it moved the head; otherwise the seq is
 * NULL, the statement fails on the column's NOT NULL (23502, column `seq`: see isHeadMoved) and
 * nothing of it is written. So the events can be chained before the lock is held, and the lock,
 * the append and the COMMIT go in one round trip. Marked like appendOneAuditRow, so it goes with
 * the COMMIT. (The UPDATE comes first, in the WITH that the INSERT reads: a row lock taken by a
 * sub-statement on a row the same statement updates would find the row gone.)
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function appendAuditRows<R extends object>(trx: Kysely<any>, columns: readonly (keyof R & string)[], rows: readonly R[],
  from: { readonly seq: number; readonly hash: string }): Promise<void> {
  const last = rows[rows.length - 1];
  const n = columns.length;
  const q = (c: string): string => `"${c}"`;
  appendMany ??= `with "sb_moved" as (update "${AUDIT_HEAD_TABLE}" set "seq" = $${n + 3}, "hash" = $${n + 4} `
    + `where "id" = 1 and "seq" = $${n + 1} and "hash" = $${n + 2} returning 1) `
    + `insert into "${AUDIT_TABLE}" (${columns.map(q).join(', ')}) `
    + `select ${columns.map((c) => (c === 'seq' ? `case when exists (select 1 from "sb_moved") then "u"."seq" end` : `"u".${q(c)}`)).join(', ')} `
    + `from unnest(${columns.map((c, i) => `$${i + 1}::${COLUMN_TYPES[c] ?? 'text'}[]`).join(', ')}) as "u"(${columns.map(q).join(', ')}) ${WITH_COMMIT_MARK}`;
  const parameters: unknown[] = columns.map((c) => rows.map((r) => r[c]));
  const at = (c: string): unknown => last[c as keyof R];
  parameters.push(from.seq, from.hash, at('seq'), at('hash'));
  await trx.executeQuery(CompiledQuery.raw(appendMany, parameters));
}

/** Whether an append failed because the head was not where its events were chained from (see appendAuditRows). */
export function isHeadMoved(err: unknown): boolean {
  const e = err as { code?: unknown; column?: unknown; table?: unknown } | null;
  return e?.code === '23502' && e.column === 'seq' && e.table === AUDIT_TABLE;
}
