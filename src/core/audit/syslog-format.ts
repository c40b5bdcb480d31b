import { hostname } from 'node:os';
import type { AuditEntry } from './audit-types.ts';

/** RFC 5424 facility 13, "log audit". Severity: notice for success, warning otherwise. */
const FACILITY = 13;
const NOTICE = 5;
const WARNING = 4;
/** The enterprise number RFC 5612 reserves for documentation: a private SD-ID needs one. */
const SD_ID = 'strongbox@32473';

const printable = (s: string, max: number): string => {
  const out = s.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return out === '' ? '-' : out;
};

const HOST = printable(hostname(), 255);

/** SD-PARAM values escape `"`, `\` and `]` (RFC 5424 §6.3.3). */
const param = (v: string): string => v.replace(/["\\\]]/g, (c) => `\\${c}`);

function frame(pri: number, time: string, msgId: string, sd: string, msg: string): Buffer {
  const line = `<${pri}>1 ${time} ${HOST} strongbox ${process.pid} ${printable(msgId, 32)} ${sd} \ufeff${msg}`;
  const bytes = Buffer.from(line, 'utf8');
  // RFC 5425 octet-counting framing: the length, a space, the message.
  return Buffer.concat([Buffer.from(`${bytes.length} `), bytes]);
}

/** One event as an RFC 5424 message, octet-counted; MSG is the event as JSON. */
export function syslogEvent(e: AuditEntry): Buffer {
  const pri = FACILITY * 8 + (e.outcome === 'success' ? NOTICE : WARNING);
  const sd = `[${SD_ID} seq="${e.seq}" outcome="${param(e.outcome)}" hash="${e.hash}"]`;
  return frame(pri, e.time, e.action, sd, JSON.stringify(e));
}

/** A signed checkpoint note as an RFC 5424 message (MSG: {"checkpoint": note}). */
export function syslogCheckpoint(note: string, size: number, time: string): Buffer {
  return frame(FACILITY * 8 + NOTICE, time, 'audit.checkpoint', `[${SD_ID} size="${size}"]`, JSON.stringify({ checkpoint: note }));
}
