// A verify worker (audit-verify-parallel.ts): checks chunks of the chain on its own read-only
// connection and thread (verify-thread.mjs). Plain JS so it loads without a TypeScript loader.
//
// In (workerData): { source, keys: [[version, KeyObject]…], plan, control }. Out: { type: 'chunk',
// i, result } per chunk checked, or { type: 'failed' } (no library message crosses).
import { parentPort, workerData } from 'node:worker_threads';
import { runVerifyThread } from './verify-thread.mjs';

if (!parentPort) throw new Error('audit-verify-worker.mjs runs only as a worker thread');
const port = parentPort;

try {
  await runVerifyThread(workerData, (i, result) => port.postMessage({ type: 'chunk', i, result }));
} catch {
  port.postMessage({ type: 'failed' });
}
