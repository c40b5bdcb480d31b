/** Strongbox's advisory-lock namespace for jobs (high 32 bits); the migration lock uses another key. */
const JOB_NAMESPACE = 0x5b0c_0b05n;

/** The advisory lock key for a job name: the namespace, then FNV-1a of the name (not secret, just stable). */
export function jobLockKey(name: string): bigint {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(name, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (JOB_NAMESPACE << 32n) | BigInt(h);
}
