import { createCipheriv, createDecipheriv } from 'node:crypto';
import { fillPublicRandom } from './public-random.ts';

/**
 * The stored form of a sensitive value (base64 of these bytes in a text column):
 *
 *   offset  size  content
 *   0       1     format version (1)
 *   1       4     key id: the collection's data-key version, unsigned big-endian
 *   5       12    nonce, random per encryption
 *   17      n     AES-256-GCM ciphertext of the value's JSON encoding
 *   17+n    16    GCM tag
 *
 * The associated data is the 5 header bytes plus "strongbox/field/v1", collection, field,
 * record id and the record's sensitive revision (NUL-separated), so a ciphertext moved to another
 * record, field or collection, given another key id, or written back after a later write of the
 * record's sensitive fields (the revision changes with each such write), fails to decrypt.
 */
export const FIELD_FORMAT_VERSION = 1;
const HEADER_BYTES = 5;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const FIELD_OVERHEAD_BYTES = HEADER_BYTES + NONCE_BYTES + TAG_BYTES;

/** Where a value lives; it becomes the associated data. */
export interface FieldPlace {
  readonly collection: string;
  readonly field: string;
  readonly recordId: string;
  /** Random per write of the record's sensitive fields (the `_sv` column). */
  readonly revision: string;
}

/** One opaque failure for every decryption problem: the log gets `reason`, a client gets nothing. */
export class FieldDecryptError extends Error {
  constructor(readonly reason: string) {
    super(`field decryption failed: ${reason}`);
    this.name = 'FieldDecryptError';
  }
}

const AAD_PREFIX = 'strongbox/field/v1\u0000';
/** Scratch space for the associated data: setAAD copies it into OpenSSL at once, so one buffer serves every call. */
let aadScratch = Buffer.allocUnsafe(512);

/** The associated data (header bytes, then the place), written into the scratch buffer: no allocation per call. */
function aad(header: Buffer, place: FieldPlace): Buffer {
  const text = `${AAD_PREFIX}${place.collection}\u0000${place.field}\u0000${place.recordId}\u0000${place.revision}`;
  const need = HEADER_BYTES + Buffer.byteLength(text, 'utf8');
  if (need > aadScratch.length) aadScratch = Buffer.allocUnsafe(need * 2);
  header.copy(aadScratch, 0, 0, HEADER_BYTES);
  aadScratch.write(text, HEADER_BYTES, 'utf8');
  return aadScratch.subarray(0, need);
}

const GCM = { authTagLength: TAG_BYTES } as const;

export function sealField(key: Buffer, keyId: number, place: FieldPlace, plaintext: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + NONCE_BYTES + plaintext.length + TAG_BYTES);
  out[0] = FIELD_FORMAT_VERSION;
  out.writeUInt32BE(keyId, 1);
  fillPublicRandom(out, HEADER_BYTES, NONCE_BYTES); // never reused; not secret (crypto/public-random.ts)
  const c = createCipheriv('aes-256-gcm', key, out.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES), GCM);
  c.setAAD(aad(out, place));
  const n = c.update(plaintext).copy(out, HEADER_BYTES + NONCE_BYTES);
  c.final();
  c.getAuthTag().copy(out, HEADER_BYTES + NONCE_BYTES + n);
  return out;
}

/** The key id a stored value names, or null when it is not this format (truncated, foreign). */
export function fieldKeyId(stored: Buffer): number | null {
  if (stored.length < FIELD_OVERHEAD_BYTES || stored[0] !== FIELD_FORMAT_VERSION) return null;
  return stored.readUInt32BE(1);
}

const B64 = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;
/** base64 characters of the shortest stored value (the overhead, no plaintext) */
const MIN_B64 = Math.ceil(FIELD_OVERHEAD_BYTES / 3) * 4;

/**
 * `fieldKeyId` of a stored value still in base64, read from its first 8 characters without
 * decoding the rest (the re-encryption job checks every ciphertext of every row this way).
 */
export function storedKeyId(base64: string): number | null {
  if (base64.length < MIN_B64) return null;
  let hi = 0; // the first 6 bytes, from 8 characters of 6 bits each
  let lo = 0;
  for (let i = 0; i < 8; i++) {
    const c = base64.charCodeAt(i);
    const v = c < 128 ? B64[c] : -1;
    if (v < 0) return null;
    if (i < 4) hi = hi * 64 + v; // 24 bits: bytes 0..2
    else lo = lo * 64 + v; // 24 bits: bytes 3..5
  }
  if (hi >>> 16 !== FIELD_FORMAT_VERSION) return null;
  // key id = bytes 1..4: bytes 1-2 from hi, bytes 3-4 from lo
  return ((hi & 0xffff) * 0x10000) + (lo >>> 8);
}

export function openField(key: Buffer, place: FieldPlace, stored: Buffer): Buffer {
  if (fieldKeyId(stored) === null) throw new FieldDecryptError('not a Strongbox field ciphertext (truncated or foreign)');
  const d = createDecipheriv('aes-256-gcm', key, stored.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES), GCM);
  d.setAAD(aad(stored, place));
  d.setAuthTag(stored.subarray(stored.length - TAG_BYTES));
  // GCM's final() adds no bytes: it only checks the tag, so update's output is the plaintext.
  const plain = d.update(stored.subarray(HEADER_BYTES + NONCE_BYTES, stored.length - TAG_BYTES));
  try {
    d.final();
  } catch {
    plain.fill(0); // unauthenticated bytes never leave
    throw new FieldDecryptError(`authentication failed for ${place.collection}.${place.field} of record ${place.recordId}`);
  }
  return plain;
}
