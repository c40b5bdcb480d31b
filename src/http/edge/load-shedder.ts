import { performance } from 'node:perf_hooks';

const SAMPLE_MS = 50; // how often the event loop's lag is sampled (ms)

/**
 * Watches event-loop lag with a timer that notes how late it fires. While the last two samples
 * are past the bound (sustained overload, not one slow request), new requests are answered 503
 * at once, so a backlog drains instead of every request timing out. `lag` can be injected (tests).
 */
export class LoadShedder {
  readonly #max: number;
  readonly #timer: NodeJS.Timeout | null;
  readonly #lag: () => number;
  #last = 0;
  #previous = 0;

  constructor(maxDelayMs: number, opts: { lag?: () => number; sampleMs?: number } = {}) {
    this.#max = maxDelayMs;
    if (opts.lag) {
      this.#lag = opts.lag;
      this.#timer = null;
      return;
    }
    const sampleMs = opts.sampleMs ?? SAMPLE_MS;
    let expected = performance.now() + sampleMs;
    this.#lag = () => Math.min(this.#last, this.#previous);
    this.#timer = maxDelayMs > 0 ? setInterval(() => {
      const now = performance.now();
      this.#previous = this.#last;
      this.#last = Math.max(0, now - expected);
      expected = now + sampleMs;
    }, sampleMs) : null;
    this.#timer?.unref();
  }

  /** Current lag in ms when it is past the bound, else 0. */
  overloaded(): number {
    if (this.#max === 0) return 0;
    const lag = this.#lag();
    return lag > this.#max ? lag : 0;
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}
