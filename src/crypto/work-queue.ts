import { StrongboxError } from '../errors/strongbox-error.ts';

/**
 * Runs CPU-heavy jobs (argon2) at most `slots` at a time, one per worker thread. Waiting jobs
 * are bounded; past that the caller gets ERR_UNAVAILABLE instead of an unbounded queue.
 */
export class WorkQueue {
  readonly #slots: number;
  readonly #maxWaiting: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(slots: number, maxWaiting: number) {
    this.#slots = Math.max(1, slots);
    this.#maxWaiting = maxWaiting;
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#slots) {
      if (this.#waiting.length >= this.#maxWaiting) throw new StrongboxError('ERR_UNAVAILABLE');
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await job();
    } finally {
      const next = this.#waiting.shift();
      if (next) next(); // hand the slot straight over
      else this.#running--;
    }
  }
}
