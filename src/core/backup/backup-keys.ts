import { StrongboxError } from '../../errors/strongbox-error.ts';

/** The keyring's backup-signing key, as this feature sees it (src/core/keys SigningKey). */
export interface BackupSigningKey {
  readonly keyId: string;
  readonly publicKeyPem: string;
  sign(data: Buffer): Buffer;
}

interface KeyringLike { signer(purpose: 'backup-signing'): BackupSigningKey }

/**
 * The backup-signing key of an open engine's keyring. The keyring is the only holder of key
 * material; without one there is nothing to sign with, and no backup is written.
 */
export function backupSigner(engine: object): BackupSigningKey {
  const keys = (engine as { keys?: KeyringLike }).keys;
  if (keys === undefined || typeof keys.signer !== 'function') {
    throw new StrongboxError('ERR_BACKUP_SIGNER', 'The keyring (with its backup-signing key) is not available, so no backup can be signed.');
  }
  return keys.signer('backup-signing');
}
