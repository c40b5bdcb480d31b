import { hash } from 'node:crypto';

/** SHA-256 of a string (UTF-8) as lower-case hex. For high-entropy secrets only, never passwords. */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex'); // one-shot: runs on every authenticated request
}
