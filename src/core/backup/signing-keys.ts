import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import type { BackupSigningKey } from './backup-keys.ts';

/** Public halves of the backup-signing key, one PEM per key id, next to the archives. */
export const SIGNING_KEYS_DIR = 'signing-keys';
const KEY_ID = /^[A-Za-z0-9_.:-]{1,80}$/;

const fileFor = (keyId: string): string => `${keyId.replace(/[^A-Za-z0-9_.-]/g, '_')}.pem`;

/** Exports the current public key (a public key is not a secret; the folder is 0700 anyway). */
export function exportSigningKey(backupDir: string, signer: BackupSigningKey): string {
  if (!KEY_ID.test(signer.keyId)) throw new StrongboxError('ERR_BACKUP_SIGNER', 'The backup-signing key has an unexpected id.');
  const dir = join(backupDir, SIGNING_KEYS_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, fileFor(signer.keyId));
  if (!existsSync(path)) writeFileSync(path, signer.publicKeyPem, { mode: 0o600, flag: 'wx' });
  return path;
}

/**
 * The public keys a manifest may be signed with: the file given (--public-key, best kept
 * offline with the identity), else every key this server exported into the backup folder.
 */
export function trustedSigningKeys(backupDir: string, publicKeyFile: string | null): string[] {
  if (publicKeyFile !== null) {
    try {
      return [readFileSync(publicKeyFile, 'utf8')];
    } catch (cause) {
      throw new StrongboxError('ERR_USAGE', 'The --public-key file cannot be read.', undefined, { cause });
    }
  }
  const dir = join(backupDir, SIGNING_KEYS_DIR);
  const keys = existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.pem')).map((n) => readFileSync(join(dir, n), 'utf8')) : [];
  if (keys.length === 0) {
    throw new StrongboxError('ERR_BACKUP_SIGNATURE', 'No backup-signing public key is known here: pass --public-key with the key the server exported.');
  }
  return keys;
}
