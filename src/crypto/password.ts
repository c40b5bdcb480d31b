import { parseOptions, type Options } from '@node-rs/argon2';
import { passwordPool } from './password-worker-pool.ts';

/**
 * argon2id parameters (OWASP minimum: m=19 MiB, t=2, p=1). Hashing runs on passwordPool's
 * low-priority worker threads, so it neither blocks the event loop nor starves it of CPU.
 */
export const PASSWORD_PARAMS = Object.freeze({
  memoryCost: 19456, // KiB = 19 MiB
  timeCost: 2, // passes
  parallelism: 1, // lanes
  outputLen: 32, // bytes
});

// Algorithm is a const enum in the typings and absent at runtime; 2 = Argon2id.
const ARGON2ID = 2 as Options['algorithm'];
const OPTIONS: Options = { ...PASSWORD_PARAMS, algorithm: ARGON2ID };

/** `secret` is the pepper: argon2's secret input, never stored with the hash. */
export function hashPassword(password: string, secret?: Uint8Array): Promise<string> {
  return passwordPool.hash(password, secret === undefined ? OPTIONS : { ...OPTIONS, secret });
}

/**
 * A corrupt stored hash is a failed verification, not an error the caller could tell apart from
 * a wrong password. Only overload (ERR_UNAVAILABLE) or a crashed worker (ERR_INTERNAL) rejects:
 * neither may look like a wrong password.
 */
export function verifyPassword(encoded: string, password: string, secret?: Uint8Array): Promise<boolean> {
  return passwordPool.verify(encoded, password, secret === undefined ? undefined : { secret });
}

/** True when the stored hash was made with weaker parameters (or another algorithm) than now. */
export function needsRehash(encoded: string): boolean {
  try {
    const p = parseOptions(encoded);
    return (
      p.algorithm !== ARGON2ID ||
      p.memoryCost < PASSWORD_PARAMS.memoryCost ||
      p.timeCost < PASSWORD_PARAMS.timeCost ||
      p.parallelism < PASSWORD_PARAMS.parallelism ||
      p.outputLen < PASSWORD_PARAMS.outputLen
    );
  } catch {
    return true;
  }
}

let dummy: Promise<string> | undefined;

/**
 * Verifies against a fixed hash made with the current parameters, so a login for an unknown
 * account costs the same time as one for a known account. Always false.
 */
export async function verifyDummyPassword(password: string): Promise<false> {
  // A failed first hash (overload, crashed worker) is retried next time, not cached forever.
  dummy ??= hashPassword('strongbox-dummy-password-for-timing').catch((err: unknown) => {
    dummy = undefined;
    throw err;
  });
  await verifyPassword(await dummy, password);
  return false;
}
