import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { connect, type TLSSocket } from 'node:tls';
import type { SyslogConfig } from '../../config/config.ts';
import type { Database } from '../../db/database.ts';
import { readAuditHead, readAuditRows } from '../../db/audit/audit-store.ts';
import { readForwardCursor, saveForwardCursor } from '../../db/audit/audit-forward-store.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { toEntry } from './audit-entries.ts';
import { SOLE_LEADER, type SinkLeadership } from './sink-leadership.ts';
import { syslogCheckpoint, syslogEvent } from './syslog-format.ts';

export interface SyslogForwarderOptions {
  readonly db: Database;
  readonly config: SyslogConfig;
  /** Which instance forwards (PostgreSQL: an advisory lock); default: this one always. */
  readonly leadership?: SinkLeadership;
  readonly onError?: (err: unknown) => void;
  /** ms between head polls; default 200 */
  readonly pollMs?: number;
  /** ms between reconnect attempts, and between a follower's bids for leadership; default 1000 */
  readonly retryMs?: number;
  /** Recorded with the cursor; default host:pid. */
  readonly instance?: string;
}

export const SYSLOG_SINK = 'syslog';
const BATCH = 500;
const RESEND_MS = 5000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/**
 * Forwards the trail to a syslog receiver over TLS (RFC 5424 messages, RFC 5425 framing), in
 * seq order, from one instance at a time (the leader; the others follow and take over when it
 * stops). The trail itself is the on-disk buffer: events are already durable in the database,
 * and the forwarder keeps only a cursor, in the database (`_sb_audit_forward`), so a new leader
 * resumes where the last one stopped. While the receiver is down the backlog grows; at
 * `bufferLimit` events the `whenFull` policy applies on every instance: `fail-closed` makes every
 * append fail (ERR_AUDIT_UNAVAILABLE) until the backlog drains, `fail-open` lets appends go on.
 * TCP has no acknowledgement: what was handed over in the last RESEND_MS before a connection
 * broke, or before the leader stopped, is sent again (a receiver may see an event twice, never a
 * gap; the seq in each message tells repeats apart).
 */
export class SyslogForwarder {
  readonly #o: SyslogForwarderOptions;
  readonly #leadership: SinkLeadership;
  readonly #instance: string;
  #cursor = -1;
  #head = 0;
  #leading = false;
  #saved: { sentSeq: number; resendFrom: number } | null = null;
  #socket: TLSSocket | null = null;
  #stopped = false;
  #loop: Promise<void> | null = null;
  #pending: Buffer[] = [];
  /** Cursor before each recent write: TCP has no acknowledgement, so a broken connection resends them. */
  #recent: Array<{ at: number; from: number }> = [];

  constructor(opts: SyslogForwarderOptions) {
    this.#o = opts;
    this.#leadership = opts.leadership ?? SOLE_LEADER;
    this.#instance = opts.instance ?? `${hostname()}:${process.pid}`;
  }

