import { availableParallelism } from 'node:os';
import type { Database } from '../../db/database.ts';
import type { LinkSourceSpec } from '../../db/audit/audit-link-source.ts';
import { readAuditExtent, readAuditRows } from '../../db/audit/audit-store.ts';
import { chainMessage } from './audit-chain.ts';
import type { AuditKeyring, MacKey } from './audit-keys.ts';
import { scanLinks, type LinkScan, type WorkerKey } from './audit-verify-parallel.ts';
import { originFor, type Checkpoint } from './checkpoint.ts';

/** Below this many events the chain is checked by the exact check alone (a worker's start is not worth it). */
export const PARALLEL_MIN_EVENTS = 20_000;
const MAX_WORKERS = 3;
const HASH_HEX = /^[0-9a-f]{64}$/;

export interface ParallelVerify {
  /** Where the fast check reads (a read-only connection per thread); null: the exact check alone. */
  readonly source: LinkSourceSpec | null;
  /** Worker threads besides this one (which checks chunks too); default the machine's cores less one (at most 3). */
  readonly workers?: number;
  /** Events per chunk a thread claims; default chunkSize() in audit-verify-parallel.ts. */
  readonly chunk?: number;
  /** Whether this thread checks chunks too; default true. */
  readonly onThisThread?: boolean;
  /** Fewer events than this take the exact check alone; default PARALLEL_MIN_EVENTS. */
  readonly minEvents?: number;
}

export interface VerifyOptions {
  /** Signed checkpoints held outside the database (already signature-checked). */
  readonly checkpoints?: readonly Checkpoint[];
  /** Called after each batch with events checked so far and the total expected. */
  readonly onProgress?: (checked: number, total: number) => void;
  /** Events read per query; default 10,000. */
  readonly batch?: number;
  /** Check the links on worker threads and this one first (audit-verify-parallel.ts). */
  readonly parallel?: ParallelVerify;
}

export interface VerifyResult {
  readonly ok: boolean;
  /** Events whose HMAC was checked. */
  readonly checked: number;
  /** Of those, how many the fast parallel check passed (worker threads and this thread's chunks; 0 when the exact check did all). */
  readonly viaWorkers: number;
  /** The head as the database states it. */
  readonly headSeq: number;
  /** The first sequence number that is wrong (or missing); null when ok. */
  readonly firstBadSeq: number | null;
  readonly problem: string | null;
  /** The newest checkpoint the chain was compared with. */
  readonly checkpoint: Checkpoint | null;
}

/**
 * Checks the whole chain: consecutive sequence numbers from the base, every HMAC over the
 * previous hash, the head row, and every external checkpoint (its size must be reached and its
 * hash found at that seq: a truncated tail or a database rolled back to an older copy fails
 * here). A pruned chain's base must be attested by a signed prune checkpoint.
 */
