import { createHash, type Hash } from 'node:crypto';

/** An incremental SHA-256 (archive entries and files are hashed as they stream). */
export class Sha256 {
  readonly #hash: Hash = createHash('sha256');

  update(data: Uint8Array | string): this {
    this.#hash.update(data);
    return this;
  }

  /** Lower-case hex; the hash cannot be updated afterwards. */
  hex(): string {
    return this.#hash.digest('hex');
  }
}
