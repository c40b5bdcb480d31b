// Attack: an anonymous attacker learns which emails have accounts from what login or registration answers, or from how long they take.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { openTestApi, type TestApi } from '../helpers/test-engine.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { runSystemMigrations } from '../../src/db/migrate/system-migrations.ts';
import { testAccounts, PW } from '../helpers/sign-in.ts';

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

eachDialect('no user enumeration by timing', (t) => {
  if (t.dialect !== 'sqlite') return; // one dialect: the property is the hash work, and the suite's time is bounded
  test(`login and register: medians over ${TRIES} interleaved tries per case differ by under 5 ms`, async (tc) => {
    const db = await openDatabase(await t.freshDatabase());
    await runSystemMigrations(db);
    let clock = Date.parse('2032-01-01T00:00:00Z');
    // The clock jumps an hour per try, so no try is throttled: this measures the password path.
    const accounts = testAccounts(db, { now: () => new Date(clock), sessionIdleSeconds: 86400, sessionTtlSeconds: 86400 * 30 });
    try {
      await accounts.register('known@example.com', PW.alice);
      const time = async (fn: () => Promise<unknown>) => {
        clock += 3600_000;
        const s = performance.now();
        await fn().catch(() => undefined);
        return performance.now() - s;
      };
      for (let i = 0; i < 5; i++) await time(() => accounts.login('known@example.com', 'Wrong-Password-1'));
      const login = { known: [] as number[], unknown: [] as number[] };
      const register = { fresh: [] as number[], taken: [] as number[] };
      for (let i = 0; i < TRIES; i++) {
        const ip = `10.6.${i >> 8}.${i & 255}`;
        // Alternating order so both cases see the same background load.
        const pair = [
          async () => login.known.push(await time(() => accounts.login('known@example.com', 'Wrong-Password-1', { ip }))),
          async () => login.unknown.push(await time(() => accounts.login(`unknown${i}@example.com`, 'Wrong-Password-1', { ip }))),
          async () => register.fresh.push(await time(() => accounts.register(`new${i}@example.com`, PW.bob))),
          async () => register.taken.push(await time(() => accounts.register('known@example.com', PW.bob))),
        ];
        const order = i % 2 === 0 ? [0, 1, 2, 3] : [1, 0, 3, 2];
        for (const j of order) await pair[j]();
      }
      const dl = Math.abs(median(login.known) - median(login.unknown));
      const dr = Math.abs(median(register.fresh) - median(register.taken));
      const report = `login known ${median(login.known).toFixed(1)} / unknown ${median(login.unknown).toFixed(1)} ms; register fresh ${median(register.fresh).toFixed(1)} / taken ${median(register.taken).toFixed(1)} ms`;
      tc.diagnostic(report);
      assert.ok(median(login.known) > 5, `the hash is real work: ${report}`);
      assert.ok(dl < 5, report);
      assert.ok(dr < 5, report);
      const count = await db.kysely.selectFrom('_sb_accounts').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      assert.equal(Number(count.n), TRIES + 1, 'taken registrations created nothing');
    } finally {
      await db.close();
    }
  });
});
