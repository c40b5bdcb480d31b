import {
  createCipheriv, createDecipheriv, createHmac, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync,
  hkdfSync, randomBytes, timingSafeEqual, type KeyObject,
} from 'node:crypto';
import { decodeBech32 } from '../util/bech32.ts';

/**
 * The age v1 format (age-encryption.org/v1) with X25519 recipients on node:crypto's native
 * X25519, HKDF-SHA-256, HMAC-SHA-256 and ChaCha20-Poly1305: the same bytes any age
 * implementation reads and writes, at native speed (a backup is tens of megabytes).
 */

const VERSION_LINE = 'age-encryption.org/v1';
const X25519_INFO = 'age-encryption.org/v1/X25519';
const CHUNK = 64 * 1024;
const TAG = 16;
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

export class AgeFormatError extends Error {}
export class AgeNoIdentityError extends Error {}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64').replace(/=+$/, '');
function unb64(s: string): Buffer {
  if (!/^[A-Za-z0-9+/]*$/.test(s) || s.length % 4 === 1) throw new AgeFormatError('age: bad base64');
  const out = Buffer.from(s, 'base64');
  if (b64(out) !== s) throw new AgeFormatError('age: non-canonical base64');
  return out;
}
const hkdf = (ikm: Uint8Array, salt: Uint8Array, info: string): Buffer => Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));
const publicKeyOf = (raw: Uint8Array): KeyObject => createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
const rawPublic = (k: KeyObject): Buffer => k.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);

function seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Buffer {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

function open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Buffer | null {
  if (sealed.length < TAG) return null;
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  d.setAuthTag(sealed.subarray(sealed.length - TAG));
  try {
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG)), d.final()]);
  } catch {
    return null;
  }
}

/** The 32 key bytes of an `age1…` recipient, or null. */
export function recipientKey(recipient: string): Buffer | null {
  const raw = decodeBech32(recipient, 'age');
  return raw !== null && raw.length === 32 && recipient === recipient.toLowerCase() ? Buffer.from(raw) : null;
}

interface Identity { readonly secret: KeyObject; readonly publicRaw: Buffer }

function parseIdentity(s: string): Identity | null {
  const raw = decodeBech32(s, 'age-secret-key-');
  if (raw === null || raw.length !== 32 || s !== s.toUpperCase()) return null;
  const secret = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
  return { secret, publicRaw: rawPublic(createPublicKey(secret)) };
}

export function isAgeIdentityString(s: string): boolean {
  return parseIdentity(s) !== null;
}

function headerMac(fileKey: Uint8Array, headerUpToDashes: string): Buffer {
  return createHmac('sha256', hkdf(fileKey, Buffer.alloc(0), 'header')).update(headerUpToDashes, 'latin1').digest();
}

function chunkNonce(counter: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.writeUIntBE(counter, 5, 6); // 11-byte big-endian counter; 2^48 chunks is far beyond any backup
  n[11] = last ? 1 : 0;
  return n;
}

/** Encrypts `source` to X25519 recipients (already validated with recipientKey). */
export async function* ageEncrypt(recipients: readonly string[], source: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  const fileKey = randomBytes(16);
  let header = `${VERSION_LINE}\n`;
  for (const r of recipients) {
    const theirs = recipientKey(r);
    if (theirs === null) throw new AgeFormatError('age: invalid recipient');
    const eph = generateKeyPairSync('x25519');
    const share = rawPublic(eph.publicKey);
    const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: publicKeyOf(theirs) });
    const wrapKey = hkdf(shared, Buffer.concat([share, theirs]), X25519_INFO);
    const body = b64(seal(wrapKey, Buffer.alloc(12), fileKey));
    header += `-> X25519 ${b64(share)}\n${body}\n`; // 43 characters: one short body line
  }
  header += '---';
  const nonce = randomBytes(16);
  yield Buffer.concat([Buffer.from(`${header} ${b64(headerMac(fileKey, header))}\n`, 'latin1'), nonce]);
  const key = hkdf(fileKey, nonce, 'payload');
  let pending: Buffer[] = [];
  let size = 0;
  let counter = 0;
  for await (const piece of source) {
    pending.push(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
    size += piece.length;
    // keep at least one byte back: the last chunk is only known at the end
    if (size > CHUNK) {
      const all = Buffer.concat(pending, size);
      const out: Buffer[] = [];
      let at = 0;
      while (all.length - at > CHUNK) {
        out.push(seal(key, chunkNonce(counter++, false), all.subarray(at, at + CHUNK)));
        at += CHUNK;
      }
      pending = [all.subarray(at)];
      size = all.length - at;
      yield Buffer.concat(out);
    }
  }
  yield seal(key, chunkNonce(counter, true), Buffer.concat(pending, size));
}

