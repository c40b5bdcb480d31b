import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hash } from '@node-rs/argon2';
import { eachDialect } from '../helpers/dialects.ts';
import { timingRatio } from '../helpers/timing.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { runSystemMigrations } from '../../src/db/migrate/system-migrations.ts';
import type { AccountService } from '../../src/core/auth/account-service.ts';
import { testAccounts, PW } from '../helpers/sign-in.ts';
import { hashSessionToken } from '../../src/crypto/session-token.ts';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';
import type { Database } from '../../src/db/database.ts';

function code(err: unknown): string {
  assert.ok(err instanceof StrongboxError, `expected StrongboxError, got ${String(err)}`);
  return err.code;
}

eachDialect('AccountService', (t) => {
  let db: Database;
  let now = new Date('2030-01-01T00:00:00.000Z');
  let accounts: AccountService;

  before(async () => {
    db = await openDatabase(await t.freshDatabase());
    await runSystemMigrations(db);
    accounts = testAccounts(db, { sessionTtlSeconds: 3600, sessionIdleSeconds: 3600, now: () => now });
  });
  after(async () => { await db.close(); });

  const sessions = async () => (await db.kysely.selectFrom('_sb_sessions').selectAll().execute()) as Record<string, string>[];

  test('register normalizes the email, defaults the role to user and stores only an argon2id hash', async () => {
    const a = await accounts.register('  Alice@Example.COM ', PW.alice);
    assert.deepEqual(Object.keys(a).sort(), ['email', 'id', 'role']);
    assert.equal(a.email, 'alice@example.com');
    assert.equal(a.role, 'user');
    assert.match(a.id, /^[A-Za-z0-9_-]{20}$/);
    const row = await db.kysely.selectFrom('_sb_accounts').selectAll().where('id', '=', a.id).executeTakeFirstOrThrow();
    assert.match(row.password_hash, /^p1\$argon2id\$/);
    assert.ok(!String(row.password_hash).includes(PW.alice));
  });

  test('register of a taken email (any case) answers like a fresh one and creates nothing; bad input gets per-field reasons', async () => {
    const again = await accounts.register('ALICE@example.com', PW.other);
    assert.deepEqual(Object.keys(again).sort(), ['email', 'id', 'role']);
    assert.equal(again.email, 'alice@example.com');
    const alice = await db.kysely.selectFrom('_sb_accounts').select('id').where('email', '=', 'alice@example.com').execute();
    assert.equal(alice.length, 1);
    assert.notEqual(alice[0].id, again.id, 'a fresh-looking id, not the real one');
    for (const [email, password, field] of [
      ['not-an-email', 'long-enough', 'email'],
      ['a@b', 'long-enough', 'email'],
      [`${'x'.repeat(250)}@example.com`, 'long-enough', 'email'],
      ['bob@example.com', 'x'.repeat(4097), 'password'],
      [42, 'long-enough', 'email'],
      ['a\u0000@x.io', 'long-enough', 'email'],
      ['a\u0001\u001b@x.io', 'long-enough', 'email'],
      ['a\ud800@x.io', 'long-enough', 'email'],
      ['a\u202e@x.io', 'long-enough', 'email'],
      ['bob@example.com\n', 'long-enough', 'email'],
      ['bob@example.com', null, 'password'],
    ] as const) {
      await assert.rejects(accounts.register(email, password), (e) => {
        assert.equal(code(e), 'ERR_VALIDATION');
        assert.ok((e as StrongboxError).details?.fields?.[field], `${String(email)}: ${field}`);
        return true;
      });
    }
    await assert.rejects(accounts.register('bob@example.com', 'short'), (e) => code(e) === 'ERR_PASSWORD_POLICY');
    const count = await db.kysely.selectFrom('_sb_accounts').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 1, 'nothing written by refused registrations');
  });

  test('createAdmin makes an admin', async () => {
    const a = await accounts.createAdmin('root@example.com', PW.admin);
    assert.equal(a.role, 'admin');
    assert.deepEqual(await accounts.me({ id: a.id, role: 'admin', email: a.email }), a);
  });

  test('every login issues a new token, stored only as its SHA-256', async () => {
    const one = await accounts.login('alice@example.com', PW.alice);
    const two = await accounts.login('ALICE@example.com ', PW.alice);
    assert.notEqual(one.token, two.token);
    assert.match(one.token, /^[A-Za-z0-9_-]{43}$/);
    const rows = await sessions();
    const hashes = rows.map((r) => r.token_hash);
    assert.ok(hashes.includes(hashSessionToken(one.token)) && hashes.includes(hashSessionToken(two.token)));
    const dump = JSON.stringify(rows);
    assert.ok(!dump.includes(one.token) && !dump.includes(two.token), 'raw token never stored');
    const ctx = await accounts.authenticate(one.token);
    assert.deepEqual({ ...ctx?.caller }, { id: one.account.id, email: 'alice@example.com', role: 'user' });
  });

  test('a wrong password, an unknown account and junk emails give the same error; junk passwords a 400 for everyone', async () => {
    for (const [email, password] of [
      ['alice@example.com', 'x'.repeat(5000)],
      ['nobody@example.com', 'x'.repeat(5000)],
      [{ $ne: null }, { $ne: null }],
      ['alice@example.com', 'a\u0000b'],
      [undefined, undefined],
    ]) {
      await assert.rejects(accounts.login(email, password), (e) => code(e) === 'ERR_VALIDATION');
    }
    let ip = 0;
    for (const [email, password] of [
      ['alice@example.com', 'wrong-password'],
      ['nobody@example.com', PW.alice],
      ['not an email', PW.alice],
      ['alice@example.com\u0000', PW.alice],
      ['alice@example.com\n', PW.alice],
      ['alice@example.com\u200b', PW.alice],
      ['a\u0001\u001b@x.io', PW.alice],
      ['a\ud800@x.io', PW.alice],
    ]) {
      await accounts.throttle.clearAccount(String(email));
      await assert.rejects(accounts.login(email, password, { ip: `10.0.0.${ip++}` }), (e) => {
        assert.equal(code(e), 'ERR_INVALID_CREDENTIALS');
        assert.equal((e as Error).message, 'The email or password is incorrect.');
        return true;
      });
    }
  });

  // Without the dummy verify the unknown path is ~100x faster (one indexed SELECT), so a band of
  // [0.33, 3] on low-quantile costs of interleaved samples still catches it by a wide margin;
  // timingRatio (test/helpers/timing.ts) adds rounds while noise pushes the ratio out of the band.
  test('wrong password and unknown account take about the same time (dummy hash)', async () => {
    await accounts.login('nobody@example.com', 'wrong-password').catch(() => undefined); // warm the dummy hash
    let i = 0;
    // Each try from its own address with the account's counter cleared: this is about the hash, not the throttle.
    const attempt = async (email: string) => {
      await accounts.throttle.clearAccount(email);
      return accounts.login(email, 'wrong-password', { ip: `10.1.${(i >> 8) & 255}.${i++ & 255}` }).catch(() => undefined);
    };
    const r = await timingRatio(
      () => attempt('alice@example.com'),
      () => attempt(`nobody${i}@example.com`),
      { low: 0.33, high: 3 },
    );
    assert.ok(r.ratio > 0.33 && r.ratio < 3, `unknown/known time ratio ${r.ratio.toFixed(2)} over ${r.samples} samples`);
  });

  test('a malformed email still pays for a password verification (no fast reject)', async () => {
    let i = 0;
    const attempt = async (email: string) => {
      await accounts.throttle.clearAccount(email);
      return accounts.login(email, 'wrong-password', { ip: `10.2.${(i >> 8) & 255}.${i++ & 255}` }).catch(() => undefined);
    };
    const r = await timingRatio(
      () => attempt('alice@example.com'),
      () => attempt(`a\u0000${i}@x.io`),
      { low: 0.33, high: 3 },
    );
    assert.ok(r.ratio > 0.33 && r.ratio < 3, `malformed/known time ratio ${r.ratio.toFixed(2)} over ${r.samples} samples`);
  });

  test('logout deletes the session at once; malformed and unknown tokens are harmless', async () => {
    const { token } = await accounts.login('alice@example.com', PW.alice);
    assert.ok(await accounts.authenticate(token));
    await accounts.logout(token);
    assert.equal(await accounts.authenticate(token), null);
    assert.ok(!(await sessions()).some((r) => r.token_hash === hashSessionToken(token)));
    await accounts.logout('garbage');
    await accounts.logout(undefined);
    for (const bad of ['', 'x', "' OR '1'='1", 'a'.repeat(43), null, 7]) assert.equal(await accounts.authenticate(bad), null);
  });

  test('an expired session authenticates as nobody and its row is deleted', async () => {
    const { token } = await accounts.login('alice@example.com', PW.alice);
    now = new Date(now.getTime() + 3599_000);
    assert.ok(await accounts.authenticate(token), 'still valid 1 s before expiry');
    now = new Date(now.getTime() + 1000);
    assert.equal(await accounts.authenticate(token), null);
    assert.ok(!(await sessions()).some((r) => r.token_hash === hashSessionToken(token)));
  });

  test('last_seen is written when the minute changes, not on every request', async () => {
    now = new Date(Math.floor(now.getTime() / 60_000) * 60_000 + 60_000); // the start of a minute
    const { token } = await accounts.login('alice@example.com', PW.alice);
    const seen = async () => (await sessions()).find((r) => r.token_hash === hashSessionToken(token))?.last_seen;
    const loggedIn = now.toISOString();
    assert.equal(await seen(), loggedIn);
    now = new Date(now.getTime() + 59_000);
    assert.ok(await accounts.authenticate(token));
    assert.equal(await seen(), loggedIn, 'same minute: not written');
    now = new Date(now.getTime() + 1_000);
    assert.ok(await accounts.authenticate(token));
    assert.equal(await seen(), now.toISOString(), 'next minute: written');
  });

  test('an unpeppered hash with weaker parameters is upgraded (peppered, today\'s parameters) on the next successful login', async () => {
    const weak = await hash('legacy-password', { memoryCost: 8192, timeCost: 1, parallelism: 1 });
    await db.kysely.insertInto('_sb_accounts').values({
      id: 'legacyAccount0000000', email: 'legacy@example.com', password_hash: weak, role: 'user',
      created: now.toISOString(), updated: now.toISOString(), disabled: 0,
    }).execute();
    await accounts.login('legacy@example.com', 'legacy-password');
    const row = await db.kysely.selectFrom('_sb_accounts').select('password_hash').where('id', '=', 'legacyAccount0000000').executeTakeFirstOrThrow();
    assert.match(row.password_hash, /^p1\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    await accounts.login('legacy@example.com', 'legacy-password');
  });

  test('me refuses anonymous callers and deleted accounts', async () => {
    await assert.rejects(accounts.me({ id: null, role: null, email: null }), (e) => code(e) === 'ERR_UNAUTHENTICATED');
    await assert.rejects(accounts.me({ id: 'gone', role: 'user', email: 'x@y.z' }), (e) => code(e) === 'ERR_UNAUTHENTICATED');
  });
});
