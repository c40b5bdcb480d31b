/**
 * A Strongbox server in its own process, for tests that measure what one process feels: its RSS,
 * its event loop. Started by child-server.ts with the database config, collections and extra
 * config as JSON in argv; answers IPC messages 'rss' (after a full GC) and 'stop'.
 */
import { openEngine } from '../../src/core/engine.ts';
import { buildServer } from '../../src/http/build-server.ts';
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

process.on('message', (msg: unknown) => {
  if (msg === 'rss') {
    gc?.();
    gc?.();
    const m = process.memoryUsage();
    const caches = { rules: engine.records.cache.bytes, queries: engine.records.queries.bytes, ruleEntries: engine.records.cache.size, queryEntries: engine.records.queries.size };
    process.send?.({ rss: m.rss, heapUsed: m.heapUsed, external: m.external, caches });
  } else if (msg === 'stop') {
    void app.close().then(() => engine.close()).then(() => process.exit(0));
  }
});
process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
