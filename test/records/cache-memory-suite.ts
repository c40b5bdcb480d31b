/** The cache-memory attack, run per dialect by cache-memory-{sqlite,postgres}.security.test.ts (each file has 120 s). */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { DialectCtx } from '../helpers/dialects.ts';
import { startChildServer, type ChildMemory, type ChildServer } from '../helpers/child-server.ts';
import { collection, field } from '../helpers/test-engine.ts';
import { cacheShares } from '../../src/util/cache-budget.ts';

const MiB = 1024 * 1024;
// The smallest limits.cacheMemory (the default is 64 MiB), so that what the entry caps alone let
// these filters pin (~30 MiB of heap) is many times the budget; docs/bounded-cost.md#memory has
// both runs (bounded: the record service's caches pin 0.5 MiB, the heap grows ~5 MiB).
const BUDGET = 4 * MiB;
const SHARES = cacheShares(BUDGET);
/** Heap growth on top of the budget: V8's tables sized for a peak, SQL shape caches, pools. */
const HEAP_MARGIN = 6 * MiB;
/** RSS, looser: allocator slack, a scan worker thread that starts (+15 to +28 MiB measured bounded). */
const RSS_MARGIN = 40 * MiB;
const DISTINCT = 5000;

const NOTES = collection('notes', [field('title', 'text', { required: true }), field('body', 'text')], {
  list: 'owner = @auth.id', view: 'owner = @auth.id', create: '@auth.id != null', update: 'owner = @auth.id', delete: 'owner = @auth.id',
});

/**
 * A distinct filter near the limits (≈1,960 characters, 40 comparisons, or 63 NUL pieces and an
 * id): most compare indexed columns (id, owner), so the server's time goes into parsing,
 * checking, compiling and caching rather than scanning; one in eight is a substring scan. One
 * character beyond Latin-1 makes V8 keep each copy of the text at two bytes per character. The
 * SQL has few shapes (values are parameters): what this pins is the record service's caches,
 * not SQLite's statements (docs/bounded-cost.md#memory says why).
 */
function worstFilter(i: number): string {
  if (i % 8 === 1) {
    const pieces = Array.from({ length: 63 }, (_, j) => `${i.toString(36)}${j.toString(36)}`).join('\u0000');
    return `'${pieces}' ~ title && id != "${String(i).padStart(20, 'ж')}"`;
  }
  const column = i % 2 === 0 ? 'id' : 'owner';
  return Array.from({ length: 40 }, (_, j) => `${column} = '${`${i}.${j}.`.padEnd(36, j === 0 ? 'ж' : 'x')}'`).join(' || ');
}

/**
 * A distinct SQL shape per filter: 13 comparisons whose columns follow the bits of i (8,192
 * shapes), so every one compiles to new SQL and, on SQLite, a new prepared statement, whose
 * native memory a cache could pin outside the JS heap.
 */
function shapeFilter(i: number): string {
  return Array.from({ length: 13 }, (_, j) => `${(i >> j) & 1 ? 'id' : 'owner'} = '${i}.${j}ж'`).join(' || ');
}

async function run(count: number, concurrency: number, send: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await send(next++);
  }));
}

const mib = (bytes: number): string => (bytes / MiB).toFixed(1);

