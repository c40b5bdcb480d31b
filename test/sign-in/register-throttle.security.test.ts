// Attack: one address registers account after account (spam) or walks a list of emails through registration (enumeration), each try costing the server an argon2 hash, with no bound.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { openTestApi, rowCounts, type TestApi } from '../helpers/test-engine.ts';
import { PW } from '../helpers/sign-in.ts';
import { REGISTRATION } from '../../src/core/auth/throttle/registration-throttle.ts';
import type { DatabaseConfig } from '../../src/config/config.ts';

const PER_IP = 10;
const ATTACKER = '203.0.113.7';
const HONEST = '198.51.100.20';
const TAKEN = 'victim@example.com';

eachDialect('registration is bounded per address', (t) => {
  let db: DatabaseConfig;
  let api: TestApi;
  let second: TestApi;
  let now = Date.parse('2026-03-02T08:00:00Z');
  const clock = () => new Date(now);
  // The database store on both dialects: what several instances share.
  const opts = { now: clock, auth: { registerPerIp: PER_IP, throttleStore: 'database' as const } };
  before(async () => {
    db = await t.freshDatabase();
    api = await openTestApi(db, opts);
    second = await openTestApi(db, opts); // another instance on the same database
    await api.engine.accounts.register(TAKEN, PW.alice);
  });
  after(async () => {
    await second.close();
    await api.close();
  });

  let n = 0;
  const register = (email: string, ip: string, via: TestApi = api, password: string = PW.other) =>
    via.inject({ method: 'POST', url: '/api/auth/register', remoteAddress: ip, payload: { email, password } });
  const fresh = () => `spam${n++}@example.com`;
  const accounts = async () => (await rowCounts(api.engine, ['_sb_accounts']))._sb_accounts;
  const nextWindow = () => { now += REGISTRATION.windowMs + 1000; };

  test('200 tries over two hours from one address, taken and fresh emails alternating: at most 10 per hour pass', async () => {
    const start = await accounts();
    let passed = 0;
    for (let i = 0; i < 200; i++) {
      const res = await register(i % 2 === 0 ? TAKEN : fresh(), ATTACKER);
      if (res.statusCode === 201) passed++;
      else {
        assert.equal(res.statusCode, 429, res.body);
        assert.equal(res.json().error.code, 'ERR_THROTTLED');
        assert.match(String(res.headers['retry-after']), /^\d+$/);
      }
      now += 36_000; // 200 × 36 s = 2 h
    }
    assert.equal(passed, 2 * PER_IP, 'one window from the first try, then the next: 10 each');
    // Only the fresh emails among those that passed created accounts; the taken one never twice.
    assert.equal(await accounts() - start, PER_IP);
    nextWindow();
  });

  test('the bound reveals nothing: a taken email and a fresh one use the same slot and get the same 201 and the same 429', async () => {
    const answers = async (first: () => string, last: () => string, ip: string) => {
      const ok: { status: number; keys: string[] }[] = [];
      for (let i = 0; i < PER_IP; i++) {
        const r = await register(first(), ip);
        ok.push({ status: r.statusCode, keys: Object.keys(r.json().account).sort() });
      }
      const denied = await register(last(), ip);
      return { ok, denied: { status: denied.statusCode, body: denied.body, retry: denied.headers['retry-after'] } };
    };
    const takenThenFresh = await answers(() => TAKEN, fresh, '192.0.2.10');
    const freshThenTaken = await answers(fresh, () => TAKEN, '192.0.2.11');
    assert.deepEqual(takenThenFresh, freshThenTaken);
    assert.deepEqual(takenThenFresh.ok[0], { status: 201, keys: ['email', 'id', 'role'] });
    assert.equal(takenThenFresh.denied.status, 429);
    assert.equal(takenThenFresh.denied.retry, String(REGISTRATION.windowMs / 1000));
  });

  test('during the attack an honest user from another address registers at once; refused passwords cost no slot', async () => {
    for (let i = 0; i < PER_IP + 1; i++) await register(fresh(), ATTACKER);
    assert.equal((await register(fresh(), ATTACKER)).statusCode, 429, 'the attacker is bounded');
    for (let i = 0; i < 2 * PER_IP; i++) assert.equal((await register('honest@example.com', HONEST, api, 'password1234')).statusCode, 400);
    const res = await register('honest@example.com', HONEST);
    assert.equal(res.statusCode, 201, res.body);
    const row = await api.engine.db.kysely.selectFrom('_sb_accounts').select('id').where('email', '=', 'honest@example.com').executeTakeFirst();
    assert.equal(row?.id, res.json().account.id);
    nextWindow();
  });

  test('instances share the count through the database, and an IPv6 /64 is one address', async () => {
    for (let i = 0; i < PER_IP / 2; i++) {
      assert.equal((await register(fresh(), '2001:db8:7:7::1', api)).statusCode, 201);
      assert.equal((await register(fresh(), `2001:db8:7:7::${i + 2}`, second)).statusCode, 201);
    }
    assert.equal((await register(fresh(), '2001:db8:7:7:ffff:ffff:ffff:ffff', api)).statusCode, 429);
    assert.equal((await register(fresh(), '2001:db8:7:7::99', second)).statusCode, 429);
    assert.equal((await register(fresh(), '2001:db8:7:8::1', second)).statusCode, 201, 'the next /64 is another address');
  });

  test('the bound ends on its own when its window does', async () => {
    const ip = '192.0.2.99';
    for (let i = 0; i < PER_IP; i++) await register(fresh(), ip);
    const denied = await register(fresh(), ip);
    assert.equal(denied.statusCode, 429);
    // Audited as a denied attempt from that address, naming no email.
    const rows = await api.engine.db.kysely.selectFrom('_sb_audit').selectAll().where('action', '=', 'auth.throttled').where('ip', '=', ip).execute();
    assert.equal(rows.length, 1);
    assert.equal(rows[0].outcome, 'denied');
    assert.deepEqual(JSON.parse(String(rows[0].details)), { route: 'register' });
    now += Number(denied.headers['retry-after']) * 1000;
    assert.equal((await register(fresh(), ip)).statusCode, 201);
  });
});
