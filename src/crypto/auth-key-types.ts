/**
 * The keys sign-in needs, as the keyring (engine.keys, src/core/keys/) hands them out. Sign-in
 * codes against this narrow view so the keyring is the only place key material lives.
 */
import type { MacKey, SealingKey } from './purpose-keys.ts';

export type { MacKey, SealingKey };

export interface AuthKeys {
  mac(purpose: 'csrf' | 'device-cookie', version?: number): MacKey;
  sealer(purpose: 'totp'): SealingKey;
}
