import { Worker } from 'node:worker_threads';

export const CHECKPOINT_INTERVAL_MS = 1000; // 1 s between background checkpoints
/**
 * The main connection checkpoints by itself only past this many WAL pages (~40 MiB with 4 KiB
 * pages): a safety net if the background thread falls behind, instead of SQLite's default 1,000.
 */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;

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
  let stopped: Promise<void> | null = null;
  return {
    stop() {
      stopped ??= new Promise<void>((resolve) => {
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
