import type { Database } from '../database.ts';
import type { Executor } from '../migrate/introspect.ts';
import { AUDIT_FORWARD_TABLE } from './audit-schema.ts';

/** Where a sink's forwarding stands (audit-schema.ts, createAuditForwardTable). */
export interface ForwardCursor {
  /** The last seq handed to the receiver. */
  readonly sentSeq: number;
  /** Where a new leader starts: seqs after it may not have been read by the receiver yet. */
  readonly resendFrom: number;
  readonly instance: string;
}

export async function readForwardCursor(exec: Executor, sink: string): Promise<ForwardCursor | null> {
  const row = await exec.selectFrom(AUDIT_FORWARD_TABLE).select(['sent_seq', 'resend_from', 'instance'])
    .where('sink', '=', sink).executeTakeFirst();
  return row === undefined ? null : { sentSeq: Number(row.sent_seq), resendFrom: Number(row.resend_from), instance: String(row.instance) };
}

/** Stores the cursor (the leading instance only calls this). */
export async function saveForwardCursor(db: Database, sink: string, c: ForwardCursor): Promise<void> {
  const values = { sent_seq: c.sentSeq, resend_from: c.resendFrom, instance: c.instance, updated: new Date().toISOString() };
  await db.write((trx) => trx.insertInto(AUDIT_FORWARD_TABLE).values({ sink, ...values })
    .onConflict((oc) => oc.column('sink').doUpdateSet(values)).execute());
}
