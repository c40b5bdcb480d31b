/** The audit table's row and head shapes, shared by the Kysely and the synchronous append paths. */

/** One stored event, column for column. */
export interface AuditRow {
  readonly seq: number;
  readonly time: string;
  readonly actor_id: string | null;
  readonly actor_role: string | null;
  readonly token_id: string | null;
  readonly ip: string | null;
  readonly request_id: string | null;
  readonly action: string;
  readonly target_collection: string | null;
  readonly target_record: string | null;
  readonly outcome: string;
  /** canonical JSON text, hashed exactly as stored */
  readonly details: string;
  readonly key_version: number;
  /** lower-case hex HMAC-SHA256 */
  readonly hash: string;
}

export const AUDIT_COLUMNS = [
  'seq', 'time', 'actor_id', 'actor_role', 'token_id', 'ip', 'request_id', 'action',
  'target_collection', 'target_record', 'outcome', 'details', 'key_version', 'hash',
] as const satisfies readonly (keyof AuditRow)[];

/** The chain's last event and its base (seq 0 and zeros, or where the last prune cut). */
export interface AuditHead {
  readonly logId: string;
  readonly seq: number;
  readonly hash: string;
  readonly baseSeq: number;
  readonly baseHash: string;
}

export const HEAD_COLUMNS = ['log_id', 'seq', 'hash', 'base_seq', 'base_hash'] as const;

export function toHead(row: Record<string, unknown>): AuditHead {
  return {
    logId: String(row.log_id), seq: Number(row.seq), hash: String(row.hash),
    baseSeq: Number(row.base_seq), baseHash: String(row.base_hash),
  };
}
