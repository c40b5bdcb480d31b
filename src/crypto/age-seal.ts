import { Decrypter, Encrypter } from 'age-encryption';
import { StrongboxError } from '../errors/strongbox-error.ts';

/**
 * The age format (age-encryption.org/v1) for backups, through the age-encryption package.
 * Only native X25519 recipients (`age1…`): they are what every age implementation, Debian's
 * `age` CLI included, can open.
 */

// Bech32 with the "age" prefix: 32 bytes of key are 52 data characters plus a 6-character checksum.
const RECIPIENT_PATTERN = /^age1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58}$/;
const IDENTITY_PATTERN = /^AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}$/;

/** True for a well-formed X25519 age recipient (checksum included). */
export function isAgeRecipient(s: string): boolean {
  if (!RECIPIENT_PATTERN.test(s)) return false;
  try {
    new Encrypter().addRecipient(s);
    return true;
  } catch {
    return false;
  }
}

/** True for anything that looks like an age private key (never a thing a server should hold). */
export function looksLikeAgeIdentity(s: string): boolean {
  return /AGE-SECRET-KEY-/i.test(s);
}

/** Reads the identities of an age identity file (comments and blank lines skipped). */
export function parseAgeIdentities(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (!IDENTITY_PATTERN.test(line)) {
      throw new StrongboxError('ERR_BACKUP_IDENTITY', 'The identity file holds a line that is not an age X25519 identity (AGE-SECRET-KEY-1…).');
    }
    out.push(line);
  }
  if (out.length === 0) throw new StrongboxError('ERR_BACKUP_IDENTITY', 'The identity file holds no age identity.');
  return out;
}

/** A pull-based web stream over an async iterable (the age package speaks web streams). */
function toWebStream(source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const r = await it.next();
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    async cancel(reason) {
      await it.return?.(reason);
    },
  });
}

/** Encrypts a byte stream to the recipients; the result is an age file, chunk by chunk. */
export async function* ageSeal(recipients: readonly string[], source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const enc = new Encrypter();
  for (const r of recipients) enc.addRecipient(r);
  const out = await enc.encrypt(toWebStream(source));
  yield* out as unknown as AsyncIterable<Uint8Array>;
}

/**
 * Decrypts an age file. A wrong identity, a damaged header, a flipped byte in any chunk or a
 * truncated file all fail with ERR_BACKUP_IDENTITY (no matching key) or ERR_BACKUP_INVALID.
 */
export async function* ageOpen(identities: readonly string[], source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const dec = new Decrypter();
  for (const id of identities) dec.addIdentity(id);
  let out: AsyncIterable<Uint8Array>;
  try {
    out = await dec.decrypt(toWebStream(source)) as unknown as AsyncIterable<Uint8Array>;
  } catch (cause) {
    if (cause instanceof Error && /no identity matched/i.test(cause.message)) {
      throw new StrongboxError('ERR_BACKUP_IDENTITY', 'None of the given identities can open this backup (wrong identity, or not a backup for these recipients).', undefined, { cause });
    }
    throw new StrongboxError('ERR_BACKUP_INVALID', 'The backup is not a valid age file (damaged header).', undefined, { cause });
  }
  try {
    yield* out;
  } catch (cause) {
    if (cause instanceof StrongboxError) throw cause;
    throw new StrongboxError('ERR_BACKUP_INVALID', 'The backup is damaged or truncated (an age chunk failed authentication).', undefined, { cause });
  }
}
