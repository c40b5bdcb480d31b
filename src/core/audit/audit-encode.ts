import { neutralizeText } from '../../util/neutralize-text.ts';
import type { UnchainedRow } from './audit-chain.ts';
import { AUDIT_OUTCOMES, type AuditDetailValue, type AuditInput } from './audit-types.ts';

const ACTION = /^[a-z][a-z0-9_]{0,31}(\.[a-z][a-z0-9_]{0,31}){1,3}$/;
const DETAIL_KEY = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const MAX_DETAIL_KEYS = 32;
const MAX_LIST = 200; // items in a string[] detail
const MAX_TEXT = 512; // characters of one free-text value
const MAX_ID = 200; // characters of an id, ip or name

/** A caller bug (an event that breaks the contract): the operation fails rather than log it wrong. */
function bad(what: string): never {
  throw new TypeError(`audit event: ${what}`);
}

const text = (v: string | null | undefined, max: number): string | null =>
  v === undefined || v === null ? null : typeof v === 'string' ? neutralizeText(v, max) : bad('a text value is not a string');

function detailValue(key: string, v: AuditDetailValue): AuditDetailValue {
  if (typeof v === 'string') return neutralizeText(v, MAX_TEXT);
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : bad(`details.${key} is not a finite number`);
  if (Array.isArray(v)) {
    const list = v.slice(0, MAX_LIST).map((s) => (typeof s === 'string' ? neutralizeText(s, MAX_ID) : bad(`details.${key} holds a non-string`)));
    if (v.length > MAX_LIST) list.push(`…${v.length - MAX_LIST} more`);
    return list;
  }
  return bad(`details.${key} has an unsupported type`);
}

/** Canonical JSON of the details: keys sorted, values neutralized. Hashed exactly as stored. */
export function canonicalDetails(details: AuditInput['details']): string {
  if (details === undefined) return '{}';
  const keys = Object.keys(details).sort();
  if (keys.length > MAX_DETAIL_KEYS) bad('too many details');
  const out: Record<string, AuditDetailValue> = {};
  for (const k of keys) {
    if (!DETAIL_KEY.test(k)) bad('a details key is not a plain name');
    out[k] = detailValue(k, details[k]);
  }
  return JSON.stringify(out);
}

/** Validates and neutralizes an input into the stored columns (seq and hash come later). */
export function encodeInput(e: AuditInput, seq: number, time: string, keyVersion: number): UnchainedRow {
  if (typeof e.action !== 'string' || !ACTION.test(e.action)) bad('action must be dotted lower case, e.g. auth.login');
  if (!AUDIT_OUTCOMES.includes(e.outcome)) bad('outcome must be success, failure or denied');
  return {
    seq,
    time,
    actor_id: text(e.actor?.accountId, MAX_ID),
    actor_role: text(e.actor?.role, MAX_ID),
    token_id: text(e.actor?.tokenId, MAX_ID),
    ip: text(e.request?.ip, MAX_ID),
    request_id: text(e.request?.id, MAX_ID),
    action: e.action,
    target_collection: text(e.target?.collection, MAX_ID),
    target_record: text(e.target?.recordId, MAX_ID),
    outcome: e.outcome,
    details: canonicalDetails(e.details),
    key_version: keyVersion,
  };
}
