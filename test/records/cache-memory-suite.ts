/** The cache-memory attack, run per dialect by cache-memory-{sqlite,postgres}.security.test.ts (each file has 120 s). */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { DialectCtx } from '../helpers/dialects.ts';
import { startChildServer, type ChildServer } from '../helpers/child-server.ts';
import { collection, field } from '../helpers/test-engine.ts';

const MiB = 1024 * 1024;
// A small budget (limits.cacheMemory) so that the margin is smaller than what entry counts alone
// would let these filters pin (+47 MiB measured with byte budgets off); the default is 64 MiB.
const BUDGET = 4 * MiB; // the smallest limits.cacheMemory
const MARGIN = 32 * MiB; // allocator, V8 and scan-worker slack on top of what the caches hold (+0 to +27 MiB measured)
const DISTINCT = 5000;

const NOTES = collection('notes', [field('title', 'text', { required: true }), field('body', 'text')], {
  list: 'owner = @auth.id', view: 'owner = @auth.id', create: '@auth.id != null', update: 'owner = @auth.id', delete: 'owner = @auth.id',
});

/**
 * A distinct filter near the limits (≈1,960 characters, 40 comparisons, or 63 NUL pieces and an
 * id): most compare indexed columns (id, owner), so the server's time goes into parsing,
 * checking, compiling and caching rather than scanning; one in eight is a substring scan.
 */
function worstFilter(i: number): string {
  if (i % 8 === 1) {
    const pieces = Array.from({ length: 63 }, (_, j) => `${i.toString(36)}${j.toString(36)}`).join('\u0000');
    return `'${pieces}' ~ title && id != "${String(i).padStart(20, 'q')}"`;
  }
  const column = i % 2 === 0 ? 'id' : 'owner';
  return Array.from({ length: 40 }, (_, j) => `${column} = '${`${i}.${j}.`.padEnd(36, 'x')}'`).join(' || ');
}

async function run(count: number, concurrency: number, send: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await send(next++);
  }));
}

export function cacheMemorySuite(t: DialectCtx): void {
  let server: ChildServer;
  let token = '';
  before(async () => {
    const limits = { bodyLimit: MiB, perPageMax: 500, perPageDefault: 30, cacheMemory: BUDGET };
    server = await startChildServer(await t.freshDatabase(), { collections: [NOTES] }, { limits });
    const creds = { email: 'mem@example.com', password: 'mem-long-password' };
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`,
      { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    await post('/api/auth/register', creds);
    token = (await (await post('/api/auth/login', creds)).json() as { token: string }).token;
    for (let i = 0; i < 20; i++) await post('/api/collections/notes/records', { title: `note ${i}`, body: 'x'.repeat(100) }, { authorization: `Bearer ${token}` });
  });
  after(async () => { await server?.stop(); });

  test(`${DISTINCT} distinct worst-case filters, anonymous and signed in: RSS grows by at most the budget plus a margin`, async () => {
    let offset = 0;
    const send = async (i: number) => {
      const n = offset + i;
      const headers: Record<string, string> = n % 4 < 2 ? {} : { authorization: `Bearer ${token}` };
      const res = await fetch(`${server.url}/api/collections/notes/records?filter=${encodeURIComponent(worstFilter(n))}`, { headers });
      const body = await res.text();
      assert.equal(res.status, 200, body.slice(0, 200));
    };
    await run(200, 4, send); // warm-up: JIT, pools, first cache entries
    const start = await server.memory();
    offset = 1_000_000;
    await run(DISTINCT, 4, send);
    const end = await server.memory();
    const grown = end.rss - start.rss;
    const report = `RSS ${Math.round(start.rss / MiB)} → ${Math.round(end.rss / MiB)} MiB (+${Math.round(grown / MiB)}); caches ${JSON.stringify(end.caches)}`;
    process.stderr.write(`cache-memory [${t.dialect}]: ${report}\n`);
    assert.ok(end.caches.rules + end.caches.queries <= BUDGET, report);
    assert.ok(grown <= BUDGET + MARGIN, report);
  });
}
