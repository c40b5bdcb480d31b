import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CACHE_BUDGET, DEFAULT_CACHE_MEMORY, cacheShares } from '../../src/util/cache-budget.ts';

const MiB = 1024 * 1024;

test('every cache share scales with limits.cacheMemory, never below 64 KiB, and they sum within the total', () => {
  for (const total of [4 * MiB, DEFAULT_CACHE_MEMORY, 1024 * MiB]) {
    const shares = cacheShares(total);
    assert.deepEqual(Object.keys(shares).sort(), Object.keys(CACHE_BUDGET).sort(), 'a share for every cache, the session and scan-shape caches included');
    for (const [name, bytes] of Object.entries(shares)) {
      const want = Math.max(64 * 1024, Math.floor(CACHE_BUDGET[name as keyof typeof CACHE_BUDGET] * total / DEFAULT_CACHE_MEMORY));
      assert.equal(bytes, want, `${name} at ${total / MiB} MiB`);
    }
    if (total >= DEFAULT_CACHE_MEMORY) assert.ok(Object.values(shares).reduce((a, b) => a + b, 0) <= total);
  }
  assert.equal(cacheShares(4 * MiB).sessions, 128 * 1024, 'the session cache shrinks with a small budget');
});
