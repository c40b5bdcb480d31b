// HMAC-SHA256 checks of audit chain links for the verify workers (src/core/audit/audit-verify-worker.mjs).
// Plain JS so a worker thread loads it without a TypeScript loader.
//
// Each check is HMAC(key, prev hash ‖ encoding) per RFC 2104, computed as two one-shot SHA-256
// calls over buffers whose key pads are laid once: Node's per-call overhead, not SHA-256 itself,
// is what an event costs (a createHmac object per event is about twice as slow).
import { createHash, hash as oneShotHash } from 'node:crypto';

const BLOCK = 64; // SHA-256 block size (bytes)
const HASH = 32; // SHA-256 output (bytes)

// Output as text: a Buffer per digest costs more than the hash. The inner digest goes back into
// bytes as latin1 (one char per byte, the cheapest round trip); the outer is compared as hex.
const sha256 = typeof oneShotHash === 'function'
  ? (data, encoding) => oneShotHash('sha256', data, encoding)
  : (data, encoding) => createHash('sha256').update(data).digest(encoding);

/** Constant-time equality of two strings of equal expected length (a MAC is never compared with ===). */
function sameText(a, b) {
  let diff = a.length ^ b.length;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * A checker for one HMAC key (a secret KeyObject, as a worker receives it). `check(prevHex,
 * encoding, tagHex)` is true exactly when tagHex is the lower-case hex HMAC-SHA256 of the 32
 * bytes of prevHex followed by the UTF-8 of encoding; any malformed input is false.
 */
export function chainLinkChecker(keyObject) {
  const raw = keyObject.export();
  const key = raw.length > BLOCK ? createHash('sha256').update(raw).digest() : raw;
  let inner = Buffer.alloc(BLOCK + HASH + 4096); // ipad ‖ prev hash ‖ encoding
  const outer = Buffer.alloc(BLOCK + HASH); // opad ‖ inner hash
  for (let i = 0; i < BLOCK; i++) {
    inner[i] = (key[i] ?? 0) ^ 0x36;
    outer[i] = (key[i] ?? 0) ^ 0x5c;
  }
  raw.fill(0);
  return {
    check(prevHex, encoding, tagHex) {
      if (typeof prevHex !== 'string' || prevHex.length !== 2 * HASH) return false;
      if (typeof tagHex !== 'string' || tagHex.length !== 2 * HASH || typeof encoding !== 'string') return false;
      if (BLOCK + HASH + 3 * encoding.length > inner.length) {
        const grown = Buffer.alloc(BLOCK + HASH + 3 * encoding.length);
        inner.copy(grown, 0, 0, BLOCK);
        inner = grown;
      }
      if (inner.write(prevHex, BLOCK, HASH, 'hex') !== HASH) return false;
      const n = inner.write(encoding, BLOCK + HASH, 'utf8');
      outer.write(sha256(inner.subarray(0, BLOCK + HASH + n), 'latin1'), BLOCK, HASH, 'latin1');
      return sameText(sha256(outer, 'hex'), tagHex);
    },
  };
}
