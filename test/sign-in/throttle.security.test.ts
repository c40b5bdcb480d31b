// Attack: an online password-guessing attacker hammers one account (from one IP or from 1,000), or stuffs leaked credentials across many accounts, and tries to lock the real owner out on the way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { DbThrottleStore } from '../../src/core/auth/throttle/db-throttle-store.ts';
import { THROTTLE } from '../../src/core/auth/throttle/login-throttle.ts';
import { scenario } from './throttle-scenario.ts';

test('the delay is capped at 15 minutes', () => {
  assert.equal(THROTTLE.accountMaxDelayMs, 15 * 60_000);
  assert.equal(THROTTLE.baseDelayMs * 2 ** 10 > THROTTLE.accountMaxDelayMs, true);
});

eachDialect('sign-in throttling, database store', (t) => {
  scenario('database store', (db) => new DbThrottleStore(db), () => t.freshDatabase(), 1000);
});

