import { availableParallelism } from 'node:os';
import { debuglog } from 'node:util';
import { Worker } from 'node:worker_threads';
import { StrongboxError } from '../errors/strongbox-error.ts';
import { WorkQueue } from './work-queue.ts';

/** A worker's thread: Node's threadId, and the OS thread id and nice value it reported (null where unknown). */
export interface WorkerThreadInfo {
  readonly threadId: number;
  readonly tid: number | null;
  readonly nice: number | null;
}

type PasswordJob =
  | { readonly op: 'hash'; readonly password: string; readonly options: object }
  | { readonly op: 'verify'; readonly encoded: string; readonly password: string; readonly options?: object };

type Reply =
  | { type: 'ready'; tid: number | null; nice: number | null; note: string | null }
  | { type: 'done'; id: number; value: string | boolean }
  | { type: 'failed'; id: number };

interface Slot {
  readonly worker: Worker;
  info: WorkerThreadInfo;
  job: { id: number; resolve: (v: string | boolean) => void; reject: (e: Error) => void } | null;
}

export interface PoolOptions {
  readonly size?: number;
  /** jobs that may wait for a worker before callers get ERR_UNAVAILABLE */
  readonly maxWaiting?: number;
  /** the worker script (tests swap in one that can crash) */
  readonly script?: URL;
}

const debug = debuglog('strongbox');
let noted = false; // the priority note is logged once per process, not per worker

/**
 * argon2 on dedicated worker threads at the lowest OS priority (see password-worker.mjs), so
 * hashing neither runs on the event-loop thread nor takes CPU from it. One core is left to the
 * event loop. Workers start on demand, are unref'd while idle (an idle pool never keeps the
 * process alive), and a worker that dies is dropped, its job rejected, and a new one started
 * for the next job.
 */
export class PasswordWorkerPool {
  readonly #size: number;
  readonly #queue: WorkQueue;
  readonly #script: URL;
  readonly #slots: Slot[] = [];
  #nextId = 1;
  #closed = false;

  constructor(opts: PoolOptions = {}) {
    this.#size = Math.max(1, opts.size ?? availableParallelism() - 1);
    // The queue lets at most `size` jobs in, so a free or startable worker always exists.
    this.#queue = new WorkQueue(this.#size, opts.maxWaiting ?? 256);
    this.#script = opts.script ?? new URL('./password-worker.mjs', import.meta.url);
  }

  /** An encoded argon2 hash made with `options` (the @node-rs/argon2 Options). */
  async hash(password: string, options: object): Promise<string> {
    return String(await this.#queue.run(() => this.#dispatch({ op: 'hash', password, options })));
  }

  /** False for a wrong password and for a corrupt or foreign `encoded`. */
  async verify(encoded: string, password: string, options?: object): Promise<boolean> {
    return (await this.#queue.run(() => this.#dispatch({ op: 'verify', encoded, password, options }))) === true;
  }

  /** The live workers' threads (diagnostics and tests). */
  threads(): WorkerThreadInfo[] {
    return this.#slots.map((s) => s.info);
  }

  /** Stops every worker; running jobs reject with ERR_UNAVAILABLE. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }

  #dispatch(job: PasswordJob): Promise<string | boolean> {
    if (this.#closed) return Promise.reject(new StrongboxError('ERR_UNAVAILABLE'));
    const slot = this.#slots.find((s) => s.job === null) ?? this.#spawn();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      slot.job = { id, resolve, reject };
      slot.worker.ref(); // a running job keeps the process alive until it answers
      slot.worker.postMessage({ id, ...job });
    });
  }

  #spawn(): Slot {
    // No execArgv: the script is plain JS, and a TypeScript loader inherited from the parent
    // would only slow the worker's start.
    const worker = new Worker(this.#script, { execArgv: [] });
    const slot: Slot = { worker, info: { threadId: worker.threadId, tid: null, nice: null }, job: null };
    this.#slots.push(slot);
    worker.on('message', (msg: Reply) => this.#onMessage(slot, msg));
    worker.on('error', (err) => debug('password worker failed: %s', err.message));
    worker.on('exit', (code) => this.#onExit(slot, code));
    return slot;
  }

  #onMessage(slot: Slot, msg: Reply): void {
    if (msg.type === 'ready') {
      slot.info = { threadId: slot.info.threadId, tid: msg.tid, nice: msg.nice };
      if (msg.note && !noted) {
        noted = true;
        debug('password workers run at normal priority: %s', msg.note);
      }
      return;
    }
    const job = slot.job;
    if (!job || job.id !== msg.id) return;
    slot.job = null;
    slot.worker.unref();
    if (msg.type === 'done') job.resolve(msg.value);
    else job.reject(new StrongboxError('ERR_INTERNAL', 'Password hashing failed.'));
  }

  #onExit(slot: Slot, code: number): void {
    // Dropped first, so the job the rejection lets in gets a fresh worker.
    const at = this.#slots.indexOf(slot);
    if (at >= 0) this.#slots.splice(at, 1);
    const job = slot.job;
    slot.job = null;
    if (!job) return;
    debug('password worker exited with code %d during a job', code);
    job.reject(this.#closed
      ? new StrongboxError('ERR_UNAVAILABLE')
      : new StrongboxError('ERR_INTERNAL', 'The password worker stopped unexpectedly.'));
  }
}

/** The process-wide pool behind src/crypto/password.ts. */
export const passwordPool = new PasswordWorkerPool();
