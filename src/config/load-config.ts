import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { StrongboxError } from '../errors/strongbox-error.ts';
import { buildConfig } from './build-config.ts';
import type { StrongboxConfig } from './config.ts';
import { parseYaml } from './parse-yaml.ts';

export { buildConfig, type BuildConfigOptions } from './build-config.ts';
export { ConfigError, type ConfigIssue, type ConfigSource } from './config-error.ts';

/** Largest config file accepted (bytes): a real one is a few KiB; more is a mistake or an attack. */
export const MAX_CONFIG_BYTES = 1024 * 1024; // 1 MiB

export interface LoadConfigOptions {
  /** Dev mode (`serve --dev`): only changes defaults, e.g. auth.register. */
  readonly dev?: boolean;
  /** Where secrets come from; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Reads, parses and validates strongbox.yaml. Relative paths in it resolve from its folder.
 * Throws ERR_CONFIG (a ConfigError listing every issue as `file:line:col: key.path: problem`).
 * Messages name the file by its base name only, never a full server path.
 */
export function loadConfig(path: string, opts: LoadConfigOptions = {}): StrongboxConfig {
  const absolute = resolve(path);
  const file = basename(absolute);
  const text = readConfigText(absolute, file);
  const { raw, source } = parseYaml(text, file);
  return buildConfig(raw, { baseDir: dirname(absolute), dev: opts.dev, env: opts.env, source, configPath: absolute });
}

/** Reads at most MAX_CONFIG_BYTES + 1 from the open file, so a growing or special file cannot exhaust memory. */
function readConfigText(absolute: string, file: string): string {
  let fd: number;
  try {
    fd = openSync(absolute, 'r');
  } catch {
    throw new StrongboxError('ERR_CONFIG', `${file}: cannot open the configuration file`);
  }
  try {
    if (!fstatSync(fd).isFile()) throw new StrongboxError('ERR_CONFIG', `${file}: not a regular file`);
    const buf = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > MAX_CONFIG_BYTES) throw new StrongboxError('ERR_CONFIG', `${file}: the file is larger than 1 MiB`);
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, length));
    } catch {
      throw new StrongboxError('ERR_CONFIG', `${file}: the file is not valid UTF-8`);
    }
  } catch (err) {
    if (err instanceof StrongboxError) throw err;
    throw new StrongboxError('ERR_CONFIG', `${file}: cannot read the configuration file`);
  } finally {
    closeSync(fd);
  }
}
