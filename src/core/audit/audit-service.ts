import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { LinkSourceSpec } from '../../db/audit/audit-link-source.ts';
import { appendChained, inAuditTransaction, type AuditHead, type AuditRow } from '../../db/audit/audit-store.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import type { AuditEvent, AuditSink, SensitiveReadEvent } from '../records/stages.ts';
import type { RequestContext } from '../caller.ts';
import { chainHash, type UnchainedRow } from './audit-chain.ts';
import { encodeInput } from './audit-encode.ts';
import type { AuditKeyring, SigningKey } from './audit-keys.ts';
import type { AuditInput } from './audit-types.ts';
import { PendingReads, type ReadBatch } from './pending-reads.ts';
import { verifyChain, type VerifyOptions, type VerifyResult } from './audit-verify.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Executor = Kysely<any>;

export interface AuditServiceOptions {
  readonly db: Database;
  readonly keys: AuditKeyring;
  /** Injectable clock for tests. */
  readonly now?: () => Date;
  /** Most read events committed together by one group commit; default 500. */
  readonly maxBatch?: number;
  /** Where `verify` workers read the chain (db/audit/audit-link-source.ts); absent: on this thread. */
  readonly links?: LinkSourceSpec | null;
}

/** Called with each durable batch's last seq (checkpoints count on it). */
export type AppendListener = (lastSeq: number, count: number) => void;

/**
 * The audit trail's writer. Every append locks the chain head inside its transaction, so the
 * chain stays linear under any number of writers and processes; the event commits or rolls
 * back with the change it records (fail-closed). Sensitive reads are group-committed: the
 * reads waiting while one batch commits form the next batch, and each read's promise
 * resolves only after its batch is durable.
 */
export class AuditService implements AuditSink {
  readonly #db: Database;
  readonly #keys: AuditKeyring;
  readonly #now: () => Date;
  readonly #links: LinkSourceSpec | null;
  readonly #reads: PendingReads;
  #flushing: Promise<void> | null = null;
  /** SQLite: a group-commit job for the waiting reads is queued and has not taken them yet. */
  #jobQueued = false;
  readonly #jobsInFlight = new Set<Promise<void>>();
  readonly #listeners = new Set<AppendListener>();
  #gates: Array<() => void> = [];

  constructor(opts: AuditServiceOptions) {
    this.#db = opts.db;
    this.#keys = opts.keys;
    this.#now = opts.now ?? (() => new Date());
    this.#reads = new PendingReads(opts.maxBatch ?? 500);
    this.#links = opts.links ?? null;
  }

  /**
   * Appends one event, inside `trx` when given (it commits or rolls back with it), else in its
   * own transaction, durable when this resolves. Throws ERR_AUDIT_UNAVAILABLE when it cannot be
   * written: the caller's operation must then fail.
   */
  async append(event: AuditInput, trx?: Executor): Promise<void> {
    await this.appendMany([event], trx);
  }

