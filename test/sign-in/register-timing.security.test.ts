// Attack: an anonymous attacker learns which emails have accounts from how long a registration takes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { runSystemMigrations } from '../../src/db/migrate/system-migrations.ts';
import type { Database } from '../../src/db/database.ts';
import type { AccountService } from '../../src/core/auth/account-service.ts';
import { testAccounts, PW } from '../helpers/sign-in.ts';
import { compare, TRIES } from './timing-compare.ts';

eachDialect('no user enumeration by registration timing', (t) => {
  if (t.dialect !== 'sqlite') return; // one dialect: the property is the hash work, and the suite's time is bounded
  let db: Database;
  let accounts: AccountService;
  let clock = Date.parse('2032-01-01T00:00:00Z');
  // 400+ argon2 verifications: seconds on an idle machine, minutes on a shared busy one.
  before(async () => {
    db = await openDatabase(await t.freshDatabase());
    await runSystemMigrations(db);
    // The clock moves an hour per call, so no try is throttled: this measures the password path,
    // with the registration bound's bookkeeping (a new window each try) on for both cases.
    accounts = testAccounts(db, { now: () => new Date((clock += 3600_000)), sessionIdleSeconds: 86400, sessionTtlSeconds: 86400 * 30, registerPerIp: 10 });
    await accounts.register('known@example.com', PW.alice);
    for (let i = 0; i < 5; i++) await accounts.login('known@example.com', 'Wrong-Password-1').catch(() => undefined);
  });
  after(async () => { await db.close(); });

  test(`register: a fresh and a taken email, ${TRIES}+ interleaved tries each, medians differ by under 5 ms; nothing created for the taken one`, { timeout: 400_000 }, async (tc) => {
    let fresh = 0;
    await compare(tc, 'register fresh / taken',
      (i) => { fresh++; return accounts.register(`new${i}@example.com`, PW.bob); },
      () => accounts.register('known@example.com', PW.bob));
    const count = await db.kysely.selectFrom('_sb_accounts').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    assert.equal(Number(count.n), fresh + 1, 'taken registrations created nothing');
  });
});
