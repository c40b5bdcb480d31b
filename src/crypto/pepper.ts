import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { StrongboxError } from '../errors/strongbox-error.ts';

/**
 * The password pepper: a secret kept outside the database and given to argon2 as its secret
 * input, so a stolen database alone cannot be cracked offline.
 *
 * Text format (file or variable), one entry per line, the first is current, later lines are
 * older versions kept so their hashes still verify (and are re-hashed at the next login):
 *   v2:<base64 of at least 32 bytes>
 *   v1:<base64 …>
 * Entries a dev start wrote carry `dev-` (`dev-v1:…`); production refuses them.
 */
export interface Pepper {
  readonly version: number;
  readonly dev: boolean;
  /** Raw secret bytes: only the password hasher reads them. */
  readonly unsafeSecret: Uint8Array;
}

export interface PepperRing {
  readonly current: Pepper;
  byVersion(version: number): Pepper | undefined;
}

export const PEPPER_MIN_BYTES = 32;
export const DEV_PEPPER_FILE = 'dev-pepper.key';
const ENTRY = /^(dev-)?v([1-9][0-9]{0,5}):([A-Za-z0-9+/_-]+={0,2})$/;

export function parsePepperText(text: string, where: string): PepperRing {
  const entries: Pepper[] = [];
  for (const [i, rawLine] of text.split(/\r?\n/).entries()) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = ENTRY.exec(line);
    // Never quote the line: it is a secret.
    if (!m) throw new StrongboxError('ERR_CONFIG', `${where}: line ${i + 1} is not 'v<N>:<base64>'`);
    const secret = Buffer.from(m[3], m[3].includes('-') || m[3].includes('_') ? 'base64url' : 'base64');
    if (secret.length < PEPPER_MIN_BYTES) {
      throw new StrongboxError('ERR_CONFIG', `${where}: line ${i + 1}: a pepper needs at least ${PEPPER_MIN_BYTES} random bytes`);
    }
    const version = Number(m[2]);
    if (entries.some((e) => e.version === version)) throw new StrongboxError('ERR_CONFIG', `${where}: version v${version} appears twice`);
    entries.push(Object.freeze({ version, dev: m[1] !== undefined, unsafeSecret: new Uint8Array(secret) }));
  }
  if (entries.length === 0) throw new StrongboxError('ERR_CONFIG', `${where}: no pepper entry`);
  const byVersion = new Map(entries.map((e) => [e.version, e]));
  return Object.freeze({ current: entries[0], byVersion: (v: number) => byVersion.get(v) });
}

export interface LoadPepperOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly dev: boolean;
  /** Where a dev start keeps its generated pepper (the data folder). */
  readonly dataDir: string;
  /**
   * An operator command (`strongbox admin …`) on a dev folder: use the dev pepper a dev start
   * made, never create one. A production server never passes this.
   */
  readonly reuseDevPepper?: boolean;
}

/**
 * STRONGBOX_PEPPER_FILE first, then STRONGBOX_PEPPER. Without either, a dev start creates one
 * (0600) in the data folder and reuses it; production refuses to start, and refuses dev entries.
 */
export function loadPepper(opts: LoadPepperOptions): PepperRing {
  const ring = readConfigured(opts.env) ?? (opts.dev ? devPepper(opts.dataDir) : opts.reuseDevPepper ? existingDevPepper(opts.dataDir) : null);
  if (ring === null) {
    throw new StrongboxError('ERR_CONFIG', 'no password pepper: set STRONGBOX_PEPPER_FILE (or STRONGBOX_PEPPER) to a secret of at least 32 random bytes, e.g. v1:$(openssl rand -base64 32)');
  }
  if (!opts.dev && !opts.reuseDevPepper && ring.current.dev) {
    throw new StrongboxError('ERR_CONFIG', 'the password pepper is a development pepper; production needs its own (STRONGBOX_PEPPER_FILE)');
  }
  return ring;
}

function readConfigured(env: NodeJS.ProcessEnv): PepperRing | null {
  const file = env.STRONGBOX_PEPPER_FILE;
  if (file !== undefined && file !== '') {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new StrongboxError('ERR_CONFIG', 'STRONGBOX_PEPPER_FILE: cannot read the file');
    }
    return parsePepperText(text, 'STRONGBOX_PEPPER_FILE');
  }
  const value = env.STRONGBOX_PEPPER;
  if (value !== undefined && value !== '') return parsePepperText(value, 'STRONGBOX_PEPPER');
  return null;
}

function existingDevPepper(dataDir: string): PepperRing | null {
  try {
    return parsePepperText(readFileSync(join(dataDir, DEV_PEPPER_FILE), 'utf8'), DEV_PEPPER_FILE);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return null;
    throw err;
  }
}

function devPepper(dataDir: string): PepperRing {
  const path = join(dataDir, DEV_PEPPER_FILE);
  try {
    return parsePepperText(readFileSync(path, 'utf8'), DEV_PEPPER_FILE);
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ENOENT') throw err;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const text = `# Strongbox development pepper: never use in production.\ndev-v1:${randomBytes(32).toString('base64')}\n`;
  // Written aside, then linked into place: link fails if another start won the race, and
  // nobody ever reads a half-written file.
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, path);
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
  return parsePepperText(readFileSync(path, 'utf8'), DEV_PEPPER_FILE);
}