  async appendMany(events: readonly AuditInput[], trx?: Executor): Promise<void> {
    if (events.length === 0) return;
    const encoded = events.map((e) => encodeInput(e, 0, '', 0)); // validation fails before any lock
    for (const gate of this.#gates) gate(); // a sink past its bound under fail-closed refuses here
    if (trx !== undefined) {
      try {
        await this.#write(trx, encoded);
      } catch (err) {
        throw unavailable(err);
      }
      return;
    }
    await this.#appendRows(encoded);
  }

  /** AuditSink: a record write's event, inside the write's transaction. */
  async record(event: AuditEvent, trx: Executor): Promise<void> {
    await this.append({
      action: `record.${event.action}`,
      outcome: 'success',
      actor: actorOf(event.actor, event.actorRole, event.request),
      request: requestOf(event.request),
      target: { collection: event.collection, recordId: event.recordId },
      details: { fields: [...event.fields] },
    }, trx);
  }

  /**
   * AuditSink: resolves when the reads' events (one per record) are durable. Group commit: the
   * reads served while one batch commits form the next. On SQLite the batch is one job of the
   * turn's write batch; elsewhere it is its own transaction, after this turn's I/O callbacks.
   */
  recordRead(event: SensitiveReadEvent): Promise<void> {
    let rows: UnchainedRow[];
    try {
      rows = event.reads.map((r) => encodeInput({
        action: 'record.read',
        outcome: 'success',
        actor: actorOf(event.actor, event.actorRole, event.request),
        request: requestOf(event.request),
        target: { collection: event.collection, recordId: r.recordId },
        details: { fields: [...r.fields] },
      }, 0, '', 0));
    } catch (err) {
      return Promise.reject(err); // a malformed event fails its own request only
    }
    if (rows.length === 0) return Promise.resolve();
    const durable = this.#reads.push(rows);
    if (this.#db.dialect === 'sqlite') this.#scheduleJob();
    else this.#flushing ??= new Promise<void>((done) => setImmediate(() => void this.#drain().then(done)));
    return durable;
  }

  /** The checkpoint signing key's public half: all a checkpoint verifier needs. */
  publicKey(): { readonly keyId: string; readonly publicKeyPem: string } {
    const { keyId, publicKeyPem } = this.#keys.signer('audit-signing');
    return { keyId, publicKeyPem };
  }

  /** The checkpoint signer (it signs; its private key never leaves the keyring). */
  checkpointSigner(): SigningKey {
    return this.#keys.signer('audit-signing');
  }

  /** Checks the whole chain against the given checkpoints (audit-verify.ts), on worker threads when it is long. */
  verify(opts: VerifyOptions = {}): Promise<VerifyResult> {
    return verifyChain(this.#db, this.#keys, { ...opts, parallel: opts.parallel ?? { source: this.#links } });
  }

  /** A check run before every append; it throws ERR_AUDIT_UNAVAILABLE to refuse (fail-closed sinks). */
  addGate(gate: () => void): void {
    this.#gates.push(gate);
  }

  /** Checkpoints and sinks learn of durable appends made by this process. */
  onAppend(listener: AppendListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Waits for queued read events (on shutdown). */
  async flush(): Promise<void> {
    while (this.#flushing || this.#jobsInFlight.size > 0) await (this.#flushing ?? Promise.all(this.#jobsInFlight));
  }

  async #drain(): Promise<void> {
    try {
      while (this.#reads.size > 0) {
        const batch = this.#reads.take();
        try {
          for (const gate of this.#gates) gate();
          await this.#appendRows(batch.rows);
          batch.settle();
        } catch (err) {
          batch.settle(err);
        }
      }
    } finally {
      this.#flushing = null;
    }
  }

  /**
   * One write-batch job for the waiting reads (SQLite). It takes them when it runs, so reads that
   * arrive before then join it; reads that arrive later get the next job.
   */
  #scheduleJob(): void {
    if (this.#jobQueued) return;
    this.#jobQueued = true;
    let batch: ReadBatch | null = null;
    const job = this.#db.write((trx) => {
      this.#jobQueued = false;
      batch = this.#reads.take();
      if (this.#reads.size > 0) this.#scheduleJob();
      for (const gate of this.#gates) gate();
      return this.#write(trx, batch.rows);
    }).then((last) => {
      (batch as ReadBatch).settle();
      if (last !== null) this.#notify(last, (batch as ReadBatch).rows.length);
    }, (err: unknown) => {
      if (batch === null) {
        // the transaction failed before the job ran (BEGIN): the reads it was to take fail with it
        this.#jobQueued = false;
        while (this.#reads.size > 0) this.#reads.take().settle(unavailable(err));
      } else {
        (batch as ReadBatch).settle(unavailable(err));
      }
    }).finally(() => this.#jobsInFlight.delete(job));
    this.#jobsInFlight.add(job);
  }

  /** The rows in their own transaction (gates checked by the caller). */
  async #appendRows(encoded: readonly UnchainedRow[]): Promise<void> {
    let last: number | null;
    try {
      last = await inAuditTransaction(this.#db, (t) => this.#write(t, encoded));
    } catch (err) {
      throw unavailable(err);
    }
    if (last !== null) this.#notify(last, encoded.length);
  }

  /** The last seq written, or null when a PostgreSQL write batch chains and writes them at its end. */
  #write(trx: Executor, encoded: readonly UnchainedRow[]): Promise<number | null> {
    // The head lock is the last thing the transaction takes: it is held only until commit.
    return appendChained(trx, this.#db.dialect, (head) => this.#chain(head, encoded));
  }

  /** The rows chained on from the head: consecutive seqs, one time, each HMAC over the previous hash. */
  #chain(head: AuditHead, encoded: readonly UnchainedRow[]): AuditRow[] {
    const key = this.#keys.mac('audit-hmac');
    const time = this.#now().toISOString();
    let prev = head.hash;
    return encoded.map((r, i) => {
      const row = { ...r, seq: head.seq + 1 + i, time, key_version: key.version };
      prev = chainHash(key, prev, row);
      return { ...row, hash: prev };
    });
  }

  #notify(lastSeq: number, count: number): void {
    for (const l of this.#listeners) {
      try {
        l(lastSeq, count);
      } catch {
        // a listener's failure never fails the append that already committed
      }
    }
  }
}

/** The event of an applied schema migration: which collections changed and how many steps. */
export function migrationEvent(plan: { readonly steps: readonly { readonly destructive: boolean; readonly description: string }[]; readonly collections: readonly { readonly name: string }[] }): AuditInput {
  return {
    action: 'schema.migrate',
    outcome: 'success',
    details: {
      steps: plan.steps.length,
      destructive: plan.steps.filter((s) => s.destructive).length,
      changes: plan.steps.map((s) => s.description),
    },
  };
}

function actorOf(accountId: string | null, role: string | null, req: RequestContext | undefined): AuditInput['actor'] {
  return { accountId, role, tokenId: req?.tokenId ?? null };
}

function requestOf(req: RequestContext | undefined): AuditInput['request'] {
  return req === undefined ? undefined : { ip: req.ip, id: req.id };
}

function unavailable(err: unknown): unknown {
  if (err instanceof TypeError) return err; // a malformed event is a bug, reported as such
  if (err instanceof StrongboxError && err.code === 'ERR_AUDIT_UNAVAILABLE') return err;
  return new StrongboxError('ERR_AUDIT_UNAVAILABLE', undefined, undefined, { cause: err });
}
