// The attack scenarios of the throttle tests, run against each counter store.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/db/open-database.ts';
import { runSystemMigrations } from '../../src/db/migrate/system-migrations.ts';
import type { Database } from '../../src/db/database.ts';
import type { AccountService } from '../../src/core/auth/account-service.ts';
import { PasswordHasher } from '../../src/crypto/password-hasher.ts';
import type { ThrottleStore } from '../../src/core/auth/throttle/throttle-store.ts';
import { THROTTLE } from '../../src/core/auth/throttle/login-throttle.ts';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';
import { testAccounts, testPepper, PW } from '../helpers/sign-in.ts';

/** Counts every password check (real or dummy): the attacker's real budget. */
class CountingHasher extends PasswordHasher {
  checks = 0;
  override verify(stored: string, password: string) {
    this.checks++;
    return super.verify(stored, password);
  }
  override dummyVerify(password: string) {
    this.checks++;
    return super.dummyVerify(password);
  }
}

const HOUR = 3600_000;
const outcome = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof StrongboxError, String(e));
    return e.code;
  }
};

export function scenario(label: string, makeStore: (db: Database) => ThrottleStore, fresh: () => Promise<Parameters<typeof openDatabase>[0]>, attempts: number): void {
  let db: Database;
  let clock = Date.parse('2031-01-01T00:00:00Z');
  let hasher: CountingHasher;
  let accounts: AccountService;
  let ownerCookie: string;

  before(async () => {
    db = await openDatabase(await fresh());
    await runSystemMigrations(db);
    hasher = new CountingHasher(testPepper());
    accounts = testAccounts(db, { hasher, store: makeStore(db), now: () => new Date(clock), sessionIdleSeconds: 24 * 3600, sessionTtlSeconds: 30 * 86400 });
    await accounts.register('owner@example.com', PW.alice);
    for (let i = 0; i < 12; i++) await accounts.register(`user${i}@example.com`, PW.bob);
    // The owner signed in from their browser before the attack: it holds a device cookie.
    const r = await accounts.login('owner@example.com', PW.alice, { ip: '198.51.100.7' });
    assert.ok(r.deviceCookie);
    ownerCookie = r.deviceCookie;
  });
  after(async () => { await db.close(); });

  test(`${label}: ${attempts} wrong passwords from one IP in an hour get at most 20 password checks, each refusal a 429 with retryAfter`, { timeout: 300_000 }, async (tc) => {
    hasher.checks = 0;
    const start = clock;
    const codes = new Map<string, number>();
    for (let i = 0; i < attempts; i++) {
      clock = start + Math.floor((i * HOUR) / attempts);
      const err = await accounts.login('owner@example.com', `wrong-guess-${i}`, { ip: '203.0.113.9' }).catch((e: unknown) => e);
      assert.ok(err instanceof StrongboxError);
      codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
      if (err.code === 'ERR_THROTTLED') assert.ok(err.details!.retryAfter! >= 1 && err.details!.retryAfter! <= 3600);
    }
    tc.diagnostic(`${hasher.checks} password checks for ${attempts} attempts`);
    assert.ok(hasher.checks <= 20, `${hasher.checks} password checks`);
    assert.ok(hasher.checks >= THROTTLE.accountFree, 'the first attempts were checked (the test can fail)');
    assert.equal((codes.get('ERR_THROTTLED') ?? 0) + (codes.get('ERR_INVALID_CREDENTIALS') ?? 0), attempts);
  });

  test(`${label}: during that attack the owner with the device cookie signs in at once; without it (a new browser) they wait`, { timeout: 300_000 }, async () => {
    assert.equal(await outcome(accounts.login('owner@example.com', PW.alice, { ip: '203.0.113.9' })), 'ERR_THROTTLED', 'untrusted client: locked');
    assert.equal(await outcome(accounts.login('owner@example.com', PW.alice, { ip: '198.51.100.7', deviceCookie: ownerCookie })), 'ok');
    // Even from the attacker's own (blocked) address, e.g. behind the same NAT.
    assert.equal(await outcome(accounts.login('owner@example.com', PW.alice, { ip: '203.0.113.9', deviceCookie: ownerCookie })), 'ok');
  });

  test(`${label}: a forged, foreign or malformed device cookie is no cookie at all`, { timeout: 300_000 }, async () => {
    const [v, nonce, tag] = ownerCookie.split('.');
    // One full 6-bit character of the tag changed (the last one carries padding bits, and a fixed
    // replacement could equal the real tag by chance: about one run in a thousand did).
    const flipped = `${tag.slice(0, -2)}${tag.at(-2) === 'A' ? 'B' : 'A'}${tag.at(-1)}`;
    const forged = [`${v}.${nonce}.${flipped}`, `${v}.${'A'.repeat(22)}.${tag}`, 'v9.' + nonce + '.' + tag, 'garbage', ''];
    assert.notEqual(flipped, tag);
    const other = (await accounts.login('user0@example.com', PW.bob, { ip: '198.51.100.8' })).deviceCookie!;
    for (const cookie of [...forged, other]) {
      assert.equal(await outcome(accounts.login('owner@example.com', PW.alice, { ip: '192.0.2.1', deviceCookie: cookie })), 'ERR_THROTTLED', cookie.slice(0, 12));
    }
  });

  test(`${label}: the same attack spread over 1,000 IPs still cannot keep the owner out, nor buy more guesses`, { timeout: 300_000 }, async (tc) => {
    clock += 2 * HOUR; // the first attack's counters are gone
    hasher.checks = 0;
    const start = clock;
    const n = Math.min(attempts, 10_000);
    for (let i = 0; i < n; i++) {
      clock = start + Math.floor((i * HOUR) / n);
      await accounts.login('owner@example.com', `spread-guess-${i}`, { ip: `10.${(i % 1000) >> 8}.${i % 256}.1` }).catch(() => undefined);
      if (i % (n / 10) === 0) {
        assert.equal(await outcome(accounts.login('owner@example.com', PW.alice, { ip: '198.51.100.7', deviceCookie: ownerCookie })), 'ok', `owner at attempt ${i}`);
        hasher.checks--;
      }
    }
    tc.diagnostic(`${hasher.checks} password checks from 1,000 IPs`);
    assert.ok(hasher.checks <= 20, `${hasher.checks} password checks from 1,000 IPs`);
  });

  test(`${label}: one IP failing against many accounts (credential stuffing) is blocked for an hour, other IPs are not`, { timeout: 300_000 }, async () => {
    clock += 2 * HOUR;
    const ip = '198.18.0.1';
    for (let i = 0; i < THROTTLE.stuffingAccounts; i++) {
      assert.equal(await outcome(accounts.login(`user${i}@example.com`, 'leaked-password-x', { ip })), 'ERR_INVALID_CREDENTIALS');
    }
    assert.equal(await outcome(accounts.login('user11@example.com', PW.bob, { ip })), 'ERR_THROTTLED', 'even a right password from that IP');
    assert.equal(await outcome(accounts.login('user11@example.com', PW.bob, { ip: '198.18.0.2' })), 'ok');
    clock += THROTTLE.stuffingBlockMs + 1000;
    assert.equal(await outcome(accounts.login('user11@example.com', PW.bob, { ip })), 'ok', 'the block ends on its own');
  });

  test(`${label}: the account delay grows 1 s, 2 s, 4 s … and ends on its own; an admin can clear it`, { timeout: 300_000 }, async () => {
    clock += 2 * HOUR;
    const email = 'user5@example.com';
    let ip = 0;
    const wrong = () => outcome(accounts.login(email, 'not-the-password', { ip: `172.16.0.${ip++}` }));
    for (let i = 0; i < THROTTLE.accountFree; i++) assert.equal(await wrong(), 'ERR_INVALID_CREDENTIALS');
    for (const delayS of [1, 2, 4, 8]) {
      const e = await accounts.login(email, PW.bob, { ip: '172.16.1.1' }).catch((x: unknown) => x) as StrongboxError;
      assert.equal(e.code, 'ERR_THROTTLED');
      assert.equal(e.details?.retryAfter, delayS);
      clock += delayS * 1000;
      assert.equal(await wrong(), 'ERR_INVALID_CREDENTIALS');
    }
    assert.equal(await wrong(), 'ERR_THROTTLED');
    await accounts.throttle.clearAccount(email);
    assert.equal(await outcome(accounts.login(email, PW.bob, { ip: '172.16.1.1' })), 'ok', 'cleared by an admin');
  });
}

