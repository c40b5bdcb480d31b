import type { UnchainedRow } from './audit-chain.ts';

interface PendingRead {
  readonly rows: readonly UnchainedRow[];
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** The reads one group commit takes: their events, and how to answer every request among them. */
export interface ReadBatch {
  readonly rows: readonly UnchainedRow[];
  /** Answers each request of the batch: durable (no error) or failed with `err`. */
  settle(err?: unknown): void;
}

/**
 * Sensitive reads waiting for their events to be committed. A batch takes whole requests only:
 * at least one, then as many as fit in `maxBatch` events.
 */
export class PendingReads {
  readonly #maxBatch: number;
  #queue: PendingRead[] = [];

  constructor(maxBatch: number) {
    this.#maxBatch = maxBatch;
  }

  get size(): number {
    return this.#queue.length;
  }

  /** Resolves when the request's events are durable, rejects when their batch failed. */
  push(rows: readonly UnchainedRow[]): Promise<void> {
    return new Promise<void>((resolve, reject) => this.#queue.push({ rows, resolve, reject }));
  }

  take(): ReadBatch {
    let n = 0;
    let take = 0;
    while (take < this.#queue.length && (take === 0 || n + this.#queue[take].rows.length <= this.#maxBatch)) {
      n += this.#queue[take].rows.length;
      take++;
    }
    const batch = this.#queue.splice(0, take);
    return {
      rows: batch.length === 1 ? batch[0].rows : batch.flatMap((p) => p.rows),
      settle(err?: unknown) {
        for (const p of batch) {
          if (err === undefined) p.resolve();
          else p.reject(err);
        }
      },
    };
  }
}