  /** Events appended but not yet handed to the receiver (by whichever instance leads). */
  get backlog(): number {
    return Math.max(0, this.#head - this.#cursor);
  }

  /** Whether this instance is the one forwarding now. */
  get leading(): boolean {
    return this.#leading;
  }

  /** Throws ERR_AUDIT_UNAVAILABLE when the backlog is at its bound under fail-closed. */
  gate(): void {
    if (this.#o.config.whenFull === 'fail-closed' && this.#cursor >= 0 && this.backlog >= this.#o.config.bufferLimit) {
      throw new StrongboxError('ERR_AUDIT_UNAVAILABLE', 'The audit syslog receiver is unreachable and its backlog is full.');
    }
  }

  /** A local append committed: the head moved. */
  appended(lastSeq: number): void {
    if (lastSeq > this.#head) this.#head = lastSeq;
  }

  /** Sends a signed checkpoint with the next batch (checkpoints are on disk anyway); the leader only. */
  publishCheckpoint(note: string, size: number, time: string): void {
    if (this.#leading && this.#pending.length < 16) this.#pending.push(syslogCheckpoint(note, size, time));
  }

  start(): void {
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#socket?.destroy();
    await this.#loop;
    await this.#leadership.close();
    this.#leading = false;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      if (!(await this.#lead())) {
        await this.#follow();
        await sleep(this.#o.retryMs ?? 1000);
        continue;
      }
      try {
        const socket = await this.#connect();
        while (!this.#stopped && !socket.destroyed && (await this.#lead())) await this.#forwardOnce(socket);
      } catch (err) {
        if (!this.#stopped) this.#o.onError?.(err);
      }
      this.#socket?.destroy();
      this.#socket = null;
      if (this.#leading) await this.#rewind().catch((err) => this.#o.onError?.(err));
      if (!this.#stopped) {
        // While disconnected the head still moves; keep the backlog (and so the gate) current.
        const h = await readAuditHead(this.#o.db.kysely).catch(() => null);
        if (h) this.appended(h.seq);
        await sleep(this.#o.retryMs ?? 1000);
      }
    }
  }

  /** Leadership now; on taking it, the cursor is where the last leader may not have been heard. */
  async #lead(): Promise<boolean> {
    let leads = false;
    try {
      leads = await this.#leadership.lead();
    } catch (err) {
      this.#o.onError?.(err);
    }
    if (leads && !this.#leading) {
      try {
        const [head, stored] = await Promise.all([readAuditHead(this.#o.db.kysely), readForwardCursor(this.#o.db.kysely, SYSLOG_SINK)]);
        this.appended(head.seq);
        // a cursor past the head (the database restored from an older copy) would skip what comes next
        const from = Math.min(Math.max(stored?.resendFrom ?? head.baseSeq, head.baseSeq), head.seq);
        this.#cursor = from;
        this.#saved = stored === null ? null : { sentSeq: stored.sentSeq, resendFrom: stored.resendFrom };
        // (the first write's resend entry starts at `from`: a leader after this one resends from there too)
        this.#recent = [];
        this.#pending = [];
      } catch (err) {
        this.#o.onError?.(err);
        return false;
      }
    }
    this.#leading = leads;
    return leads;
  }

  /** A follower keeps head and cursor current, so its own appends respect the bound too. */
  async #follow(): Promise<void> {
    try {
      const [head, stored] = await Promise.all([readAuditHead(this.#o.db.kysely), readForwardCursor(this.#o.db.kysely, SYSLOG_SINK)]);
      this.appended(head.seq);
      this.#cursor = stored?.sentSeq ?? head.baseSeq;
    } catch (err) {
      this.#o.onError?.(err);
    }
  }

  async #forwardOnce(socket: TLSSocket): Promise<void> {
    const h = await readAuditHead(this.#o.db.kysely);
    this.appended(h.seq);
    const rows = await readAuditRows(this.#o.db.kysely, this.#cursor, BATCH);
    const extra = this.#pending.splice(0);
    const old = Date.now() - RESEND_MS;
    while (this.#recent.length > 0 && this.#recent[0].at < old) this.#recent.shift();
    if (rows.length === 0 && extra.length === 0) {
      await this.#save(); // the resend window may have closed
      await sleep(this.#o.pollMs ?? 200);
      return;
    }
    const out = Buffer.concat([...rows.map((r) => syslogEvent(toEntry(r))), ...extra]);
    if (rows.length > 0) this.#recent.push({ at: Date.now(), from: this.#cursor });
    await new Promise<void>((resolve, reject) => socket.write(out, (err) => (err ? reject(err) : resolve())));
    if (rows.length > 0) {
      this.#cursor = rows[rows.length - 1].seq;
      await this.#save();
    }
  }

  /** Stores the cursor when it moved (the write callback fired: the bytes are with the kernel). */
  async #save(): Promise<void> {
    const next = { sentSeq: this.#cursor, resendFrom: this.#recent[0]?.from ?? this.#cursor };
    if (this.#saved !== null && this.#saved.sentSeq === next.sentSeq && this.#saved.resendFrom === next.resendFrom) return;
    await saveForwardCursor(this.#o.db, SYSLOG_SINK, { ...next, instance: this.#instance });
    this.#saved = next;
  }

  /** Resends what was written in the last RESEND_MS: the receiver may not have read it. */
  async #rewind(): Promise<void> {
    const since = Date.now() - RESEND_MS;
    const first = this.#recent.find((r) => r.at >= since);
    this.#recent = [];
    if (first && first.from < this.#cursor) this.#cursor = first.from;
    await this.#save();
  }

  #connect(): Promise<TLSSocket> {
    const c = this.#o.config;
    return new Promise((resolve, reject) => {
      const socket = connect({
        host: c.host,
        port: c.port,
        ca: readFileSync(c.ca),
        ...(c.cert && c.key ? { cert: readFileSync(c.cert), key: readFileSync(c.key) } : {}),
        servername: c.serverName ?? c.host,
        minVersion: 'TLSv1.2',
      });
      this.#socket = socket;
      socket.once('secureConnect', () => {
        socket.removeListener('error', reject);
        socket.on('error', () => socket.destroy());
        resolve(socket);
      });
      socket.once('error', reject);
    });
  }
}
