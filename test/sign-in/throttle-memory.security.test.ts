// Attack: the same online guessing attack as throttle.security.test.ts, against the in-process counter store (one SQLite instance).
import { eachDialect } from '../helpers/dialects.ts';
import { MemoryThrottleStore } from '../../src/core/auth/throttle/throttle-store.ts';
import { scenario } from './throttle-scenario.ts';

eachDialect('sign-in throttling, in-process store', (t) => {
  if (t.dialect !== 'sqlite') return;
  scenario('in-process store', () => new MemoryThrottleStore(), () => t.freshDatabase(), 10_000);
});
