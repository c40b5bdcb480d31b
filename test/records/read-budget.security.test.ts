// Attack: a signed-in user with 1,000 notes of 10,000 characters sends three concurrent 40-term substring filters so that every other caller (even /api/health) waits seconds behind their scans.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { startChildServer, type ChildServer } from '../helpers/child-server.ts';
import { collection, field } from '../helpers/test-engine.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { randomId } from '../../src/crypto/random-id.ts';

const BUDGET_MS = 2000; // limits.readTimeout default
const NOTES = collection('notes', [field('title', 'text', { required: true }), field('body', 'text')], {
  list: 'owner = @auth.id', view: 'owner = @auth.id', create: '@auth.id != null', update: 'owner = @auth.id', delete: 'owner = @auth.id',
});
/** 40 needles that almost match a body of 10,000 'a's everywhere (1.7 KB of filter). */
const ATTACK = Array.from({ length: 40 }, (_, i) => `body ~ "${'a'.repeat(10 + i)}b"`).join(' || ');
const ATTACK_MS = 6000;

const percentile = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

eachDialect('one caller cannot stall the others: reads have a time budget', (t) => {
  let server: ChildServer;
  let token = '';
  before(async () => {
    const database = await t.freshDatabase();
    server = await startChildServer(database, { collections: [NOTES] });
    const creds = { email: 'scan@example.com', password: 'Quartz-Velvet-Harbor-93' };
    const post = (path: string, body: unknown) => fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await post('/api/auth/register', creds);
    const login = await (await post('/api/auth/login', creds)).json() as { token: string; account: { id: string } };
    token = login.token;
    // 1,000 notes of 10,000 characters, written directly (the server reads them like any others).
    const db = await openDatabase(database);
    try {
      const now = new Date().toISOString();
      const rows = Array.from({ length: 1000 }, (_, i) => ({ id: randomId(), created: now, updated: now, owner: login.account.id, title: `n${i}`, body: 'a'.repeat(10_000) }));
      for (let i = 0; i < rows.length; i += 100) await db.kysely.insertInto('notes').values(rows.slice(i, i + 100)).execute();
    } finally {
      await db.close();
    }
  });
  after(async () => { await server?.stop(); });

  test('health answers within 100 ms throughout; the attacker is answered within the budget', async () => {
    const headers = { authorization: `Bearer ${token}` };
    const url = `${server.url}/api/collections/notes/records?filter=${encodeURIComponent(ATTACK)}`;
    const attacks: { ms: number; status: number; code?: string; retryAfter: string | null }[] = [];
    const health: number[] = [];
    const attacker = async () => {
      while (Date.now() < until) {
        const start = performance.now();
        const res = await fetch(url, { headers });
        const body = await res.json() as { error?: { code: string } };
        attacks.push({ ms: performance.now() - start, status: res.status, code: body.error?.code, retryAfter: res.headers.get('retry-after') });
      }
    };
    const probe = async (into: number[], stop: number) => {
      while (Date.now() < stop) {
        const start = performance.now();
        const res = await fetch(`${server.url}/api/health`);
        await res.arrayBuffer();
        assert.equal(res.status, 200);
        into.push(performance.now() - start);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    // The same probe without the attack first: what this (possibly busy) machine gives anyway.
    const idle: number[] = [];
    await probe(idle, Date.now() + 1500);
    const prober = async () => {
      await new Promise((r) => setTimeout(r, 200)); // let the attack start
      await probe(health, until);
    };
    const until = Date.now() + ATTACK_MS;
    await Promise.all([attacker(), attacker(), attacker(), prober()]);
    const bound = Math.max(100, 3 * percentile(idle, 0.95));
    const report = `idle health p95=${percentile(idle, 0.95).toFixed(1)} ms (bound ${bound.toFixed(0)}); health n=${health.length} p50=${percentile(health, 0.5).toFixed(1)} p95=${percentile(health, 0.95).toFixed(1)} max=${Math.max(...health).toFixed(1)} ms; ` +
      `attacks n=${attacks.length} max=${Math.max(...attacks.map((a) => a.ms)).toFixed(0)} ms, statuses ${[...new Set(attacks.map((a) => `${a.status}${a.code ? ` ${a.code}` : ''}`))].join(', ')}`;
    process.stderr.write(`read-budget [${t.dialect}]: ${report}\n`);
    assert.ok(attacks.length >= 3 && health.length >= 20, report);
    // The event loop is never held by a scan: health stays within 100 ms (or 3× what the idle
    // probe got, on a machine so busy that idle health is slower) at the 95th percentile, which
    // absorbs a scheduling hiccup of a shared machine; before this issue it waited 3–10 s.
    assert.ok(percentile(health, 0.95) < bound, report);
    assert.ok(Math.max(...health) < 1000, report);
    for (const a of attacks) {
      assert.ok(a.ms < BUDGET_MS + 750, report);
      assert.ok(a.status === 200 || (a.status === 503 && a.code === 'ERR_QUERY_TIMEOUT' && a.retryAfter === '2'), report);
    }
  });
});
