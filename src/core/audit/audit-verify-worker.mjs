// A verify worker (audit-verify-parallel.ts): checks one segment of the chain on its own read-only
// connection and thread. Plain JS so it loads without a TypeScript loader.
//
// In (workerData): { source, keys: [[version, KeyObject]…], segment }. Out: { type: 'progress', n }
// messages, then { type: 'done', result } or { type: 'failed' } (no library message crosses).
import { parentPort, workerData } from 'node:worker_threads';
import { chainLinkChecker } from '../../crypto/chain-link-check.mjs';
import { openLinkSource } from '../../db/audit/audit-link-pages.mjs';
import { verifySegment } from './verify-segment.mjs';

if (!parentPort) throw new Error('audit-verify-worker.mjs runs only as a worker thread');
const port = parentPort;
const { source, keys, segment } = workerData;

let links = null;
try {
  const checkers = new Map(keys.map(([version, key]) => [version, chainLinkChecker(key)]));
  links = await openLinkSource(source);
  const result = await verifySegment(links, checkers, segment, (n) => port.postMessage({ type: 'progress', n }));
  port.postMessage({ type: 'done', result });
} catch {
  port.postMessage({ type: 'failed' });
} finally {
  await links?.close();
}
