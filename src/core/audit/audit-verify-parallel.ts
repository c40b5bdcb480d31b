import { Worker } from 'node:worker_threads';
import type { LinkSourceSpec } from '../../db/audit/audit-link-source.ts';
import type { MacKey } from './audit-keys.ts';
import { runVerifyThread, type ChunkPlan, type SegmentResult, type ThreadTask } from './verify-thread.mjs';

/** A secret key as a worker receives it (a KeyObject; this layer never opens it). */
export type WorkerKey = ReturnType<NonNullable<MacKey['unsafeKeyObject']>>;

export interface LinkScan {
  readonly source: LinkSourceSpec;
  /** key version → key, every version the chain may name */
  readonly keys: ReadonlyMap<number, WorkerKey>;
  /** Worker threads besides this one (which checks chunks too); 0: this thread alone. */
  readonly workers: number;
  /** Events per chunk; default chunkSize(). */
  readonly chunk?: number;
  /** Whether this thread checks chunks too; default true (tests turn it off to give every chunk to the workers). */
  readonly onThisThread?: boolean;
}

export interface ScanResult {
  /** The first seq that did not check (null: every link from..end did). */
  readonly anomaly: number | null;
  /** The last link that checked, and its stored hash (`from` when none did). */
  readonly lastSeq: number;
  readonly lastHash: string;
  readonly checked: number;
}

const WORKER = new URL('./audit-verify-worker.mjs', import.meta.url);
const MIN_CHUNK = 1000;
const MAX_CHUNK = 10_000;
const MAX_CHUNKS = 2 ** 30;

/**
 * Events per chunk: about eight chunks per thread, so a thread slowed by a busy machine (or by its
 * start, ~50 ms for a worker) checks fewer and none waits long for the last; at most 10,000 events
 * (~40 ms of one core), at least 1,000 (a chunk's own cost, a message and a query, stays negligible).
 */
export function chunkSize(events: number, threads: number): number {
  return Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, Math.ceil(events / (threads * 8))));
}

/** Lets this thread's queued events (worker messages, a progress bar) run. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Checks links from.seq+1 … end in contiguous chunks, on worker threads and on this thread, each
 * thread with its own read-only connection, claiming chunks from a shared counter: in each chunk,
 * consecutive seqs, every HMAC over the previous stored hash, and the checkpoint hashes. The joins
 * are checked here: a chunk's first link was checked against the hash before it as that chunk
 * read it, which must be the hash the chunk before ended on. Stops at the first anomaly (no later
 * chunk is claimed, the workers are stopped), which the caller re-examines with the exact,
 * sequential check. Rejects if any thread fails (a read error).
 */
export async function scanLinks(scan: LinkScan, from: { seq: number; hash: string }, end: number,
  expected: ReadonlyMap<number, string>, onProgress?: (n: number) => void): Promise<ScanResult> {
  const n = end - from.seq;
  if (n <= 0) return { anomaly: null, lastSeq: from.seq, lastHash: from.hash, checked: 0 };
  const size = Math.max(1, scan.chunk ?? chunkSize(n, scan.workers + 1));
  const count = Math.ceil(n / size);
  // an event forged at an absurd seq past the head: chunk numbers must fit the shared counter
  if (count > MAX_CHUNKS) throw new Error('too many chunks for the fast check');
  const plan: ChunkPlan = { fromSeq: from.seq, fromHash: from.hash, end, size, count, expected: [...expected] };
  // [0]: the next chunk to claim; [1]: the first chunk with an anomaly (count while none), -1 to stop all
  const control = new Int32Array(new SharedArrayBuffer(8));
  control[1] = count;
  const task: ThreadTask = { source: scan.source, keys: [...scan.keys], plan, control };
  const results: Array<SegmentResult | undefined> = new Array(count);
  let settled = 0; // chunks 0..settled-1 all have results
  const failure: { error?: unknown; failed: boolean } = { failed: false };
  let wake: () => void = () => undefined;
  const finished = (): boolean => failure.failed || settled >= Math.min(count, Atomics.load(control, 1) + 1);
  let closed = false; // a worker's message that arrives after the scan has returned is dropped
  const onResult = (i: number, r: SegmentResult): void => {
    if (closed || results[i] !== undefined) return;
    results[i] = r;
    onProgress?.(r.checked);
    while (settled < count && results[settled] !== undefined) settled++;
    if (finished()) wake();
  };
  const fail = (error: unknown): void => {
    if (!failure.failed) Object.assign(failure, { failed: true, error });
    Atomics.store(control, 1, -1);
    wake();
  };

  const here = scan.onThisThread ?? true;
  const workers = Array.from({ length: here ? Math.min(scan.workers, count - 1) : Math.max(1, Math.min(scan.workers, count)) }, () => {
    // plain JS: no TypeScript loader inherited from this process's flags
    const worker = new Worker(WORKER, { execArgv: [], workerData: task });
    worker.on('message', (m: { type: string; i?: number; result?: SegmentResult }) => {
      if (m.type === 'chunk' && m.result !== undefined && m.i !== undefined) onResult(m.i, m.result);
      else if (m.type === 'failed') fail(new Error('an audit verify worker could not read its chunk'));
    });
    worker.once('error', fail);
    worker.once('exit', (code) => { if (code !== 0 && !finished()) fail(new Error(`an audit verify worker exited with code ${code}`)); });
    return worker;
  });
  try {
    if (here) await runVerifyThread(task, onResult, turn).catch(fail);
    if (!finished()) await new Promise<void>((resolve) => { wake = resolve; });
  } finally {
    closed = true;
    // past an anomaly or a failure the workers' chunks are not needed; otherwise they have none left
    if (failure.failed || Atomics.load(control, 1) < count) for (const w of workers) void w.terminate();
  }
  if (failure.failed) throw failure.error;

  let lastSeq = from.seq;
  let lastHash = from.hash;
  let checked = 0;
  for (let i = 0; i < count; i++) {
    const seg = results[i]!;
    if (seg.firstPrev !== lastHash) return { anomaly: lastSeq + 1, lastSeq, lastHash, checked };
    checked += seg.checked;
    if (seg.anomaly !== null || seg.lastHash === null) return { anomaly: seg.anomaly ?? seg.lastSeq + 1, lastSeq: seg.lastSeq, lastHash: seg.lastHash ?? lastHash, checked };
    lastSeq = seg.lastSeq;
    lastHash = seg.lastHash;
  }
  return { anomaly: null, lastSeq, lastHash, checked };
}
