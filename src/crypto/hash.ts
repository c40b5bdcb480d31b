import { hash, timingSafeEqual } from 'node:crypto';

/** SHA-256 of a string (UTF-8) as lower-case hex. For high-entropy secrets only, never passwords. */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex'); // one-shot: runs on every authenticated request
}

/** Constant-time string equality; length is not secret (callers compare fixed-size digests). */
export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) return false;
  return timingSafeEqual(ab, bb);
}
