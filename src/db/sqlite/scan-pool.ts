import { Worker } from 'node:worker_threads';
import { StrongboxError } from '../../errors/strongbox-error.ts';

type Reply =
  | { type: 'ready' }
  | { type: 'rows'; id: number; names: string[]; rows: unknown[][] }
  | { type: 'timeout'; id: number }
  | { type: 'failed'; id: number };

interface Job {
  readonly id: number;
  readonly sql: string;
  readonly parameters: readonly unknown[];
  readonly deadline: number;
  readonly resolve: (rows: Record<string, unknown>[]) => void;
  readonly reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
  timer: NodeJS.Timeout | null;
}

export interface ScanPoolOptions {
  readonly path: string;
  /** worker threads, each with its own read-only connection (default 2) */
  readonly size?: number;
  /** reads waiting for a worker before ERR_UNAVAILABLE (default 64) */
  readonly maxWaiting?: number;
  /** each worker's prepared statements: entries and estimated bytes */
  readonly maxStatements?: number;
  readonly maxBytes?: number;
  /** how long past its deadline a worker may take before it is terminated and replaced (ms) */
  readonly graceMs?: number;
  /** the budget, for Retry-After (seconds) */
  readonly retryAfter?: number;
}

/** The read ran past its budget: its own registered error, with the seconds to wait. */
export function queryTimeout(retryAfter: number): StrongboxError {
  return new StrongboxError('ERR_QUERY_TIMEOUT', undefined, { retryAfter });
}

/**
 * Scan-shaped SQLite reads on worker threads with their own read-only connections, so the event
 * loop never runs them. Each read carries a deadline: it is refused if it waits past it, the
 * worker's `instr` aborts a substring scan at it, and a worker still busy `graceMs` after it is
 * terminated and replaced (a plain scan cannot be interrupted from outside; its caller has
 * already been answered at the deadline). WAL mode lets these connections read while the main
 * one writes; each read sees the last commit.
 */
export class ScanPool {
  readonly #opts: Required<ScanPoolOptions>;
  readonly #slots: Slot[] = [];
  readonly #waiting: Job[] = [];
  #nextId = 1;
  #closed = false;

  constructor(opts: ScanPoolOptions) {
    this.#opts = { size: 2, maxWaiting: 64, maxStatements: 200, maxBytes: 4 * 1024 * 1024, graceMs: 250, retryAfter: 2, ...opts };
  }

  /** Rows of a read-only statement, as objects, or ERR_QUERY_TIMEOUT at the deadline. */
  read(sql: string, parameters: readonly unknown[], deadline: number): Promise<Record<string, unknown>[]> {
    if (this.#closed) return Promise.reject(new StrongboxError('ERR_UNAVAILABLE'));
    if (Date.now() >= deadline) return Promise.reject(queryTimeout(this.#opts.retryAfter));
    if (this.#waiting.length >= this.#opts.maxWaiting) return Promise.reject(new StrongboxError('ERR_UNAVAILABLE'));
    return new Promise((resolve, reject) => {
      let settled = false;
      const job: Job = {
        id: this.#nextId++, sql, parameters, deadline,
        resolve: (rows) => { if (!settled) { settled = true; clearTimeout(answerBy); resolve(rows); } },
        reject: (err) => { if (!settled) { settled = true; clearTimeout(answerBy); reject(err); } },
      };
      // The caller is answered at the deadline whatever the worker is doing.
      const answerBy = setTimeout(() => {
        const at = this.#waiting.indexOf(job);
        if (at >= 0) this.#waiting.splice(at, 1);
        job.reject(queryTimeout(this.#opts.retryAfter));
      }, Math.max(0, deadline - Date.now()));
      this.#waiting.push(job);
      this.#dispatch();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#waiting.splice(0)) job.reject(new StrongboxError('ERR_UNAVAILABLE'));
    await Promise.all(this.#slots.splice(0).map((s) => {
      if (s.timer) clearTimeout(s.timer);
      s.job?.reject(new StrongboxError('ERR_UNAVAILABLE'));
      return s.worker.terminate();
    }));
  }

  #dispatch(): void {
    while (this.#waiting.length > 0) {
      let slot = this.#slots.find((s) => s.job === null);
      if (!slot && this.#slots.length < this.#opts.size) slot = this.#start();
      if (!slot) return;
      const job = this.#waiting.shift() as Job;
      if (Date.now() >= job.deadline) { job.reject(queryTimeout(this.#opts.retryAfter)); continue; }
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage({ id: job.id, sql: job.sql, parameters: job.parameters, deadline: job.deadline });
      const busy = slot;
      slot.timer = setTimeout(() => this.#replace(busy), Math.max(0, job.deadline - Date.now()) + this.#opts.graceMs);
    }
  }

  #start(): Slot {
    const { path, maxStatements, maxBytes } = this.#opts;
    const worker = new Worker(new URL('./scan-worker.mjs', import.meta.url), {
      workerData: { path, maxStatements, maxBytes, nice: 0 },
      // plain JS: no TypeScript loader in the thread, so a worker starts in milliseconds
      execArgv: [],
    });
    const slot: Slot = { worker, job: null, timer: null };
    worker.unref();
    worker.on('message', (msg: Reply) => this.#reply(slot, msg));
    worker.on('error', () => this.#replace(slot));
    worker.on('exit', () => this.#replace(slot));
    this.#slots.push(slot);
    return slot;
  }

  #reply(slot: Slot, msg: Reply): void {
    if (msg.type === 'ready') return;
    const job = slot.job;
    if (job === null || job.id !== msg.id) return;
    if (slot.timer) clearTimeout(slot.timer);
    slot.job = null;
    slot.timer = null;
    slot.worker.unref();
    if (msg.type === 'rows') job.resolve(toObjects(msg.names, msg.rows));
    else if (msg.type === 'timeout') job.reject(queryTimeout(this.#opts.retryAfter));
    else job.reject(new StrongboxError('ERR_INTERNAL', undefined, undefined, { cause: new Error('scan worker failed the read') }));
    this.#dispatch();
  }

  /** A worker past its grace (or dead): drop it, fail its job, start reading the queue again. */
  #replace(slot: Slot): void {
    const at = this.#slots.indexOf(slot);
    if (at < 0) return;
    this.#slots.splice(at, 1);
    if (slot.timer) clearTimeout(slot.timer);
    slot.job?.reject(queryTimeout(this.#opts.retryAfter));
    slot.job = null;
    void slot.worker.terminate();
    if (!this.#closed) this.#dispatch();
  }
}

function toObjects(names: readonly string[], arrays: readonly unknown[][]): Record<string, unknown>[] {
  const protoColumn = names.includes('__proto__');
  return arrays.map((values) => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) {
      if (protoColumn) Object.defineProperty(row, names[i], { value: values[i], enumerable: true, writable: true, configurable: true });
      else row[names[i]] = values[i];
    }
    return row;
  });
}
