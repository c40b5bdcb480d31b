import { Worker } from 'node:worker_threads';
import type { LinkSourceSpec } from '../../db/audit/audit-link-source.ts';
import type { MacKey } from './audit-keys.ts';

/** A secret key as a worker receives it (a KeyObject; this layer never opens it). */
export type WorkerKey = ReturnType<NonNullable<MacKey['unsafeKeyObject']>>;

export interface LinkScan {
  readonly source: LinkSourceSpec;
  /** key version → key, every version the chain may name */
  readonly keys: ReadonlyMap<number, WorkerKey>;
  readonly workers: number;
}

export interface ScanResult {
  /** The first seq that did not check (null: every link from..end did). */
  readonly anomaly: number | null;
  /** The last link that checked, and its stored hash (`from` when none did). */
  readonly lastSeq: number;
  readonly lastHash: string;
  readonly checked: number;
}

interface SegmentResult {
  readonly anomaly: number | null;
  readonly lastSeq: number;
  readonly lastHash: string | null;
  readonly firstPrev: string | null;
  readonly checked: number;
}

const WORKER = new URL('./audit-verify-worker.mjs', import.meta.url);

/**
 * Checks links from.seq+1 … end on worker threads, each a contiguous segment with its own
 * read-only connection: in each, consecutive seqs, every HMAC over the previous stored hash, and
 * the checkpoint hashes. The joins are checked here: a segment's first link was checked against
 * the hash before it as that segment read it, which must be the hash the segment before ended on.
 * Stops at the first anomaly (the workers of later segments are stopped), which the caller
 * re-examines with the exact, sequential check. Rejects if a worker fails (a read error).
 */
export async function scanLinks(scan: LinkScan, from: { seq: number; hash: string }, end: number,
  expected: ReadonlyMap<number, string>, onProgress?: (n: number) => void): Promise<ScanResult> {
  const n = end - from.seq;
  if (n <= 0) return { anomaly: null, lastSeq: from.seq, lastHash: from.hash, checked: 0 };
  const count = Math.max(1, Math.min(scan.workers, n));
  const size = Math.ceil(n / count);
  const segments = Array.from({ length: count }, (_, i) => {
    const lo = from.seq + 1 + i * size;
    return { lo, hi: Math.min(end, lo + size - 1), prevHash: i === 0 ? from.hash : null };
  }).filter((s) => s.lo <= s.hi);
  const keys = [...scan.keys];
  const workers: Worker[] = [];
  const stopAfter = (i: number): void => {
    for (let j = i + 1; j < workers.length; j++) void workers[j].terminate();
  };
  const runs = segments.map((segment, i) => new Promise<SegmentResult | null>((resolve, reject) => {
    const inRange = [...expected].filter(([seq]) => seq >= segment.lo && seq <= segment.hi);
    // plain JS: no TypeScript loader inherited from this process's flags
    const worker = new Worker(WORKER, { execArgv: [], workerData: { source: scan.source, keys, segment: { ...segment, expected: inRange } } });
    workers.push(worker);
    let settled = false;
    worker.on('message', (m: { type: string; n?: number; result?: SegmentResult }) => {
      if (m.type === 'progress') onProgress?.(m.n ?? 0);
      else if (m.type === 'done' && m.result) {
        settled = true;
        if (m.result.anomaly !== null) stopAfter(i);
        resolve(m.result);
      } else if (m.type === 'failed') {
        settled = true;
        reject(new Error('an audit verify worker could not read its segment'));
      }
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    // terminated because a segment before it failed: its result is not needed
    worker.once('exit', () => { if (!settled) resolve(null); });
  }));
  const results = await Promise.allSettled(runs);
  let lastSeq = from.seq;
  let lastHash = from.hash;
  let checked = 0;
  for (let i = 0; i < segments.length; i++) {
    const r = results[i];
    if (r.status === 'rejected') throw r.reason;
    const seg = r.value;
    if (seg === null || seg.firstPrev !== lastHash) return { anomaly: segments[i].lo, lastSeq, lastHash, checked };
    checked += seg.checked;
    if (seg.anomaly !== null || seg.lastHash === null) return { anomaly: seg.anomaly ?? seg.lastSeq + 1, lastSeq: seg.lastSeq, lastHash: seg.lastHash ?? lastHash, checked };
    lastSeq = seg.lastSeq;
    lastHash = seg.lastHash;
  }
  return { anomaly: null, lastSeq, lastHash, checked };
}
