import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { runSystemMigrations } from '../../src/db/migrate/system-migrations.ts';
import type { Database } from '../../src/db/database.ts';
import type { AccountService } from '../../src/core/auth/account-service.ts';
import { openTestApi, bearer, type TestApi } from '../helpers/test-engine.ts';
import { testAccounts, PW } from '../helpers/sign-in.ts';

const MIN = 60_000;

eachDialect('session lifetimes', (t) => {
  let db: Database;
  let clock = Date.parse('2033-01-01T00:00:00Z');
  let accounts: AccountService;
  before(async () => {
    db = await openDatabase(await t.freshDatabase());
    await runSystemMigrations(db);
    accounts = testAccounts(db, { now: () => new Date(clock), sessionIdleSeconds: 30 * 60, sessionTtlSeconds: 12 * 3600, maxSessions: 20 });
    await accounts.register('sam@example.com', PW.alice);
  });
  after(async () => { await db.close(); });
  const login = async () => (await accounts.login('sam@example.com', PW.alice, { ip: '192.0.2.10' })).token;

  test('idle timeout: 30 minutes without use ends a session; use keeps it alive', async () => {
    const token = await login();
    clock += 29 * MIN;
    assert.ok(await accounts.authenticate(token), 'used at 29 min');
    clock += 29 * MIN;
    assert.ok(await accounts.authenticate(token), 'used again 29 min later');
    clock += 31 * MIN;
    assert.equal(await accounts.authenticate(token), null, 'idle 31 min');
  });

  test('absolute timeout: 12 hours after sign-in, even when used all along', async () => {
    const token = await login();
    for (let i = 0; i < 24; i++) {
      clock += 29 * MIN;
      const alive = await accounts.authenticate(token);
      if (i < 24 && clock - Date.parse('2033-01-01T00:00:00Z') < 0) assert.fail();
      if ((i + 1) * 29 < 12 * 60) assert.ok(alive, `at ${(i + 1) * 29} min`);
      else assert.equal(alive, null, `at ${(i + 1) * 29} min`);
    }
  });

  test('at most 20 live sessions per account: the oldest ends first', async () => {
    clock += 13 * 60 * MIN;
    const tokens: string[] = [];
    for (let i = 0; i < 22; i++) {
      clock += 1000;
      tokens.push(await login());
    }
    assert.equal(await accounts.authenticate(tokens[0]), null);
    assert.equal(await accounts.authenticate(tokens[1]), null);
    for (const tk of tokens.slice(2)) assert.ok(await accounts.authenticate(tk));
    const n = await db.kysely.selectFrom('_sb_sessions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    assert.equal(Number(n.n), 20);
  });
});

eachDialect('session list and revocation over HTTP', (t) => {
  let api: TestApi;
  before(async () => {
    api = await openTestApi(await t.freshDatabase());
    await api.engine.accounts.register('ria@example.com', PW.alice);
    await api.engine.accounts.register('eve@example.com', PW.bob);
  });
  after(async () => { await api.close(); });
  const login = async (email = 'ria@example.com', password: string = PW.alice) =>
    (await api.inject({ method: 'POST', url: '/api/auth/login', headers: { 'user-agent': 'TestBrowser/1.0' }, payload: { email, password } })).json().token as string;

  test('GET /api/auth/sessions lists created, last seen, IP and user agent, marks the current one, and shows no token', async () => {
    const a = await login();
    const b = await login();
    const res = await api.inject({ method: 'GET', url: '/api/auth/sessions', headers: bearer(a) });
    assert.equal(res.statusCode, 200);
    const items = res.json().items as Record<string, unknown>[];
    assert.equal(items.length, 2);
    for (const s of items) {
      assert.deepEqual(Object.keys(s).sort(), ['created', 'current', 'id', 'ip', 'lastSeen', 'userAgent']);
      assert.equal(s.userAgent, 'TestBrowser/1.0');
      assert.equal(s.ip, '127.0.0.1');
    }
    assert.equal(items.filter((s) => s.current).length, 1);
    assert.ok(!res.body.includes(a) && !res.body.includes(b));
  });

  test('one session can be revoked; another account\'s session cannot; then all the others', async () => {
    const a = await login();
    const b = await login();
    const c = await login();
    const eve = await login('eve@example.com', PW.bob);
    const items = (await api.inject({ method: 'GET', url: '/api/auth/sessions', headers: bearer(a) })).json().items as { id: string; current: boolean }[];
    const eveItems = (await api.inject({ method: 'GET', url: '/api/auth/sessions', headers: bearer(eve) })).json().items as { id: string }[];
    const del = await api.inject({ method: 'DELETE', url: `/api/auth/sessions/${eveItems[0].id}`, headers: bearer(a) });
    assert.equal(del.statusCode, 404, 'not yours: as if it did not exist');
    assert.equal((await api.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(eve) })).statusCode, 200);
    const bId = items.find((s) => !s.current)!.id;
    assert.equal((await api.inject({ method: 'DELETE', url: `/api/auth/sessions/${bId}`, headers: bearer(a) })).statusCode, 204);
    const alive = async (tk: string) => (await api.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(tk) })).statusCode === 200;
    assert.equal([await alive(b), await alive(c)].filter(Boolean).length, 1, 'exactly the revoked one ended');
    const others = await api.inject({ method: 'POST', url: '/api/auth/sessions/revoke-others', headers: bearer(a) });
    assert.equal(others.statusCode, 200);
    assert.ok(await alive(a));
    assert.ok(!(await alive(b)) && !(await alive(c)));
    assert.ok(await alive(eve), 'other accounts untouched');
    assert.equal((await api.inject({ method: 'GET', url: '/api/auth/sessions' })).statusCode, 401);
  });
});
