/**
 * A Strongbox server in its own process, for tests that measure what one process feels: its RSS,
 * its event loop. Started by child-server.ts with the database config, collections and extra
 * config as JSON in argv; answers IPC messages 'memory' (after a full GC: the process's memory and
 * what the caches hold by their own accounting), 'drop-caches' (the same after emptying the record
 * service's caches) and 'stop'. Test-only, over IPC: no HTTP route exposes any of it.
 */
import { openEngine } from '../../src/core/engine.ts';
import { buildServer } from '../../src/http/build-server.ts';
import { statementCacheStats } from '../../src/db/open-database.ts';
import { testConfig, type TestConfigOptions } from './test-engine.ts';
import type { DatabaseConfig } from '../../src/config/config.ts';

const [database, options, extra] = JSON.parse(process.argv[2] ?? '[]') as [DatabaseConfig, TestConfigOptions, Record<string, unknown>];
const base = testConfig(database, options);
// `limits` overrides merge into the defaults (the edge's limits live there too).
const config = { ...base, ...extra, limits: { ...base.limits, ...(extra?.limits as object | undefined) } };
const engine = await openEngine(config as ReturnType<typeof testConfig>);
const app = await buildServer(engine, { logger: false });
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const gc = (globalThis as { gc?: () => void }).gc;

/** The process's memory after full collections, and what the caches hold by their own accounting. */
function memory(): object {
  if (gc === undefined) throw new Error('child-server-main needs --expose-gc');
  // Two full collections: the first may only queue finalizers whose objects the second frees.
  gc();
  gc();
  const m = process.memoryUsage();
  const statements = statementCacheStats(engine.db);
  const caches = {
    rules: engine.records.cache.bytes, ruleEntries: engine.records.cache.size,
    queries: engine.records.queries.bytes, queryEntries: engine.records.queries.size,
    statementEntries: statements?.size ?? 0,
    ...(statements?.dialect === 'postgres' ? { statementNames: statements.bytes } : {}),
  };
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, caches };
}

process.on('message', (msg: unknown) => {
  if (msg === 'memory') {
    process.send?.(memory());
  } else if (msg === 'drop-caches') {
    // What the record service's caches really pin: the heap they free when emptied.
    engine.records.cache.clear();
    engine.records.queries.clear();
    process.send?.(memory());
  } else if (msg === 'stop') {
    void app.close().then(() => engine.close()).then(() => process.exit(0));
  }
});
process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