/** Reads bytes from an async iterable with lookahead. */
class Reader {
  #chunks: Buffer[] = [];
  #size = 0;
  #done = false;
  readonly #it: AsyncIterator<Uint8Array>;
  constructor(source: AsyncIterable<Uint8Array>) { this.#it = source[Symbol.asyncIterator](); }
  get size(): number { return this.#size; }
  get done(): boolean { return this.#done; }
  async fill(n: number): Promise<void> {
    while (this.#size < n && !this.#done) {
      const r = await this.#it.next();
      if (r.done) this.#done = true;
      else { this.#chunks.push(Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength)); this.#size += r.value.length; }
    }
  }
  peekAll(): Buffer {
    if (this.#chunks.length !== 1) this.#chunks = [Buffer.concat(this.#chunks, this.#size)];
    return this.#chunks[0] ?? Buffer.alloc(0);
  }
  take(n: number): Buffer {
    const all = this.peekAll();
    this.#chunks = all.length > n ? [all.subarray(n)] : [];
    this.#size -= n;
    return all.subarray(0, n);
  }
}

const MAX_HEADER = 64 * 1024;

/** Decrypts an age file with X25519 identities (AGE-SECRET-KEY-1…). */
export async function* ageDecrypt(identityStrings: readonly string[], source: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  const identities = identityStrings.map((s) => {
    const id = parseIdentity(s);
    if (id === null) throw new AgeFormatError('age: invalid identity');
    return id;
  });
  const r = new Reader(source);
  // the header ends with the "--- mac" line
  let end = -1;
  while (end < 0) {
    await r.fill(r.size + 1);
    const all = r.peekAll();
    end = all.indexOf('\n---', 0, 'latin1');
    if (end >= 0) {
      const nl = all.indexOf('\n', end + 1);
      if (nl < 0) { end = -1; if (r.done) throw new AgeFormatError('age: truncated header'); continue; }
      end = nl;
    } else if (r.done || all.length > MAX_HEADER) {
      throw new AgeFormatError('age: no header');
    }
  }
  const headerText = r.take(end + 1).toString('latin1');
  const lines = headerText.slice(0, -1).split('\n');
  if (lines[0] !== VERSION_LINE) throw new AgeFormatError('age: not an age v1 file');
  const macLine = lines[lines.length - 1]!;
  if (!macLine.startsWith('--- ')) throw new AgeFormatError('age: malformed header');
  const mac = unb64(macLine.slice(4));
  const stanzas: { args: string[]; body: Buffer }[] = [];
  for (let i = 1; i < lines.length - 1;) {
    const line = lines[i++]!;
    if (!line.startsWith('-> ')) throw new AgeFormatError('age: malformed stanza');
    const args = line.slice(3).split(' ');
    let body = '';
    for (;;) {
      const l = lines[i++];
      if (l === undefined || l.length > 64) throw new AgeFormatError('age: malformed stanza body');
      body += l;
      if (l.length < 64) break;
    }
    stanzas.push({ args, body: unb64(body) });
  }
  let fileKey: Buffer | null = null;
  for (const s of stanzas) {
    if (s.args[0] !== 'X25519') continue;
    if (s.args.length !== 2 || s.body.length !== 32) throw new AgeFormatError('age: malformed X25519 stanza');
    const share = unb64(s.args[1]!);
    if (share.length !== 32) throw new AgeFormatError('age: malformed X25519 share');
    for (const id of identities) {
      const shared = diffieHellman({ privateKey: id.secret, publicKey: publicKeyOf(share) });
      if (shared.every((b) => b === 0)) throw new AgeFormatError('age: low-order share');
      fileKey = open(hkdf(shared, Buffer.concat([share, id.publicRaw]), X25519_INFO), Buffer.alloc(12), s.body);
      if (fileKey !== null) break;
    }
    if (fileKey !== null) break;
  }
  if (fileKey === null) throw new AgeNoIdentityError('age: no identity matched');
  const want = headerMac(fileKey, headerText.slice(0, headerText.lastIndexOf(' ')));
  if (mac.length !== want.length || !timingSafeEqual(mac, want)) throw new AgeFormatError('age: header MAC mismatch');
  await r.fill(16);
  if (r.size < 16) throw new AgeFormatError('age: truncated payload');
  const key = hkdf(fileKey, r.take(16), 'payload');
  let counter = 0;
  const full = CHUNK + TAG;
  for (;;) {
    await r.fill(full + 1);
    if (r.size > full) {
      const out: Buffer[] = [];
      // every chunk but the one that reaches the end is a full one
      while (r.size > full) {
        const pt = open(key, chunkNonce(counter++, false), r.take(full));
        if (pt === null) throw new AgeFormatError('age: payload chunk failed authentication');
        out.push(pt);
        if (out.length >= 16) break;
      }
      yield Buffer.concat(out);
      continue;
    }
    const last = r.take(r.size);
    const pt = open(key, chunkNonce(counter, true), last);
    if (pt === null || (pt.length === 0 && counter > 0)) throw new AgeFormatError('age: last chunk failed authentication (truncated or altered)');
    yield pt;
    return;
  }
}
