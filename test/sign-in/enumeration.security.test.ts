// Attack: an anonymous attacker learns which emails have accounts from what login or registration answers, or from how long they take.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { openTestApi, type TestApi } from '../helpers/test-engine.ts';
import { PW } from '../helpers/sign-in.ts';


eachDialect('no user enumeration over HTTP', (t) => {
  let api: TestApi;
  before(async () => {
    // A frozen clock: on a loaded machine a 1 s delay could otherwise pass between two tries.
    const frozen = new Date('2032-06-01T00:00:00Z');
    api = await openTestApi(await t.freshDatabase(), { now: () => frozen });
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
