import { readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import type { SyslogConfig } from '../../config/config.ts';
import type { Database } from '../../db/database.ts';
import { readAuditHead, readAuditRows } from '../../db/audit/audit-store.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { toEntry } from './audit-entries.ts';
import { syslogCheckpoint, syslogEvent } from './syslog-format.ts';

export interface SyslogForwarderOptions {
  readonly db: Database;
  readonly config: SyslogConfig;
  readonly onError?: (err: unknown) => void;
  /** ms between head polls; default 200 */
  readonly pollMs?: number;
  /** ms between reconnect attempts; default 1000 */
  readonly retryMs?: number;
}

const BATCH = 500;
const RESEND_MS = 5000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/**
 * Forwards the trail to a syslog receiver over TLS (RFC 5424 messages, RFC 5425 framing), in
 * seq order. The trail itself is the on-disk buffer: events are already durable in the
 * database, and the forwarder keeps only a cursor (the last seq sent, in `config.state`). While
 * the receiver is down the backlog grows; at `bufferLimit` events the `whenFull` policy applies:
 * `fail-closed` makes every append fail (ERR_AUDIT_UNAVAILABLE) until the backlog drains,
 * `fail-open` lets appends go on and the forwarder catches up later. A reconnect sends the
 * backlog from the cursor, in order; the batch in flight when a connection broke is sent again
 * (a receiver may see an event twice, never a gap; the seq in each message tells them apart).
 */
export class SyslogForwarder {
  readonly #o: SyslogForwarderOptions;
  #cursor = -1;
  #head = 0;
  #socket: TLSSocket | null = null;
  #stopped = false;
  #loop: Promise<void> | null = null;
  #pending: Buffer[] = [];
  /** Cursor before each recent write: TCP has no acknowledgement, so a broken connection resends them. */
  #recent: Array<{ at: number; from: number }> = [];

  constructor(opts: SyslogForwarderOptions) {
    this.#o = opts;
  }

  /** Events appended but not yet handed to the receiver. */
  get backlog(): number {
    return Math.max(0, this.#head - this.#cursor);
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

  /** Sends a signed checkpoint with the next batch (checkpoints are on disk anyway). */
  publishCheckpoint(note: string, size: number, time: string): void {
    if (this.#pending.length < 16) this.#pending.push(syslogCheckpoint(note, size, time));
  }

  start(): void {
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#socket?.destroy();
    await this.#loop;
  }

  #readCursor(base: number): number {
    try {
      const n = Number(readFileSync(this.#o.config.state, 'utf8').trim());
      return Number.isSafeInteger(n) && n >= base ? n : base;
    } catch {
      return base;
    }
  }

  #saveCursor(): void {
    mkdirSync(dirname(this.#o.config.state), { recursive: true, mode: 0o700 });
    const tmp = `${this.#o.config.state}.tmp`;
    writeFileSync(tmp, `${this.#cursor}\n`, { mode: 0o600 });
    renameSync(tmp, this.#o.config.state);
  }

  async #run(): Promise<void> {
    const head = await readAuditHead(this.#o.db.kysely).catch(() => null);
    this.#head = head?.seq ?? 0;
    this.#cursor = this.#readCursor(head?.baseSeq ?? 0);
    while (!this.#stopped) {
      try {
        const socket = await this.#connect();
        while (!this.#stopped && !socket.destroyed) {
          const h = await readAuditHead(this.#o.db.kysely);
          this.appended(h.seq);
          const rows = await readAuditRows(this.#o.db.kysely, this.#cursor, BATCH);
          const extra = this.#pending.splice(0);
          const old = Date.now() - RESEND_MS;
          while (this.#recent.length > 0 && this.#recent[0].at < old) this.#recent.shift();
          if (rows.length === 0 && extra.length === 0) {
            await sleep(this.#o.pollMs ?? 200);
            continue;
          }
          const out = Buffer.concat([...rows.map((r) => syslogEvent(toEntry(r))), ...extra]);
          if (rows.length > 0) this.#recent.push({ at: Date.now(), from: this.#cursor });
          await new Promise<void>((resolve, reject) => socket.write(out, (err) => (err ? reject(err) : resolve())));
          if (rows.length > 0) {
            this.#cursor = rows[rows.length - 1].seq;
            this.#saveCursor();
          }
        }
      } catch (err) {
        if (!this.#stopped) this.#o.onError?.(err);
      }
      this.#rewind();
      this.#socket?.destroy();
      this.#socket = null;
      if (!this.#stopped) {
        // While disconnected the head still moves; keep the backlog (and so the gate) current.
        const h = await readAuditHead(this.#o.db.kysely).catch(() => null);
        if (h) this.appended(h.seq);
        await sleep(this.#o.retryMs ?? 1000);
      }
    }
  }

  /** Resends what was written in the last RESEND_MS: the receiver may not have read it. */
  #rewind(): void {
    const since = Date.now() - RESEND_MS;
    const first = this.#recent.find((r) => r.at >= since);
    this.#recent = [];
    if (first && first.from < this.#cursor) {
      this.#cursor = first.from;
      this.#saveCursor();
    }
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
