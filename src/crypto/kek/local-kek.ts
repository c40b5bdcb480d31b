import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { KekUnwrapError, type KekProvider } from './kek-provider.ts';

/** A KEK file or variable holds one line: this prefix and 32 bytes in base64url. */
const PREFIX = 'strongbox-kek-v1:';
/** The key `init` and `serve --dev` write; production refuses it. */
const DEV_PREFIX = 'strongbox-dev-kek-v1:';
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const WRAP_VERSION = 1;

export class KekFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KekFormatError';
  }
}

/** Parses the text of a KEK file or variable; the message never quotes the text. */
export function parseKekText(text: string, where: string): { key: Buffer; dev: boolean } {
  const line = text.trim();
  const dev = line.startsWith(DEV_PREFIX);
  if (!dev && !line.startsWith(PREFIX)) {
    throw new KekFormatError(`${where} is not a Strongbox KEK (expected one line '${PREFIX}<base64url of 32 bytes>')`);
  }
  const body = line.slice(dev ? DEV_PREFIX.length : PREFIX.length);
  const key = /^[A-Za-z0-9_-]{43}$/.test(body) ? Buffer.from(body, 'base64url') : Buffer.alloc(0);
  if (key.length !== KEY_BYTES) throw new KekFormatError(`${where} does not hold a 32-byte key`);
  return { key, dev };
}

/**
 * A KEK held in process memory (from a 0600 file or an environment variable). Wrapping is
 * AES-256-GCM: version byte, 96-bit nonce, ciphertext, tag; the header is authenticated too.
 */
export class LocalKek implements KekProvider {
  readonly id: string;
  private key: Buffer;

  constructor(readonly kind: 'file' | 'env', key: Buffer, readonly dev: boolean) {
    this.key = Buffer.from(key);
    key.fill(0);
    // Derived, not the key itself: the id is stored next to every wrapped key.
    this.id = `${kind === 'env' ? 'local' : 'local'}:${createHmac('sha256', this.key).update('strongbox kek id v1').digest('hex').slice(0, 16)}`;
  }

  async wrap(plain: Buffer, aad: Buffer): Promise<Buffer> {
    const nonce = randomBytes(NONCE_BYTES);
    const header = Buffer.from([WRAP_VERSION]);
    const c = createCipheriv('aes-256-gcm', this.key, nonce);
    c.setAAD(Buffer.concat([header, aad]));
    const body = Buffer.concat([c.update(plain), c.final()]);
    return Buffer.concat([header, nonce, body, c.getAuthTag()]);
  }

  async unwrap(wrapped: Buffer, aad: Buffer): Promise<Buffer> {
    if (wrapped.length < 1 + NONCE_BYTES + TAG_BYTES || wrapped[0] !== WRAP_VERSION) throw new KekUnwrapError('malformed wrapped key');
    const nonce = wrapped.subarray(1, 1 + NONCE_BYTES);
    const tag = wrapped.subarray(wrapped.length - TAG_BYTES);
    const d = createDecipheriv('aes-256-gcm', this.key, nonce);
    d.setAAD(Buffer.concat([wrapped.subarray(0, 1), aad]));
    d.setAuthTag(tag);
    try {
      return Buffer.concat([d.update(wrapped.subarray(1 + NONCE_BYTES, wrapped.length - TAG_BYTES)), d.final()]);
    } catch {
      throw new KekUnwrapError('authentication failed (wrong KEK or tampered key)');
    }
  }

  async close(): Promise<void> {
    this.key.fill(0);
  }
}

/** Refuses a KEK file others can read: `file:` keys must be 0600 (or stricter). */
export function kekFileMode(path: string): number {
  return statSync(path).mode & 0o777;
}

export function readKekFile(path: string): LocalKek {
  const text = readFileSync(path, 'utf8');
  const { key, dev } = parseKekText(text, 'the KEK file');
  return new LocalKek('file', key, dev);
}

export function kekFromEnv(name: string, value: string): LocalKek {
  const { key, dev } = parseKekText(value, `the environment variable ${name}`);
  return new LocalKek('env', key, dev);
}

/** Writes a new random KEK (0600, fsynced); refuses to overwrite. Returns nothing secret. */
export function writeNewKekFile(path: string, opts: { dev: boolean }): void {
  if (existsSync(path)) throw new KekFormatError('the KEK file already exists');
  const key = randomBytes(KEY_BYTES);
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, `${opts.dev ? DEV_PREFIX : PREFIX}${key.toString('base64url')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
    key.fill(0);
  }
  chmodSync(path, 0o600);
}

/** A fresh KEK as text, for `keys rotate --kek` to write; the caller zeroes nothing (strings cannot be). */
export function newKekText(): string {
  const key = randomBytes(KEY_BYTES);
  try {
    return `${PREFIX}${key.toString('base64url')}\n`;
  } finally {
    key.fill(0);
  }
}
