import type { Database } from '../../db/database.ts';
import { readAuditHead } from '../../db/audit/audit-store.ts';
import type { AuditConfig } from '../../config/config.ts';
import type { AuditKeyring } from './audit-keys.ts';
import type { AuditService } from './audit-service.ts';
import { originFor, type Checkpoint } from './checkpoint.ts';
import { exportPublicKey, writeCheckpoint } from './checkpoint-folder.ts';

export interface CheckpointerOptions {
  readonly db: Database;
  readonly audit: AuditService;
  readonly keys: AuditKeyring;
  readonly config: AuditConfig;
  readonly now?: () => Date;
  /** Where each signed note also goes (the configured sinks). */
  readonly publish?: (note: Checkpoint) => void;
  /** Where failures are reported (the server log); a failure is retried on the next tick. */
  readonly onError?: (err: unknown) => void;
  /** Head polls, ms; default 1000. */
  readonly tickMs?: number;
}

/**
 * Signs a checkpoint of the chain head every `checkpointEvery` events or `checkpointInterval`
 * seconds (whichever comes first, and only when there are new events) into the checkpoint
 * folder, outside the database. It polls the head, so events appended by other processes and
 * inside other transactions count too.
 */
export class Checkpointer {
  readonly #o: CheckpointerOptions;
  readonly #now: () => Date;
  #last: { size: number; at: number } | null = null;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #unsubscribe: (() => void) | null = null;
  #sinceLast = 0;

  constructor(opts: CheckpointerOptions) {
    this.#o = opts;
    this.#now = opts.now ?? (() => new Date());
  }

  start(): void {
    exportPublicKey(this.#o.config.checkpoints, this.#o.keys.signer('audit-signing'));
    this.#timer = setInterval(() => void this.tick(), this.#o.tickMs ?? 1000);
    this.#timer.unref();
    this.#unsubscribe = this.#o.audit.onAppend((_seq, n) => {
      this.#sinceLast += n;
      if (this.#sinceLast >= this.#o.config.checkpointEvery) void this.tick();
    });
    void this.tick();
  }

  /** Writes a checkpoint now if one is due; `force` writes one whenever there are new events. */
  tick(force = false): Promise<void> {
    this.#running ??= this.#check(force).catch((err) => this.#o.onError?.(err)).finally(() => { this.#running = null; });
    return this.#running;
  }

  async #check(force: boolean): Promise<void> {
    const head = await readAuditHead(this.#o.db.kysely);
    if (head.seq === 0 || head.seq === this.#last?.size) return;
    const now = this.#now();
    const due = force || this.#last === null
      || head.seq - this.#last.size >= this.#o.config.checkpointEvery
      || now.getTime() - this.#last.at >= this.#o.config.checkpointInterval * 1000;
    if (!due) return;
    const cp: Checkpoint = { origin: originFor(head.logId), size: head.seq, hash: head.hash, time: now.toISOString() };
    writeCheckpoint(this.#o.config.checkpoints, cp, this.#o.keys.signer('audit-signing'));
    this.#last = { size: head.seq, at: now.getTime() };
    this.#sinceLast = 0;
    this.#o.publish?.(cp);
  }

  /** Stops and writes a last checkpoint of what is there. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#unsubscribe?.();
    if (this.#running) await this.#running;
    await this.tick(true);
  }
}
