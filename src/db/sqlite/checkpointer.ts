import { Worker } from 'node:worker_threads';

export const CHECKPOINT_INTERVAL_MS = 250; // between background checkpoints
/**
 * The main connection checkpoints by itself past this many WAL pages (~8 MiB with 4 KiB pages).
 * Under a steady stream of writes the background thread copies the pages but cannot rewind the
 * WAL (that needs a moment with every page copied and no write in between), so the main
 * connection still checkpoints now and then; each time costs two fsyncs plus the pages the
 * background thread has not copied yet. Measured with sustained creates: 10,000 pages gave
 * ~30 ms event-loop stalls (p99 ~26 ms), 2,000 with a 250 ms interval ~12 ms (p99 ~12 ms).
 */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 2_000;

/** A background WAL checkpointer for one SQLite file; stop() waits for its connection to close. */
export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(path: string, intervalMs = CHECKPOINT_INTERVAL_MS): Checkpointer {
  const worker = new Worker(new URL('./checkpoint-worker.mjs', import.meta.url), {
    workerData: { path, intervalMs },
    execArgv: [],
  });
  worker.unref(); // never what keeps a process alive
  // A failing checkpointer must not take the server down: the fallback threshold still bounds the WAL.
  worker.on('error', () => {});
  // A worker that already ended (it failed) must not leave stop() waiting for an exit event that came before.
  let exited = false;
  worker.once('exit', () => { exited = true; });
  let stopped: Promise<void> | null = null;
  return {
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        if (exited) {
          resolve();
          return;
        }
        worker.once('exit', () => resolve());
        worker.ref(); // closing is awaited, so the process waits for it
        worker.postMessage('close');
        // a worker stuck in a checkpoint is ended rather than waited on forever
        setTimeout(() => void worker.terminate(), 2000).unref();
      });
      return stopped;
    },
  };
}
