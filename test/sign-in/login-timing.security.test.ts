// Attack: an anonymous attacker learns which emails have accounts from how long a login takes.
import { test, before, after } from 'node:test';
import { eachDialect } from '../helpers/dialects.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { runSystemMigrations } from '../../src/db/migrate/system-migrations.ts';
import type { Database } from '../../src/db/database.ts';
import type { AccountService } from '../../src/core/auth/account-service.ts';
import { testAccounts, PW } from '../helpers/sign-in.ts';
import { compare, TRIES } from './timing-compare.ts';

eachDialect('no user enumeration by login timing', (t) => {
  if (t.dialect !== 'sqlite') return; // one dialect: the property is the hash work, and the suite's time is bounded
  let db: Database;
  let accounts: AccountService;
  let clock = Date.parse('2032-01-01T00:00:00Z');
  // 400+ argon2 verifications: seconds on an idle machine, minutes on a shared busy one.
  before(async () => {
    db = await openDatabase(await t.freshDatabase());
    await runSystemMigrations(db);
    // The clock moves an hour per call, so no try is throttled: this measures the password path.
    accounts = testAccounts(db, { now: () => new Date((clock += 3600_000)), sessionIdleSeconds: 86400, sessionTtlSeconds: 86400 * 30 });
    await accounts.register('known@example.com', PW.alice);
    for (let i = 0; i < 5; i++) await accounts.login('known@example.com', 'Wrong-Password-1').catch(() => undefined);
  });
  after(async () => { await db.close(); });

  test(`login: a wrong password and an unknown account, ${TRIES}+ interleaved tries each, medians differ by under 5 ms`, { timeout: 400_000 }, async (tc) => {
    await compare(tc, 'login known / unknown',
      (i) => accounts.login('known@example.com', 'Wrong-Password-1', { ip: `10.6.${(i >> 8) & 255}.${i & 255}` }),
      (i) => accounts.login(`unknown${i}@example.com`, 'Wrong-Password-1', { ip: `10.7.${(i >> 8) & 255}.${i & 255}` }));
  });
});
