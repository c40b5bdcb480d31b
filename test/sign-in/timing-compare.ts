import assert from 'node:assert/strict';

export const TRIES = 200; // per case
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Interleaved timing of two paths (order alternating per pair), with bounded extra rounds. */
export async function compare(tc: { diagnostic(m: string): void }, label: string, a: (i: number) => Promise<unknown>, b: (i: number) => Promise<unknown>): Promise<void> {
  const xs: number[] = [];
  const ys: number[] = [];
  const time = async (fn: () => Promise<unknown>) => {
    const s = performance.now();
    await fn().catch(() => undefined);
    return performance.now() - s;
  };
  const began = performance.now();
  let n = 0;
  const round = async () => {
    for (let k = 0; k < TRIES; k++, n++) {
      const i = n;
      if (i % 2 === 0) {
        xs.push(await time(() => a(i)));
        ys.push(await time(() => b(i)));
      } else {
        ys.push(await time(() => b(i)));
        xs.push(await time(() => a(i)));
      }
    }
  };
  // Compared: the medians, and the median of the per-pair differences (robust to load from the
  // rest of the suite drifting during the run). A miss takes another round, at most 3, and none
  // after 30 s (the test's time stays bounded on a loaded machine).
  const gap = () => Math.min(Math.abs(median(xs) - median(ys)), Math.abs(median(xs.map((x, i) => x - ys[i]))));
  await round();
  for (let r = 1; r < 3 && gap() >= Math.max(5, 0.05 * Math.min(median(xs), median(ys))) && performance.now() - began < 30_000; r++) await round();
  const report = `${label}: ${n} tries per case, medians ${median(xs).toFixed(1)} / ${median(ys).toFixed(1)} ms, paired ${median(xs.map((x, i) => x - ys[i])).toFixed(1)} ms`;
  tc.diagnostic(report);
  assert.ok(median(xs) > 5, `the hash is real work: ${report}`);
  // 5 ms is the bound (an idle machine's hash is ~30 ms). On a machine so loaded that one hash
  // takes ~200 ms, 5 ms is under 3% of a sample and load alone moves medians more: there the
  // bound is 5% of the median. A missing dummy hash is ~100% either way.
  const bound = Math.max(5, 0.05 * Math.min(median(xs), median(ys)));
  tc.diagnostic(`bound ${bound.toFixed(1)} ms`);
  assert.ok(gap() < bound, report);
}
