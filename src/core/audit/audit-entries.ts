import type { Kysely } from 'kysely';
import { AUDIT_COLUMNS, normalizeRow, type AuditRow } from '../../db/audit/audit-store.ts';
import type { AuditEntry } from './audit-types.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Executor = Kysely<any>;

/** A stored row as the outside sees it (export, tail, the admin API). */
export function toEntry(r: AuditRow): AuditEntry {
  let details: Record<string, unknown>;
  try {
    details = JSON.parse(r.details) as Record<string, unknown>;
  } catch {
    details = { unparseable: true }; // a tampered row; verify names it
  }
  return {
    seq: r.seq,
    time: r.time,
    actor: { accountId: r.actor_id, tokenId: r.token_id, role: r.actor_role },
    request: { ip: r.ip, id: r.request_id },
    action: r.action,
    target: { collection: r.target_collection, recordId: r.target_record },
    outcome: r.outcome,
    details,
    keyVersion: r.key_version,
    hash: r.hash,
  };
}

export interface EntryRange {
  /** ISO time, inclusive */
  readonly since?: string;
  /** ISO time, exclusive */
  readonly until?: string;
  /** only seq > afterSeq */
  readonly afterSeq?: number;
}

/** Events in seq order, read in batches so a huge trail never sits in memory. */
export async function* readEntries(exec: Executor, range: EntryRange, batch = 5000): AsyncGenerator<AuditEntry> {
  let after = range.afterSeq ?? 0;
  for (;;) {
    let q = exec.selectFrom('_sb_audit').select(AUDIT_COLUMNS).where('seq', '>', after);
    if (range.since !== undefined) q = q.where('time', '>=', range.since);
    if (range.until !== undefined) q = q.where('time', '<', range.until);
    const rows = (await q.orderBy('seq', 'asc').limit(batch).execute()).map(normalizeRow);
    for (const r of rows) yield toEntry(r);
    if (rows.length < batch) return;
    after = rows[rows.length - 1].seq;
  }
}

/** The last `n` events, oldest first. */
export async function lastEntries(exec: Executor, n: number): Promise<AuditEntry[]> {
  const rows = await exec.selectFrom('_sb_audit').select(AUDIT_COLUMNS).orderBy('seq', 'desc').limit(n).execute();
  return rows.map(normalizeRow).reverse().map(toEntry);
}
