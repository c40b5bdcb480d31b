// Attack: an anonymous attacker learns which emails have accounts from what login or registration answers, or from how long they take.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { openTestApi, type TestApi } from '../helpers/test-engine.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { runSystemMigrations } from '../../src/db/migrate/system-migrations.ts';
import { testAccounts, PW } from '../helpers/sign-in.ts';
import type { Database } from '../../src/db/database.ts';
import type { AccountService } from '../../src/core/auth/account-service.ts';

const TRIES = 200; // per case
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

eachDialect('no user enumeration over HTTP', (t) => {
  let api: TestApi;
  before(async () => {
    api = await openTestApi(await t.freshDatabase());
    await api.engine.accounts.register('known@example.com', PW.alice);
  });
  after(async () => { await api.close(); });

  const post = (url: string, payload: unknown, remoteAddress: string) => api.inject({ method: 'POST', url, payload: payload as object, remoteAddress });

  test('login: a wrong password and an unknown account get the same status and body, also once throttled', async () => {
    for (let round = 0; round < 8; round++) {
      const known = await post('/api/auth/login', { email: 'known@example.com', password: 'Wrong-Password-123' }, `10.3.0.${round}`);
      const unknown = await post('/api/auth/login', { email: 'unknown@example.com', password: 'Wrong-Password-123' }, `10.4.0.${round}`);
      assert.equal(known.statusCode, unknown.statusCode, `round ${round}`);
      assert.equal(known.body, unknown.body);
      assert.equal(known.headers['retry-after'], unknown.headers['retry-after']);
      assert.equal(known.headers['set-cookie'], undefined);
      if (round >= 5) assert.equal(known.statusCode, 429, 'both throttled alike after five failures');
    }
  });

  test('register: a taken email answers exactly like a fresh one (status, keys, shape) and never creates a second account', async () => {
    const fresh = await post('/api/auth/register', { email: 'fresh@example.com', password: PW.bob }, '10.5.0.1');
    const taken = await post('/api/auth/register', { email: 'Known@Example.com', password: PW.bob }, '10.5.0.2');
    assert.equal(fresh.statusCode, 201);
    assert.equal(taken.statusCode, fresh.statusCode);
    const shape = (b: string) => JSON.stringify(JSON.parse(b), (k, v) => (k === 'id' ? 'ID' : k === 'email' ? 'EMAIL' : v));
    assert.equal(shape(taken.body), shape(fresh.body));
    assert.match(taken.json().account.id, /^[A-Za-z0-9_-]{20}$/);
    const rows = await api.engine.db.kysely.selectFrom('_sb_accounts').select(['id', 'password_hash']).where('email', '=', 'known@example.com').execute();
    assert.equal(rows.length, 1);
    assert.notEqual(rows[0].id, taken.json().account.id, 'the real id is not revealed');
    // The taken email's password was not changed to the attacker's.
    await api.engine.accounts.throttle.clearAccount('known@example.com');
    const login = await post('/api/auth/login', { email: 'known@example.com', password: PW.bob }, '10.5.0.3');
    assert.equal(login.statusCode, 401);
  });
});

/** Interleaved timing of two paths (order alternating per pair), with bounded extra rounds. */
async function compare(tc: { diagnostic(m: string): void }, label: string, a: (i: number) => Promise<unknown>, b: (i: number) => Promise<unknown>): Promise<void> {
  const xs: number[] = [];
  const ys: number[] = [];
  const time = async (fn: () => Promise<unknown>) => {
    const s = performance.now();
    await fn().catch(() => undefined);
    return performance.now() - s;
  };
  const began = performance.now();
  let n = 0;
  const round = async () => {
    for (let k = 0; k < TRIES; k++, n++) {
      const i = n;
      if (i % 2 === 0) {
        xs.push(await time(() => a(i)));
        ys.push(await time(() => b(i)));
      } else {
        ys.push(await time(() => b(i)));
        xs.push(await time(() => a(i)));
      }
    }
  };
  // Compared: the medians, and the median of the per-pair differences (robust to load from the
  // rest of the suite drifting during the run). A miss takes another round, at most 3, and none
  // once a minute has passed (the test's time stays bounded on a loaded machine).
  const gap = () => Math.min(Math.abs(median(xs) - median(ys)), Math.abs(median(xs.map((x, i) => x - ys[i]))));
  await round();
  for (let r = 1; r < 3 && gap() >= 5 && performance.now() - began < 60_000; r++) await round();
  const report = `${label}: ${n} tries per case, medians ${median(xs).toFixed(1)} / ${median(ys).toFixed(1)} ms, paired ${median(xs.map((x, i) => x - ys[i])).toFixed(1)} ms`;
  tc.diagnostic(report);
  assert.ok(median(xs) > 5, `the hash is real work: ${report}`);
  assert.ok(gap() < 5, report);
}

eachDialect('no user enumeration by timing', (t) => {
  if (t.dialect !== 'sqlite') return; // one dialect: the property is the hash work, and the suite's time is bounded
  let db: Database;
  let accounts: AccountService;
  let clock = Date.parse('2032-01-01T00:00:00Z');
  before(async () => {
    db = await openDatabase(await t.freshDatabase());
    await runSystemMigrations(db);
    // The clock moves an hour per call, so no try is throttled: this measures the password path.
    accounts = testAccounts(db, { now: () => new Date((clock += 3600_000)), sessionIdleSeconds: 86400, sessionTtlSeconds: 86400 * 30 });
    await accounts.register('known@example.com', PW.alice);
    for (let i = 0; i < 5; i++) await accounts.login('known@example.com', 'Wrong-Password-1').catch(() => undefined);
  });
  after(async () => { await db.close(); });

  test(`login: a wrong password and an unknown account, ${TRIES}+ interleaved tries each, medians differ by under 5 ms`, async (tc) => {
    await compare(tc, 'login known / unknown',
      (i) => accounts.login('known@example.com', 'Wrong-Password-1', { ip: `10.6.${(i >> 8) & 255}.${i & 255}` }),
      (i) => accounts.login(`unknown${i}@example.com`, 'Wrong-Password-1', { ip: `10.7.${(i >> 8) & 255}.${i & 255}` }));
  });

  test(`register: a fresh and a taken email, ${TRIES}+ interleaved tries each, medians differ by under 5 ms; nothing created for the taken one`, async (tc) => {
    let fresh = 0;
    await compare(tc, 'register fresh / taken',
      (i) => { fresh++; return accounts.register(`new${i}@example.com`, PW.bob); },
      () => accounts.register('known@example.com', PW.bob));
    const count = await db.kysely.selectFrom('_sb_accounts').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    assert.equal(Number(count.n), fresh + 1, 'taken registrations created nothing');
  });
});
