import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { StrongboxConfig } from '../config/config.ts';
import { StrongboxError } from '../errors/strongbox-error.ts';

export const DEFAULT_CONFIG_FILE = 'strongbox.yaml';

/** `--config F` (relative to the working folder), else ./strongbox.yaml. */
export function resolveConfigPath(option: string | undefined, cwd: string = process.cwd()): string {
  return resolve(cwd, option ?? DEFAULT_CONFIG_FILE);
}

/** Loads and validates the config, with a hint when the file is simply not there. */
export async function loadCliConfig(path: string, opts: { dev: boolean }): Promise<StrongboxConfig> {
  if (!existsSync(path)) {
    throw new StrongboxError('ERR_CONFIG',
      `no config file at ${display(path)}; run 'strongbox init' or pass --config`);
  }
  // Loaded on demand so `--help` and usage errors stay fast and need no config code.
  const { loadConfig } = await import('../config/load-config.ts');
  return loadConfig(path, { dev: opts.dev, env: process.env });
}

/**
 * Writes the dev config (never over an existing file: 'wx' fails instead) and creates its
 * data folder. Owner-only modes: the data folder will hold the database and dev keys.
 */
export async function writeDevConfig(path: string): Promise<StrongboxConfig> {
  const { devConfigYaml } = await import('../config/dev-config.ts');
  const { loadConfig } = await import('../config/load-config.ts');
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, devConfigYaml(), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as { code?: unknown }).code === 'EEXIST') {
      throw new StrongboxError('ERR_CONFIG', `${display(path)} already exists; refusing to overwrite it`);
    }
    throw err;
  }
  const config = loadConfig(path, { dev: true, env: process.env });
  ensureDataDir(config);
  // The dev pepper goes into the data folder now, so operator commands before the first serve work.
  const { ensureDevPepper } = await import('../core/auth/open-sign-in.ts');
  ensureDevPepper(config);
  return config;
}

/** Creates the SQLite file's folder (mode 0700) so a fresh checkout can start. */
export function ensureDataDir(config: StrongboxConfig): string | null {
  if (config.database.kind !== 'sqlite' || config.database.path === ':memory:') return null;
  const dir = dirname(config.database.path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** A path as the operator typed it: relative to the working folder when inside it. */
export function display(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}
