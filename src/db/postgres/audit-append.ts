import { sql, type Kysely } from 'kysely';
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
