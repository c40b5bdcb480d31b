import { isAbsolute } from 'node:path';
import type { StrongboxConfig } from './config.ts';
import { IssueSink, unlocatedSource, type ConfigSource } from './config-error.ts';
import { deepFreeze } from './deep-freeze.ts';
import { parseCollections } from './parse-collections.ts';
import { parseDatabase, parseMigrate } from './parse-database.ts';
import { parseBackup } from './parse-backup.ts';
import { parseAuth, parseLimits, parseListen } from './parse-settings.ts';
import { parseKeys } from './parse-keys.ts';
import { parseAudit } from './parse-audit.ts';
import { checkKeys, expectMap, own } from './read-value.ts';
import { parseAdmin, parseCors, parseHsts, parseRateLimit } from './parse-edge.ts';

export interface BuildConfigOptions {
  /** Absolute folder that relative paths (sqlite file, sslrootcert) resolve from. */
  readonly baseDir: string;
  /** Dev mode: changes defaults only (auth.register). */
  readonly dev?: boolean;
  /** Where secrets come from; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Positions for messages; default: no line numbers, file called "config". */
  readonly source?: ConfigSource;
  /** Recorded as StrongboxConfig.configPath; default null. */
  readonly configPath?: string | null;
}

const TOP_KEYS = ['database', 'migrate', 'listen', 'auth', 'limits', 'keys', 'audit', 'collections', 'backup', 'hsts', 'cors', 'rateLimit', 'admin'] as const;

/**
 * Validates plain data (as parsed from strongbox.yaml) into a deep-frozen StrongboxConfig.
 * Every problem is collected; then one ERR_CONFIG (a ConfigError) lists them all.
 */
export function buildConfig(raw: unknown, opts: BuildConfigOptions): StrongboxConfig {
  const sink = new IssueSink(opts.source ?? unlocatedSource());
  if (!isAbsolute(opts.baseDir)) throw new TypeError('buildConfig: baseDir must be absolute'); // a caller bug
  const dev = opts.dev ?? false;
  const map = expectMap(raw, [], sink) ?? {};
  checkKeys(map, TOP_KEYS, [], sink, 'the top level');
  const env = opts.env ?? process.env;
  const database = parseDatabase(own(map, 'database'), opts.baseDir, env, sink);
  const config: StrongboxConfig = {
    configPath: opts.configPath ?? null,
    baseDir: opts.baseDir,
    dev,
    database,
    migrate: parseMigrate(own(map, 'migrate'), database, opts.baseDir, env, sink),
    listen: parseListen(own(map, 'listen'), sink, opts.baseDir, env),
    auth: parseAuth(own(map, 'auth'), dev, sink),
    limits: parseLimits(own(map, 'limits'), sink),
    keys: parseKeys(own(map, 'keys'), opts.baseDir, sink),
    audit: parseAudit(own(map, 'audit'), opts.baseDir, sink),
    collections: parseCollections(own(map, 'collections'), sink),
    backup: parseBackup(own(map, 'backup'), opts.baseDir, sink, dev),
    hsts: parseHsts(own(map, 'hsts'), sink),
    cors: parseCors(own(map, 'cors'), sink),
    rateLimit: parseRateLimit(own(map, 'rateLimit'), sink),
    admin: parseAdmin(own(map, 'admin'), sink),
  };
  sink.throwIfAny();
  return deepFreeze(config);
}
