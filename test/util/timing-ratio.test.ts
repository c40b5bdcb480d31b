import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { timingRatio } from '../helpers/timing.ts';

// The helper must keep what a timing test proves: a path 100x cheaper stays outside the band even
// when half of the other path's samples are slowed by load, and equal paths stay inside it.
test('timingRatio: load on some samples of one path does not move the estimate out of the band', async () => {
  let n = 0;
  // every other sample of b is 5x slower (a neighbour burning CPU), as the flaky run saw
  const r = await timingRatio(() => sleep(8), () => sleep(n++ % 2 === 0 ? 40 : 8), { low: 0.33, high: 3, pairs: 6, rounds: 2 });
  assert.ok(r.ratio > 0.33 && r.ratio < 3, `ratio ${r.ratio}`);
});

test('timingRatio: a path 100x cheaper is caught however many rounds are added', async () => {
  const r = await timingRatio(() => sleep(30), () => Promise.resolve(), { low: 0.33, high: 3, pairs: 4, rounds: 3 });
  assert.ok(r.ratio < 0.1, `ratio ${r.ratio}`);
  assert.equal(r.samples, 12, 'all rounds were used before giving up');
});