export async function verifyChain(db: Database, keys: AuditKeyring, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const { head, maxSeq } = await readAuditExtent(db.kysely);
  // every stored event up to here is checked (one past the head is a forged one); later appends are not
  const end = Math.max(head.seq, maxSeq);
  const origin = originFor(head.logId);
  const cps = (opts.checkpoints ?? []).filter((c) => c.origin === origin);
  const foreign = (opts.checkpoints ?? []).find((c) => c.origin !== origin);
  const latest = cps.reduce<Checkpoint | null>((m, c) => (m === null || c.size > m.size ? c : m), null);
  let checked = 0;
  let viaWorkers = 0;
  const fail = (seq: number, problem: string): VerifyResult =>
    ({ ok: false, checked, viaWorkers, headSeq: head.seq, firstBadSeq: seq, problem, checkpoint: latest });
  if (foreign) return fail(head.baseSeq + 1, `a checkpoint belongs to another trail (${foreign.origin})`);

  if (head.baseSeq > 0) {
    const attested = cps.some((c) => c.pruned && c.pruned.seq === head.baseSeq && c.pruned.hash === head.baseHash);
    if (!attested) return fail(head.baseSeq + 1, `the chain starts after seq ${head.baseSeq} but no signed prune checkpoint says so`);
  }
  // seq → hash that a checkpoint expects there
  const expected = new Map<number, string>();
  for (const c of cps) {
    if (c.size > head.baseSeq) {
      const seen = expected.get(c.size);
      if (seen !== undefined && seen !== c.hash) return fail(c.size, `two checkpoints disagree at seq ${c.size}`);
      expected.set(c.size, c.hash);
    }
  }

  const total = end - head.baseSeq;
  const batch = opts.batch ?? 10_000;
  const macs = new Map<number, MacKey>();
  let prevSeq = head.baseSeq;
  let prevHash = head.baseHash;
  // Fast path: the links in chunks on worker threads and this one. Where they all check, so does the chain up to `end`;
  // where one does not, the exact check below starts just before it and says what is wrong.
  const scan = parallelScan(keys, opts.parallel, total);
  if (scan !== null) {
    let done = 0;
    // a worker that cannot read (its own connection refused, say) leaves the whole chain to the exact check
    const r = await scanLinks(scan, { seq: prevSeq, hash: prevHash }, end, expected, (n) => opts.onProgress?.((done += n), total)).catch(() => null);
    if (r !== null) {
      prevSeq = r.lastSeq;
      prevHash = r.lastHash;
      checked = viaWorkers = r.checked;
      if (r.anomaly === null) opts.onProgress?.(checked, total);
    }
  }
  for (;;) {
    const rows = prevSeq >= end ? [] : await readAuditRows(db.kysely, prevSeq, batch, end);
    if (rows.length === 0) break;
    for (const r of rows) {
      if (r.seq !== prevSeq + 1) {
        return fail(prevSeq + 1, r.seq > prevSeq + 1 ? `event ${prevSeq + 1} is missing` : `event ${r.seq} is out of order`);
      }
      let mac = macs.get(r.key_version);
      if (mac === undefined) {
        try {
          mac = keys.mac('audit-hmac', r.key_version);
        } catch {
          return fail(r.seq, `no audit key version ${r.key_version}`);
        }
        macs.set(r.key_version, mac);
      }
      // the stored hash must be exactly the lower-case hex of the HMAC (hex is read leniently otherwise)
      if (typeof r.hash !== 'string' || !HASH_HEX.test(r.hash) || !mac.verify(chainMessage(prevHash, r), Buffer.from(r.hash, 'hex'))) {
        return fail(r.seq, `event ${r.seq} does not match its hash (modified, forged or moved)`);
      }
      const want = expected.get(r.seq);
      if (want !== undefined && want !== r.hash) {
        return fail(r.seq, `event ${r.seq} differs from the signed checkpoint (the trail was rewritten or rolled back)`);
      }
      checked++;
      prevSeq = r.seq;
      prevHash = r.hash;
    }
    opts.onProgress?.(checked, total);
    if (rows.length < batch) break;
  }
  if (latest !== null && latest.size > prevSeq) {
    return fail(prevSeq + 1, `the signed checkpoint has ${latest.size} events but the trail ends at ${prevSeq} (truncated or rolled back)`);
  }
  if (prevSeq !== head.seq || prevHash !== head.hash) {
    return fail(prevSeq === head.seq ? head.seq : Math.min(prevSeq, head.seq) + 1, `the trail ends at ${prevSeq} but its head says ${head.seq} (truncated)`);
  }
  return { ok: true, checked, viaWorkers, headSeq: head.seq, firstBadSeq: null, problem: null, checkpoint: latest };
}

/** The worker scan's settings, or null to check on this thread. */
function parallelScan(keys: AuditKeyring, p: ParallelVerify | undefined, total: number): LinkScan | null {
  if (p === undefined || p.source === null || total < (p.minEvents ?? PARALLEL_MIN_EVENTS)) return null;
  const workers = p.workers ?? Math.min(MAX_WORKERS, availableParallelism() - 1);
  const current = keys.mac('audit-hmac');
  const versions = new Map<number, WorkerKey>();
  for (let v = 1; v <= current.version; v++) {
    let mac: MacKey;
    try {
      mac = v === current.version ? current : keys.mac('audit-hmac', v);
    } catch {
      continue; // a retired version: an event naming it fails below, with its reason
    }
    const key = mac.unsafeKeyObject?.();
    if (key === undefined) return null;
    versions.set(v, key);
  }
  return { source: p.source, keys: versions, workers, chunk: p.chunk, onThisThread: p.onThisThread };
}