export function cacheMemorySuite(t: DialectCtx): void {
  let server: ChildServer;
  let token = '';
  const list = async (filter: string, signedIn: boolean) => {
    const headers: Record<string, string> = signedIn ? { authorization: `Bearer ${token}` } : {};
    const res = await fetch(`${server.url}/api/collections/notes/records?filter=${encodeURIComponent(filter)}`, { headers });
    const body = await res.text();
    assert.equal(res.status, 200, body.slice(0, 200));
    return JSON.parse(body) as { totalItems: number };
  };
  before(async () => {
    const limits = { bodyLimit: MiB, perPageMax: 500, perPageDefault: 30, cacheMemory: BUDGET };
    server = await startChildServer(await t.freshDatabase(), { collections: [NOTES] }, { limits });
    const creds = { email: 'cache-probe@example.com', password: 'Quartz-Velvet-Harbor-93' };
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`,
      { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const registered = await post('/api/auth/register', creds);
    assert.equal(registered.status, 201, await registered.text());
    const login = await post('/api/auth/login', creds);
    assert.equal(login.status, 200);
    token = (await login.json() as { token: string }).token;
    for (let i = 0; i < 20; i++) {
      const res = await post('/api/collections/notes/records', { title: `note ${i}`, body: 'x'.repeat(100) }, { authorization: `Bearer ${token}` });
      assert.equal(res.status, 201);
    }
    // The signed-in half really is signed in (an unusable token would read as anonymous: nothing cached).
    assert.equal((await list('title ~ "note"', true)).totalItems, 20);
    assert.equal((await list('title ~ "note"', false)).totalItems, 0);
  });
  after(async () => { await server?.stop(); });

  test(`${DISTINCT} distinct worst-case filters, anonymous and signed in: the caches pin no more than their budget`, async () => {
    const send = (offset: number) => async (i: number) => { await list(worstFilter(offset + i), (offset + i) % 4 >= 2); };
    await run(200, 4, send(0)); // warm-up: JIT, pools, first cache entries
    const start = await server.memory();

    // Anonymous callers, whom the list rule denies whatever the record: nothing is compiled or kept.
    await run(100, 4, async (i) => { await list(worstFilter(500_000 + 4 * i), false); });
    const { rules, ruleEntries, queries, queryEntries } = (await server.memory()).caches;
    assert.deepEqual({ rules, ruleEntries, queries, queryEntries },
      { rules: start.caches.rules, ruleEntries: start.caches.ruleEntries, queries: start.caches.queries, queryEntries: start.caches.queryEntries },
      'a denied read must not be cached');

    await run(DISTINCT, 4, send(1_000_000));
    const end = await server.memory();
    const dropped = await server.dropCaches();
    const heap = end.heapUsed - start.heapUsed;
    const pinned = end.heapUsed - dropped.heapUsed;
    const rss = end.rss - start.rss;
    const report = `caches pin ${mib(pinned)} MiB of heap (accounted ${mib(end.caches.rules + end.caches.queries)}); `
      + `heap ${mib(start.heapUsed)} → ${mib(end.heapUsed)} MiB (+${mib(heap)}), RSS ${mib(start.rss)} → ${mib(end.rss)} MiB (+${mib(rss)}); `
      + `caches ${JSON.stringify(end.caches)}`;
    process.stderr.write(`cache-memory [${t.dialect}]: ${report}\n`);
    // 2,500 distinct signed-in filters, more than the entry caps (2,000): only bytes can have bounded them.
    assert.ok(end.caches.ruleEntries < 2000 && end.caches.queryEntries < 2000, report);
    assertWithinShares(end, report);
    // What the record service's caches really hold: within their shares, and no more than they account.
    assert.ok(pinned <= SHARES.ruleCache + SHARES.compiledQueries, report);
    assert.ok(pinned <= end.caches.rules + end.caches.queries, report);
    assert.ok(heap <= BUDGET + HEAP_MARGIN, report);
    assert.ok(rss <= BUDGET + RSS_MARGIN, report);
  });
}

export function shapeMemorySuite(t: DialectCtx): void {
  let server: ChildServer;
  let token = '';
  before(async () => {
    server = await startChildServer(await t.freshDatabase(), { collections: [NOTES] }, { limits: { bodyLimit: MiB, perPageMax: 500, perPageDefault: 30, cacheMemory: BUDGET } });
    const creds = { email: 'shape-probe@example.com', password: 'Quartz-Velvet-Harbor-93' };
    const post = (path: string, body: unknown) => fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal((await post('/api/auth/register', creds)).status, 201);
    token = (await (await post('/api/auth/login', creds)).json() as { token: string }).token;
  });
  after(async () => { await server?.stop(); });

  test(`${DISTINCT} filters of distinct SQL shapes, signed in: compiled SQL and prepared statements stay within the budget`, async () => {
    const list = async (i: number) => {
      const res = await fetch(`${server.url}/api/collections/notes/records?filter=${encodeURIComponent(shapeFilter(i))}`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200, (await res.text()).slice(0, 200));
    };
    await run(200, 4, list);
    const start = await server.memory();
    await run(DISTINCT, 4, (i) => list(1000 + i));
    const end = await server.memory();
    const rss = end.rss - start.rss;
    const heap = end.heapUsed - start.heapUsed;
    const report = `heap +${mib(heap)} MiB, RSS ${mib(start.rss)} → ${mib(end.rss)} MiB (+${mib(rss)}); caches ${JSON.stringify(end.caches)}`;
    process.stderr.write(`shape-memory [${t.dialect}]: ${report}\n`);
    assertWithinShares(end, report);
    assert.ok(heap <= BUDGET + HEAP_MARGIN, report);
    assert.ok(rss <= BUDGET + RSS_MARGIN, report);
  });
}

/** The caches' own accounting holds each to its share of the budget. */
function assertWithinShares(m: ChildMemory, report: string): void {
  assert.ok(m.caches.rules <= SHARES.ruleCache, report);
  assert.ok(m.caches.queries <= SHARES.compiledQueries, report);
  if (m.caches.statementNames !== undefined) assert.ok(m.caches.statementNames <= SHARES.pgStatementNames, report);
}
