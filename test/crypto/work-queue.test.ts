import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from '../../src/crypto/work-queue.ts';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';

const tick = () => new Promise((r) => setTimeout(r, 5));

test('never runs more jobs at once than it has slots, and runs them all', async () => {
  const q = new WorkQueue(2, 100);
  let running = 0;
  let peak = 0;
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => q.run(async () => {
    running++;
    peak = Math.max(peak, running);
    await tick();
    running--;
    return i;
  })));
  assert.equal(peak, 2);
  assert.deepEqual(results, Array.from({ length: 20 }, (_, i) => i));
});

test('a failing job frees its slot', async () => {
  const q = new WorkQueue(1, 10);
  await assert.rejects(q.run(async () => { throw new Error('boom'); }), /boom/);
  assert.equal(await q.run(async () => 7), 7);
});

test('past the waiting bound, callers get ERR_UNAVAILABLE instead of an unbounded queue', async () => {
  const q = new WorkQueue(1, 2);
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const held = [q.run(() => gate), q.run(async () => 1), q.run(async () => 2)];
  await assert.rejects(q.run(async () => 3), (err: unknown) => err instanceof StrongboxError && err.code === 'ERR_UNAVAILABLE');
  release();
  await Promise.all(held);
  assert.equal(await q.run(async () => 4), 4);
});
