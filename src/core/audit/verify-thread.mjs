// What each thread of the fast verify runs (audit-verify-parallel.ts): the worker threads
// (audit-verify-worker.mjs) and the main thread alike. Plain JS so a worker thread loads it
// without a TypeScript loader.
import { chainLinkChecker } from '../../crypto/chain-link-check.mjs';
import { openLinkSource } from '../../db/audit/audit-link-pages.mjs';
import { verifySegment } from './verify-segment.mjs';

/** Chunk i of the plan: { lo, hi, prevHash } (prevHash only for the first; the others read it). */
export function chunkAt(plan, i) {
  const lo = plan.fromSeq + 1 + i * plan.size;
  return { lo, hi: Math.min(plan.end, lo + plan.size - 1), prevHash: i === 0 ? plan.fromHash : null };
}

/** Lowers the shared limit to chunk i: chunks after the first anomaly are not needed. */
function lowerLimit(control, i) {
  for (;;) {
    const limit = Atomics.load(control, 1);
    if (i >= limit || Atomics.compareExchange(control, 1, limit, i) === limit) return;
  }
}

/**
 * Opens its own read-only connection and checks chunks of the plan until none is left: each
 * thread claims the next chunk from the shared counter (control[0]), so a thread that a busy
 * machine slows down simply checks fewer. control[1] is the first chunk with an anomaly (the plan's
 * count while there is none): no chunk past it is claimed. onResult(i, result) after each chunk;
 * `between()` is awaited between chunks (the main thread lets its messages in there).
 */
export async function runVerifyThread({ source, keys, plan, control }, onResult, between) {
  const checkers = new Map(keys.map(([version, key]) => [version, chainLinkChecker(key)]));
  const expected = new Map(plan.expected);
  const links = await openLinkSource(source);
  try {
    for (;;) {
      const i = Atomics.add(control, 0, 1);
      if (i >= Atomics.load(control, 1)) return;
      const result = await verifySegment(links, checkers, chunkAt(plan, i), expected);
      if (result.anomaly !== null) lowerLimit(control, i);
      onResult(i, result);
      if (between) await between();
    }
  } finally {
    await links.close();
  }
}
