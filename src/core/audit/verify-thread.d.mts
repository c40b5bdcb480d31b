// Types of verify-thread.mjs (plain JS, loaded by worker threads without a TypeScript loader).
import type { WorkerKey } from './audit-verify-parallel.ts';
import type { LinkSourceSpec } from '../../db/audit/audit-link-source.ts';

/** The chain from fromSeq + 1 to end in chunks of `size` events (`count` of them). */
export interface ChunkPlan {
  readonly fromSeq: number;
  readonly fromHash: string;
  readonly end: number;
  readonly size: number;
  readonly count: number;
  /** [seq, hash] that signed checkpoints expect */
  readonly expected: ReadonlyArray<readonly [number, string]>;
}

export interface SegmentResult {
  readonly anomaly: number | null;
  readonly lastSeq: number;
  readonly lastHash: string | null;
  readonly firstPrev: string | null;
  readonly checked: number;
}

export interface ThreadTask {
  readonly source: LinkSourceSpec;
  /** [key version, key] for every version the chain may name */
  readonly keys: ReadonlyArray<readonly [number, WorkerKey]>;
  readonly plan: ChunkPlan;
  /** over a SharedArrayBuffer: [next chunk to claim, first chunk with an anomaly] */
  readonly control: Int32Array;
}

export function chunkAt(plan: ChunkPlan, i: number): { lo: number; hi: number; prevHash: string | null };

export function runVerifyThread(task: ThreadTask, onResult: (i: number, result: SegmentResult) => void, between?: () => Promise<void>): Promise<void>;
