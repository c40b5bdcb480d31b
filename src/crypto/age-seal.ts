import { StrongboxError } from '../errors/strongbox-error.ts';
import { AgeFormatError, AgeNoIdentityError, ageDecrypt, ageEncrypt, isAgeIdentityString, recipientKey } from './age-native.ts';

/**
 * The age format (age-encryption.org/v1) for backups. Only native X25519 recipients (`age1…`):
 * they are what every age implementation, Debian's `age` CLI included, can open.
 */

const RECIPIENT_PATTERN = /^age1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58}$/;

/** True for a well-formed X25519 age recipient (checksum included). */
export function isAgeRecipient(s: string): boolean {
  return RECIPIENT_PATTERN.test(s) && recipientKey(s) !== null;
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
    if (!isAgeIdentityString(line)) {
      throw new StrongboxError('ERR_BACKUP_IDENTITY', 'The identity file holds a line that is not an age X25519 identity (AGE-SECRET-KEY-1…).');
    }
    out.push(line);
  }
  if (out.length === 0) throw new StrongboxError('ERR_BACKUP_IDENTITY', 'The identity file holds no age identity.');
  return out;
}

/** Encrypts a byte stream to the recipients; the result is an age file, chunk by chunk. */
export function ageSeal(recipients: readonly string[], source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  return ageEncrypt(recipients, source);
}

/**
 * Decrypts an age file. No matching identity is ERR_BACKUP_IDENTITY; a damaged header, a
 * flipped byte in any chunk or a truncated file is ERR_BACKUP_INVALID.
 */
export async function* ageOpen(identities: readonly string[], source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    yield* ageDecrypt(identities, source);
  } catch (cause) {
    if (cause instanceof AgeNoIdentityError) {
      throw new StrongboxError('ERR_BACKUP_IDENTITY', 'None of the given identities can open this backup (wrong identity, or not a backup for these recipients).', undefined, { cause });
    }
    if (cause instanceof AgeFormatError) {
      throw new StrongboxError('ERR_BACKUP_INVALID', `The backup is damaged, truncated or not an age file (${cause.message.replace(/^age: /, '')}).`, undefined, { cause });
    }
    throw cause;
  }
}
