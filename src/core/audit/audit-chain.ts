import type { AuditRow } from '../../db/audit/audit-store.ts';
import type { MacKey } from './audit-keys.ts';

/** The previous hash of the first event of a fresh chain. */
export const GENESIS_HASH = '0'.repeat(64);
/** Bumped if the encoding ever changes; part of every hashed message. */
export const ENCODING_TAG = 'strongbox-audit/1';

export type UnchainedRow = Omit<AuditRow, 'hash'>;

/**
 * The canonical encoding: UTF-8 of a JSON array of every column but the hash, in a fixed
 * order, with `details` as its stored (canonical) JSON text. JSON makes it injective: no two
 * events share an encoding.
 */
export function canonicalEncoding(r: UnchainedRow): string {
  return JSON.stringify([
    ENCODING_TAG, r.seq, r.time, r.actor_id, r.actor_role, r.token_id, r.ip, r.request_id, r.action,
    r.target_collection, r.target_record, r.outcome, r.details, r.key_version,
  ]);
}

/** The message an event's HMAC covers: previous hash (32 bytes) ‖ canonical encoding. */
export function chainMessage(prevHashHex: string, r: UnchainedRow): Buffer {
  const enc = canonicalEncoding(r);
  const buf = Buffer.allocUnsafe(32 + Buffer.byteLength(enc));
  buf.write(prevHashHex, 0, 32, 'hex');
  buf.write(enc, 32, 'utf8');
  return buf;
}

/** hash = HMAC-SHA256(audit key, prev hash ‖ canonical encoding), as lower-case hex. */
export function chainHash(key: MacKey, prevHashHex: string, r: UnchainedRow): string {
  return key.mac(chainMessage(prevHashHex, r)).toString('hex');
}

/** Chains rows on from `prevHashHex`. */
export function chainRows(key: MacKey, prevHashHex: string, rows: readonly UnchainedRow[]): AuditRow[] {
  let prev = prevHashHex;
  return rows.map((r) => {
    prev = chainHash(key, prev, r);
    return { ...r, hash: prev };
  });
}
