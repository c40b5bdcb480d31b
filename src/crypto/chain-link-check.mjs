// HMAC-SHA256 checks of audit chain links for the fast verify (src/core/audit/verify-segment.mjs).
// Plain JS so a worker thread loads it without a TypeScript loader.
//
// Each check is HMAC(key, prev hash ‖ encoding) per RFC 2104, computed as two one-shot SHA-256
// calls: Node's per-call overhead, not SHA-256 itself, is what an event costs (a createHmac
// object per event is about four times as slow). The inner message is hashed where it lies, in
// the page the database returned (src/db/audit/audit-link-pages.mjs): each record there leaves
// 96 bytes before its encoding, where the inner key pad and the previous hash are laid, so no
// bytes are copied and no Buffer is made per event.
import { createHash, hash as oneShotHash } from 'node:crypto';

const BLOCK = 64; // SHA-256 block size (bytes)
const HASH = 32; // SHA-256 output (bytes)
/** Bytes a record leaves before its encoding: inner key pad ‖ previous hash. */
export const LEAD = BLOCK + HASH;

// Digests as latin1 text (one char per byte): a Buffer per digest costs more than the hash.
const sha256 = typeof oneShotHash === 'function'
  ? (data) => oneShotHash('sha256', data, 'latin1')
  : (data) => createHash('sha256').update(data).digest('latin1');

const HEX = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/**
 * A checker for one HMAC key (a secret KeyObject, as a worker receives it).
 * `check(page, at, length, prev)`: the encoding is page[at + LEAD, at + LEAD + length), its stored
 * hash the 64 bytes after it (lower-case hex; anything else never matches); prev is the previous
 * hash as 32 latin1 chars. Overwrites page[at, at + LEAD) with the inner pad and prev. Returns the
 * HMAC as 32 latin1 chars when it equals the stored hash, else null. The comparison does not stop
 * early (no timing tells how much of a hash matched).
 */
export function chainLinkChecker(keyObject) {
  const raw = keyObject.export();
  const key = raw.length > BLOCK ? createHash('sha256').update(raw).digest() : raw;
  const ipad = Buffer.alloc(BLOCK);
  const outer = Buffer.alloc(BLOCK + HASH); // opad ‖ inner hash
  for (let i = 0; i < BLOCK; i++) {
    ipad[i] = (key[i] ?? 0) ^ 0x36;
    outer[i] = (key[i] ?? 0) ^ 0x5c;
  }
  raw.fill(0);
  key.fill(0);
  return {
    check(page, at, length, prev) {
      const tagAt = at + LEAD + length;
      if (prev.length !== HASH || tagAt + 2 * HASH > page.length) return null;
      page.set(ipad, at);
      for (let i = 0; i < HASH; i++) page[at + BLOCK + i] = prev.charCodeAt(i);
      const inner = sha256(page.subarray(at, tagAt));
      for (let i = 0; i < HASH; i++) outer[BLOCK + i] = inner.charCodeAt(i);
      const tag = sha256(outer);
      let diff = 0;
      for (let i = 0; i < HASH; i++) {
        const b = tag.charCodeAt(i);
        diff |= (HEX[b >> 4] ^ page[tagAt + 2 * i]) | (HEX[b & 15] ^ page[tagAt + 2 * i + 1]);
      }
      return diff === 0 ? tag : null;
    },
  };
}

/** A lower-case hex hash as 32 latin1 chars, or null when it is not exactly that. */
export function hexToLatin1(hex) {
  if (typeof hex !== 'string' || !/^[0-9a-f]{64}$/.test(hex)) return null;
  return Buffer.from(hex, 'hex').toString('latin1');
}
