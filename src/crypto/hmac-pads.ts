import { createHash, hash as oneShotHash } from 'node:crypto';

const BLOCK = 64; // SHA-256 block size (bytes)
const OUT = 32; // SHA-256 output (bytes)

type Data = Buffer | string;

// crypto.hash (Node ≥ 20.12) is one call; the fallback builds a Hash object as createHmac would.
const sha256 = typeof oneShotHash === 'function'
  ? (data: Buffer): Buffer => oneShotHash('sha256', data, 'buffer') as unknown as Buffer
  : (data: Buffer): Buffer => createHash('sha256').update(data).digest();

/** An HMAC-SHA256 key prepared once; its pads are key material and are zeroed by dispose(). */
export interface PadMac {
  mac(data: Data): Buffer;
  dispose(): void;
}

/**
 * HMAC-SHA256 (RFC 2104) as two one-shot SHA-256 calls over buffers whose key pads are laid out
 * once: H(K ⊕ opad ‖ H(K ⊕ ipad ‖ m)). Node's cost per call, not SHA-256, is what a short MAC
 * costs, and a createHmac object per call is about twice as slow. The result equals createHmac's
 * for every key and message (test/crypto/hmac-pads.test.ts).
 */
export function padMac(key: Buffer): PadMac {
  const k = key.length > BLOCK ? sha256(key) : key;
  let inner = Buffer.alloc(BLOCK + 1024); // K ⊕ ipad ‖ message
  const outer = Buffer.alloc(BLOCK + OUT); // K ⊕ opad ‖ inner digest
  for (let i = 0; i < BLOCK; i++) {
    const b = i < k.length ? k[i] : 0;
    inner[i] = b ^ 0x36;
    outer[i] = b ^ 0x5c;
  }
  if (k !== key) k.fill(0);
  return {
    mac(data) {
      const n = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length;
      if (BLOCK + n > inner.length) {
        const grown = Buffer.alloc(2 * (BLOCK + n));
        inner.copy(grown, 0, 0, BLOCK);
        inner.fill(0);
        inner = grown;
      }
      if (typeof data === 'string') inner.write(data, BLOCK, 'utf8');
      else data.copy(inner, BLOCK);
      sha256(inner.subarray(0, BLOCK + n)).copy(outer, BLOCK);
      return sha256(outer);
    },
    dispose() {
      inner.fill(0);
      outer.fill(0);
    },
  };
}
