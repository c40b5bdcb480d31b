import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KekConfig } from '../../config/parse-keys.ts';
import { kekFromEnv, KekFormatError, readKekFile, writeNewKekFile } from '../../crypto/kek/local-kek.ts';
import type { KekProvider } from '../../crypto/kek/kek-provider.ts';
import { Pkcs11Kek, Pkcs11KekError } from '../../crypto/kek/pkcs11-kek.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';

export const PKCS11_PIN_ENV = 'STRONGBOX_PKCS11_PIN_FILE';

export interface OpenKekOptions {
  /** Dev mode: a KEK file this creates is marked as a dev key. */
  readonly dev: boolean;
  /** Production `serve`: refuses a dev key. */
  readonly serving: boolean;
  readonly env?: NodeJS.ProcessEnv;
  /** Create a missing `file:` KEK (only when the database holds no keys yet). */
  readonly create: boolean;
}

/** Opens the configured KEK. Every failure is ERR_KEK_INVALID or ERR_KEK_UNAVAILABLE naming no key material. */
export function openKek(cfg: KekConfig, opts: OpenKekOptions): KekProvider {
  const env = opts.env ?? process.env;
  const kek = cfg.kind === 'file' ? openFileKek(cfg.path, opts) : cfg.kind === 'env' ? openEnvKek(cfg.name, env) : openPkcs11(cfg, env);
  if (kek.dev && !opts.dev && opts.serving) {
    void kek.close();
    throw new StrongboxError('ERR_KEK_INVALID', 'keys.kek is a development key (made by serve --dev); production needs its own KEK: '
      + "create one with 'strongbox keys new-kek --out FILE' or use pkcs11:");
  }
  return kek;
}

function openFileKek(path: string, opts: OpenKekOptions): KekProvider {
  if (!existsSync(path)) {
    if (!opts.create) {
      throw new StrongboxError('ERR_KEK_INVALID', `keys.kek: the KEK file ${path} does not exist, and the database already holds keys wrapped by a KEK; restore that file`);
    }
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeNewKekFile(path, { dev: opts.dev });
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new StrongboxError('ERR_KEK_INVALID',
      `keys.kek: the KEK file ${path} is readable by others (mode ${mode.toString(8).padStart(4, '0')}); run: chmod 600 ${path}`);
  }
  try {
    return readKekFile(path);
  } catch (err) {
    if (err instanceof KekFormatError) throw new StrongboxError('ERR_KEK_INVALID', `keys.kek: ${err.message} (${path})`);
    throw new StrongboxError('ERR_KEK_INVALID', `keys.kek: the KEK file ${path} cannot be read`, undefined, { cause: err });
  }
}

function openEnvKek(name: string, env: NodeJS.ProcessEnv): KekProvider {
  const value = env[name];
  if (value === undefined || value === '') throw new StrongboxError('ERR_KEK_INVALID', `keys.kek: the environment variable ${name} is not set`);
  try {
    return kekFromEnv(name, value);
  } catch (err) {
    throw new StrongboxError('ERR_KEK_INVALID', `keys.kek: ${(err as Error).message}`);
  }
}

function openPkcs11(cfg: Extract<KekConfig, { kind: 'pkcs11' }>, env: NodeJS.ProcessEnv): KekProvider {
  const pinFile = env[PKCS11_PIN_ENV];
  if (!pinFile) throw new StrongboxError('ERR_KEK_UNAVAILABLE', `keys.kek: the PKCS#11 PIN must come from a file named by ${PKCS11_PIN_ENV}`);
  let pin: string;
  try {
    pin = readFileSync(pinFile, 'utf8').replace(/\r?\n$/, '');
  } catch {
    throw new StrongboxError('ERR_KEK_UNAVAILABLE', `keys.kek: the PIN file named by ${PKCS11_PIN_ENV} cannot be read`);
  }
  try {
    return Pkcs11Kek.open({ module: cfg.module, token: cfg.token, key: cfg.key, pin });
  } catch (err) {
    if (err instanceof Pkcs11KekError) throw new StrongboxError('ERR_KEK_UNAVAILABLE', `keys.kek: ${err.message}`);
    throw new StrongboxError('ERR_KEK_UNAVAILABLE', 'keys.kek: the PKCS#11 token could not be opened', undefined, { cause: err });
  }
}

/**
 * `strongbox init`: writes the dev config's KEK file (0600, marked as a dev key, which production
 * `serve` refuses) unless it exists. Returns its path when it wrote one.
 */
export function createDevKek(cfg: KekConfig): string | null {
  if (cfg.kind !== 'file' || existsSync(cfg.path)) return null;
  mkdirSync(dirname(cfg.path), { recursive: true, mode: 0o700 });
  writeNewKekFile(cfg.path, { dev: true });
  return cfg.path;
}
