import { StrongboxError } from '../../errors/strongbox-error.ts';
import { noteKeyHash } from '../../crypto/note-key-hash.ts';
import { verifySignature } from '../../crypto/signature.ts';
import type { SigningKey } from './audit-keys.ts';

/**
 * A signed checkpoint after C2SP's signed-note checkpoints: origin line, size (the last seq),
 * head hash (base64), extension lines, a blank line, then `— <key name> <base64(key hash ‖ sig)>`.
 * Strongbox's extensions: `time <ISO 8601>` always, and on a prune checkpoint
 * `pruned <seq> <base64 hash>` (events up to seq were removed; the chain resumes after hash).
 */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  /** lower-case hex */
  readonly hash: string;
  readonly time: string;
  readonly pruned?: { readonly seq: number; readonly hash: string };
}

export const ORIGIN_PREFIX = 'strongbox.audit/';
const EM_DASH = '\u2014';
const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;
const B64_HASH = /^[A-Za-z0-9+/]{43}=$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/;

export const originFor = (logId: string): string => `${ORIGIN_PREFIX}${logId}`;

/** The C2SP key name: no spaces or '+'. */
export const noteKeyName = (signer: Pick<SigningKey, 'keyId'>): string =>
  `strongbox-audit-${signer.keyId.replace(/[^A-Za-z0-9._-]/g, '_')}`;

const b64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');

function body(cp: Checkpoint): string {
  let text = `${cp.origin}\n${cp.size}\n${b64(cp.hash)}\ntime ${cp.time}\n`;
  if (cp.pruned) text += `pruned ${cp.pruned.seq} ${b64(cp.pruned.hash)}\n`;
  return text;
}

export function signCheckpoint(cp: Checkpoint, signer: SigningKey): string {
  const text = body(cp);
  const name = noteKeyName(signer);
  const sig = Buffer.concat([noteKeyHash(name, signer.publicKeyPem), signer.sign(Buffer.from(text, 'utf8'))]);
  return `${text}\n${EM_DASH} ${name} ${sig.toString('base64')}\n`;
}

function corrupt(what: string, file: string): never {
  throw new StrongboxError('ERR_AUDIT_CHECKPOINT_CORRUPT', `The audit checkpoint ${file} is corrupt: ${what}.`);
}

function hashOf(text: string, file: string): string {
  if (!B64_HASH.test(text)) corrupt('a hash is not base64 of 32 bytes', file);
  return Buffer.from(text, 'base64').toString('hex');
}

function seqOf(text: string, file: string): number {
  if (!DECIMAL.test(text)) corrupt('a size is not a decimal number', file);
  return Number(text);
}

/**
 * Parses a checkpoint and checks its signature with the trail's public key (no secret).
 * Malformed → ERR_AUDIT_CHECKPOINT_CORRUPT; no signature by this key → ERR_AUDIT_CHECKPOINT_KEY;
 * this key's signature not matching the text → ERR_AUDIT_CHECKPOINT_CORRUPT.
 */
export function openCheckpoint(note: string, key: { keyId: string; publicKeyPem: string }, file: string): Checkpoint {
  if (note.length > 4096 || !note.endsWith('\n')) corrupt('not a signed note', file);
  const split = note.indexOf('\n\n');
  if (split < 0) corrupt('no signature block', file);
  const text = note.slice(0, split + 1);
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 4 || lines.length > 5) corrupt('wrong number of lines', file);
  const [origin, size, hash, time, pruned] = lines;
  if (!origin.startsWith(ORIGIN_PREFIX) || !/^[A-Za-z0-9._/-]{1,200}$/.test(origin)) corrupt('bad origin line', file);
  const timeMatch = /^time (.+)$/.exec(time);
  if (!timeMatch || !ISO.test(timeMatch[1])) corrupt('bad time line', file);
  const cp: { -readonly [K in keyof Checkpoint]: Checkpoint[K] } = {
    origin, size: seqOf(size, file), hash: hashOf(hash, file), time: timeMatch[1],
  };
  if (pruned !== undefined) {
    const m = /^pruned (\S+) (\S+)$/.exec(pruned);
    if (!m) corrupt('bad pruned line', file);
    cp.pruned = { seq: seqOf(m[1], file), hash: hashOf(m[2], file) };
    if (cp.pruned.seq > cp.size) corrupt('pruned past its size', file);
  }
  const sigLines = note.slice(split + 2, -1).split('\n');
  const name = noteKeyName(key);
  const keyHash = noteKeyHash(name, key.publicKeyPem);
  let ours: Buffer | null = null;
  for (const line of sigLines) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/.exec(line);
    if (!m) corrupt('bad signature line', file);
    const sig = Buffer.from(m[2], 'base64');
    if (sig.length !== 4 + 64) corrupt('bad signature length', file);
    if (m[1] === name && sig.subarray(0, 4).equals(keyHash)) ours = sig.subarray(4);
  }
  if (ours === null) {
    throw new StrongboxError('ERR_AUDIT_CHECKPOINT_KEY', `The audit checkpoint ${file} is not signed by this trail's signing key.`);
  }
  if (!verifySignature(key.publicKeyPem, Buffer.from(text, 'utf8'), ours)) corrupt('the signature does not match its text', file);
  return cp;
}
