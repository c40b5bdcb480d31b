// Starts a TypeScript module on a worker thread: on Node 20 the tsx loader of the main thread
// does not reach worker threads, so each registers it before importing its entry module.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
