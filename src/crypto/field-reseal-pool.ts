import { Worker } from 'node:worker_threads';
import { StrongboxError } from '../errors/strongbox-error.ts';
import { FieldDecryptError } from './field-cipher.ts';

/**
 * One page of ciphertexts to re-seal, as parallel arrays (cheap to copy to a thread): item i is
 * `stored[i]` of field `fields[field[i]]` of record `ids[row[i]]` at revision `revisions[row[i]]`.
 */
export interface ResealPage {
  readonly collection: string;
  readonly fields: readonly string[];
  readonly ids: readonly string[];
  readonly revisions: readonly string[];
  readonly stored: readonly string[];
  readonly field: readonly number[];
  readonly row: readonly number[];
}

type Reply = { ready: true } | { id: number; ok: true; sealed: string[] } | { id: number; ok: false; reason: string };

interface Pending {
  readonly resolve: (sealed: string[]) => void;
  readonly reject: (err: Error) => void;
}

export interface ResealPoolOptions {
  /** the worker script (tests swap in one that crashes) */
  readonly script?: URL;
}

/**
 * The re-encryption job's crypto thread: a page's open-with-the-old-key and seal-with-the-new-key
 * run on one worker thread, so the event loop only reads the page and writes it back (on SQLite
 * it shares the thread with request handling). The keys a page needs travel with it in a buffer
 * that is transferred (nothing stays behind on this side) and zeroed by the worker when the page
 * is done. The worker starts on first use and is unref'd while idle; a worker that dies fails
 * its pages (ERR_INTERNAL) and the next page starts a new one.
 */
export class FieldResealPool {
  readonly #script: URL;
  #worker: Worker | null = null;
  /** resolves when the current worker has loaded its modules */
  #ready: Promise<void> | null = null;
  #isReady = false;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;

  constructor(opts: ResealPoolOptions = {}) {
    this.#script = opts.script ?? new URL('./field-reseal-worker.mjs', import.meta.url);
  }

  /**
   * Whether a worker is up and has loaded its modules (about 0.2 s after the first use); when
   * not, this starts one. The job re-seals on the event loop until then, rather than wait.
   */
  get started(): boolean {
    this.#spawn();
    return this.#isReady;
  }

  /** Resolves once a worker is up (tests; the job asks `started` instead of waiting). */
  async ready(): Promise<void> {
    const worker = this.#spawn();
    worker.ref(); // waited for, so it keeps the process alive meanwhile
    try {
      await this.#ready;
    } finally {
      if (this.#pending.size === 0) worker.unref();
    }
  }

  /**
   * Re-seals every item of `page` under key `target`. `keys` holds 32 bytes per entry of
   * `versions` and is transferred: it is unusable here once this returns.
   */
  reseal(page: ResealPage, target: number, versions: readonly number[], keys: ArrayBuffer): Promise<string[]> {
    const worker = this.#spawn();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.ref(); // a page in flight keeps the process alive until it is answered
      worker.postMessage({ id, keys, versions, target, ...page }, [keys]);
    });
  }

  /** Stops the worker; pages in flight fail. The next page starts a new one. */
  async stop(): Promise<void> {
    const w = this.#worker;
    if (!w) return;
    // The exit is waited for; an idle worker is unref'd, and terminate()'s promise alone does not
    // keep the process alive until then, so a timer does.
    const keepAlive = setInterval(() => {}, 1000);
    try {
      await new Promise<void>((resolve) => {
        w.once('exit', () => resolve());
        void w.terminate();
      });
    } finally {
      clearInterval(keepAlive);
    }
  }

  #spawn(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(this.#script, { execArgv: [] });
    this.#worker = worker;
    this.#isReady = false;
    let up: () => void = () => {};
    this.#ready = new Promise<void>((resolve) => { up = resolve; });
    worker.on('message', (msg: Reply) => {
      if ('ready' in msg) {
        if (this.#worker === worker) this.#isReady = true;
        up();
      } else this.#onMessage(worker, msg);
    });
    worker.on('error', () => {}); // the exit that follows fails the pages
    worker.on('exit', (code) => {
      up(); // a worker that died before it was up ends the wait too
      this.#onExit(worker, code);
    });
    // after the listeners: adding a 'message' listener refs the worker again
    worker.unref();
    return worker;
  }

  #onMessage(worker: Worker, msg: Exclude<Reply, { ready: true }>): void {
    const p = this.#pending.get(msg.id);
    if (!p) return;
    this.#pending.delete(msg.id);
    if (this.#pending.size === 0) worker.unref();
    if (msg.ok) p.resolve(msg.sealed);
    else p.reject(new FieldDecryptError(msg.reason));
  }

  #onExit(worker: Worker, code: number): void {
    if (this.#worker === worker) {
      this.#worker = null;
      this.#isReady = false;
      this.#ready = null;
    }
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(new StrongboxError('ERR_INTERNAL', `The re-encryption worker stopped unexpectedly (exit code ${code}).`));
  }
}

/** The process-wide re-encryption thread. */
export const fieldResealPool = new FieldResealPool();
