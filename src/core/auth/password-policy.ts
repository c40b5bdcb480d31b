import { createRequire } from 'node:module';
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { StrongboxError } from '../../errors/strongbox-error.ts';

/** ASVS 5.0 V6.2 / NIST 800-63B: length, a blocklist, a strength estimate; no composition rules. */
export const PASSWORD_POLICY_DEFAULTS = Object.freeze({
  minLength: 12, // characters (code points after NFKC)
  minLengthFloor: 8, // characters: the lowest minLength a config may set
  maxBytes: 4096, // bytes of UTF-8 after NFKC: the cap before anything is hashed
  minScore: 3, // zxcvbn-ts score, 0..4
  // zxcvbn's matching grows faster than linearly with length (256 characters took 8 s with its
  // default l33t table): a password that scores ≥ 3 on its first 64 characters is not weak
  // because of the rest, and the check stays under ~70 ms on a busy machine.
  estimateChars: 64, // characters given to zxcvbn-ts
  l33tMaxSubstitutions: 3, // zxcvbn-ts default 100: the l33t matcher dominated the cost
});

export interface PasswordPolicyOptions {
  readonly minLength: number;
  readonly maxBytes: number;
}

const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The shape every password must have before it may reach the hash function, at sign-up and at
 * sign-in alike: a string, no NUL, no lone surrogate (it could not round-trip UTF-8), at most
 * maxBytes after NFKC. Returns the NFKC form, the only form ever hashed.
 */
export function normalizePassword(value: unknown, maxBytes: number, field = 'password'): string {
  const bad = (reason: string) => new StrongboxError('ERR_VALIDATION', 'The password is invalid.', { fields: { [field]: reason } });
  if (typeof value !== 'string') throw bad('must be a string');
  // Checked before normalizing so an attacker-sized string is never walked by NFKC.
  if (value.length > maxBytes) throw bad(`must be at most ${maxBytes} bytes`);
  if (value.includes('\u0000')) throw bad('must not contain NUL characters');
  if (LONE_SURROGATE.test(value)) throw bad('must be valid Unicode text');
  const normalized = value.normalize('NFKC');
  if (Buffer.byteLength(normalized, 'utf8') > maxBytes) throw bad(`must be at most ${maxBytes} bytes`);
  return normalized;
}

let zxcvbn: ZxcvbnFactory | undefined;
let blocklist: Set<string> | undefined;

// Loaded on first use, not at import: unpacking the dictionaries costs ~0.4 s of CPU, which every
// process start (CLI commands, servers that never see a new password) would otherwise pay.
const load = createRequire(import.meta.url);

function estimator(): { z: ZxcvbnFactory; list: Set<string> } {
  if (zxcvbn === undefined || blocklist === undefined) {
    const common = load('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common');
    const en = load('@zxcvbn-ts/language-en') as typeof import('@zxcvbn-ts/language-en');
    const { ZxcvbnFactory: Factory } = load('@zxcvbn-ts/core') as typeof import('@zxcvbn-ts/core');
    zxcvbn = new Factory({
      dictionary: { ...common.dictionary, ...en.dictionary },
      graphs: common.adjacencyGraphs,
      translations: en.translations,
      maxLength: PASSWORD_POLICY_DEFAULTS.estimateChars,
      l33tMaxSubstitutions: PASSWORD_POLICY_DEFAULTS.l33tMaxSubstitutions,
    });
    blocklist = new Set(common.dictionary['passwords-common'].map((p) => p.toLowerCase()));
  }
  return { z: zxcvbn, list: blocklist };
}

/** How many passwords the bundled blocklist holds (documentation and tests). */
export function blocklistSize(): number {
  return estimator().list.size;
}

/**
 * A new password (registration, change, reset). Refuses, with ERR_PASSWORD_POLICY and a reason
 * a person can act on: too short, in the bundled list of common passwords, a zxcvbn-ts score
 * below 3 (its feedback is the reason), or containing the email's local part. No network call.
 */
export function checkNewPassword(value: unknown, email: string, opts: PasswordPolicyOptions): string {
  const password = normalizePassword(value, opts.maxBytes);
  const refuse = (reason: string) =>
    new StrongboxError('ERR_PASSWORD_POLICY', undefined, { fields: { password: reason } });
  const length = [...password].length;
  if (length < opts.minLength) throw refuse(`must be at least ${opts.minLength} characters`);
  const { z, list } = estimator();
  const lower = password.toLowerCase();
  if (list.has(lower)) throw refuse('is one of the most common passwords');
  const local = email.split('@')[0].toLowerCase();
  if (local.length >= 3 && lower.includes(local)) throw refuse('must not contain your email address');
  const result = z.check([...password].slice(0, PASSWORD_POLICY_DEFAULTS.estimateChars).join(''), [email, local]);
  if (result.score < PASSWORD_POLICY_DEFAULTS.minScore) {
    const feedback = [result.feedback.warning, ...result.feedback.suggestions].filter((s): s is string => !!s);
    throw refuse(`is too easy to guess (strength ${result.score} of 4, needs ${PASSWORD_POLICY_DEFAULTS.minScore})${feedback.length ? `: ${feedback.join(' ')}` : ''}`);
  }
  return password;
}
