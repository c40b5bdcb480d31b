import { hashPassword, needsRehash, verifyPassword } from './password.ts';
import type { PepperRing } from './pepper.ts';

/**
 * Peppered argon2id. The stored form is `p<version>` + the argon2 PHC string, e.g.
 * `p1$argon2id$v=19$m=19456,t=2,p=1$…`: the pepper version says which secret verifies it.
 * A hash without the prefix predates the pepper; it verifies without a secret and is
 * re-hashed at its next successful login.
 */
export interface PasswordCheck {
  readonly ok: boolean;
  /** true when the hash uses an old pepper, no pepper, or weaker parameters than today's */
  readonly rehash: boolean;
}

const PEPPERED = /^p([1-9][0-9]{0,5})(\$argon2.*)$/s;

export class PasswordHasher {
  readonly #ring: PepperRing;
  #dummy: Promise<string> | undefined;

  constructor(ring: PepperRing) {
    this.#ring = ring;
  }

  get pepperVersion(): number {
    return this.#ring.current.version;
  }

  async hash(password: string): Promise<string> {
    const { version, unsafeSecret } = this.#ring.current;
    return `p${version}${await hashPassword(password, unsafeSecret)}`;
  }

  async verify(stored: string, password: string): Promise<PasswordCheck> {
    const m = PEPPERED.exec(stored);
    if (m === null) {
      // Legacy (pre-pepper) argon2 hash: verified as is, then upgraded.
      const ok = stored.startsWith('$argon2') ? await verifyPassword(stored, password) : await this.#burn(password);
      return { ok, rehash: true };
    }
    const version = Number(m[1]);
    const pepper = this.#ring.byVersion(version);
    // A retired pepper: the hash can never verify, but the caller still pays a full hash.
    if (pepper === undefined) return { ok: await this.#burn(password), rehash: true };
    const ok = await verifyPassword(m[2], password, pepper.unsafeSecret);
    return { ok, rehash: ok && (version !== this.#ring.current.version || needsRehash(m[2])) };
  }

  /** Same work as a real verification, always false: for unknown accounts. */
  async dummyVerify(password: string): Promise<false> {
    await this.#burn(password);
    return false;
  }

  async #burn(password: string): Promise<false> {
    // A failed first hash (overload, crashed worker) is retried next time, not cached forever.
    this.#dummy ??= this.hash('strongbox-dummy-password-for-timing').catch((err: unknown) => {
      this.#dummy = undefined;
      throw err;
    });
    const m = PEPPERED.exec(await this.#dummy);
    await verifyPassword(m![2], password, this.#ring.current.unsafeSecret);
    return false;
  }
}
