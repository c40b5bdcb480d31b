/**
 * The parts of the keyring (src/core/keys/key-service.ts) the audit trail uses, by the
 * keyring's own contract: the chain's HMAC key and the checkpoint signing key. Any KeyService
 * satisfies this structurally.
 */
import type { MacKey, SigningKey } from '../../crypto/purpose-keys.ts';

export type { MacKey, SigningKey };

export interface AuditKeyring {
  mac(purpose: 'audit-hmac', version?: number): MacKey;
  signer(purpose: 'audit-signing'): SigningKey;
}
