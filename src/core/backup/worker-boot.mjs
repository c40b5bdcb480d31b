// Starts a TypeScript module on a worker thread: on Node 20 the tsx loader of the main thread
// does not reach worker threads, so each registers it before importing its entry module. A
// thread that is to run below the event loop (workerData.nice) is lowered first, so loading
// the loader and the modules runs at that priority too (Linux: per-thread nice; never raised).
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { workerData } from 'node:worker_threads';

if (process.platform === 'linux' && Number.isSafeInteger(workerData?.nice) && workerData.nice > 0) {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isSafeInteger(tid) && tid > 0 && getPriority(tid) < workerData.nice) setPriority(tid, workerData.nice);
  } catch {
    // best effort: the entry lowers itself as well
  }
}
const { register } = await import('tsx/esm/api');
register();
await import(workerData.entry);
