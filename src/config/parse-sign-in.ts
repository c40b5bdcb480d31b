import type { IssueSink, KeyPath } from './config-error.ts';
import { parseDuration } from './parse-units.ts';
import { describe, own, readInt, type RawMap } from './read-value.ts';

/** Sign-in settings under `auth:`; each default is the safe choice and carries its unit. */
export const SIGN_IN_DEFAULTS = {
  sessionIdle: 30 * 60, // seconds (30m): a session unused this long ends
  sessionIdleMin: 60, // seconds (1m)
  sessionIdleMax: 24 * 3600, // seconds (24h)
  maxSessions: 20, // live sessions per account; the oldest ends first
  passwordMinLength: 12, // characters
  passwordMinLengthFloor: 8, // characters: never lower (NIST 800-63B)
  passwordMaxBytes: 4096, // bytes (UTF-8, after NFKC): the cap before hashing
  throttleStore: 'auto', // 'memory' on SQLite, 'database' on PostgreSQL (instances share it)
  registerPerIp: 10, // registrations per client address (IPv6: per /64) per hour; 0 = no bound
  registerPerIpMax: 100_000,
} as const;

export const SIGN_IN_KEYS = ['sessionIdle', 'maxSessions', 'passwordMinLength', 'passwordMaxBytes', 'throttleStore', 'registerPerIp', 'mfa'] as const;
const ROLE = /^[a-z][a-z0-9_]{0,31}$/;

export type ThrottleStoreKind = 'auto' | 'memory' | 'database';

export interface SignInSettings {
  readonly sessionIdle: number;
  readonly maxSessions: number;
  readonly passwordMinLength: number;
  readonly passwordMaxBytes: number;
  readonly throttleStore: ThrottleStoreKind;
  /** POST /api/auth/register per client address (IPv6: per /64) per hour; 0 = no bound */
  readonly registerPerIp: number;
  /**
   * Second factor per role: `mfa: { admin: required, doctor: required }`. In production `admin`
   * is required unless set to `optional` explicitly; in dev nothing is required by default.
   */
  readonly mfa: Readonly<Record<string, 'required' | 'optional'>>;
}

export function parseSignIn(map: RawMap, path: KeyPath, sink: IssueSink): SignInSettings {
  let sessionIdle: number = SIGN_IN_DEFAULTS.sessionIdle;
  const rawIdle = own(map, 'sessionIdle');
  if (rawIdle !== undefined) {
    const v = parseDuration(rawIdle);
    if (v === null) sink.add([...path, 'sessionIdle'], "expected a duration such as '30m' or '2h'");
    else if (v < SIGN_IN_DEFAULTS.sessionIdleMin || v > SIGN_IN_DEFAULTS.sessionIdleMax) sink.add([...path, 'sessionIdle'], 'must be between 1m and 24h');
    else sessionIdle = v;
  }
  const maxSessions = readInt(map, 'maxSessions', path, sink, { min: 1, max: 1000 }, SIGN_IN_DEFAULTS.maxSessions);
  const passwordMinLength = readInt(map, 'passwordMinLength', path, sink,
    { min: SIGN_IN_DEFAULTS.passwordMinLengthFloor, max: 128 }, SIGN_IN_DEFAULTS.passwordMinLength);
  const passwordMaxBytes = readInt(map, 'passwordMaxBytes', path, sink, { min: 1024, max: 65_536 }, SIGN_IN_DEFAULTS.passwordMaxBytes);
  let throttleStore: ThrottleStoreKind = SIGN_IN_DEFAULTS.throttleStore;
  const rawStore = own(map, 'throttleStore');
  if (rawStore !== undefined) {
    if (rawStore === 'auto' || rawStore === 'memory' || rawStore === 'database') throttleStore = rawStore;
    else sink.add([...path, 'throttleStore'], `expected auto, memory or database, got ${typeof rawStore === 'string' ? 'another word' : describe(rawStore)}`);
  }
  const registerPerIp = readInt(map, 'registerPerIp', path, sink, { min: 0, max: SIGN_IN_DEFAULTS.registerPerIpMax }, SIGN_IN_DEFAULTS.registerPerIp);
  const mfa: Record<string, 'required' | 'optional'> = {};
  const rawMfa = own(map, 'mfa');
  if (rawMfa !== undefined && rawMfa !== null) {
    if (typeof rawMfa !== 'object' || Array.isArray(rawMfa)) sink.add([...path, 'mfa'], 'expected a mapping of role: required | optional');
    else {
      for (const [role, v] of Object.entries(rawMfa)) {
        if (!ROLE.test(role)) sink.add([...path, 'mfa', role], 'not a role name (a lower-case letter, then up to 31 letters, digits or _)', 'key');
        else if (v !== 'required' && v !== 'optional') sink.add([...path, 'mfa', role], 'expected required or optional');
        else mfa[role] = v;
      }
    }
  }
  return { sessionIdle, maxSessions, passwordMinLength, passwordMaxBytes, throttleStore, registerPerIp, mfa };
}
