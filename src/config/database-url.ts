import type { DatabaseConfig } from './config.ts';
import { IssueSink, unlocatedSource } from './config-error.ts';
import { parseDatabase } from './parse-database.ts';

/** A database URL given on the command line (`backup restore --to`), validated like the config's. */
export function parseDatabaseUrl(url: string, baseDir: string, env: NodeJS.ProcessEnv, what = '--to'): DatabaseConfig {
  const sink = new IssueSink(unlocatedSource(what));
  const cfg = parseDatabase(url, baseDir, env, sink);
  sink.throwIfAny();
  return cfg;
}
