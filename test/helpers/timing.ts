/**
 * Timing comparisons that hold on a busy machine. Load on a shared machine only ever adds time,
 * so the low quantile of many interleaved samples estimates each path's own cost, while a median
 * moves with whatever else happens to run beside one half of the samples. Samples of the two
 * paths alternate (a, b, a, b…), so a burst of load lands on both. When the ratio falls outside
 * the band, more rounds are taken (bounded) and the estimate is recomputed over all samples:
 * a real difference (a missing dummy hash makes one path ~100× faster) stays outside the band
 * however many samples are added, while noise converges back into it.
 */
export interface RatioOptions {
  /** Pairs per round. */
  readonly pairs?: number;
  /** Rounds at most (each adds `pairs` samples per path). */
  readonly rounds?: number;
  /** The band the ratio b/a must fall in. */
  readonly low: number;
  readonly high: number;
  /** Quantile used as each path's cost (0 = minimum). */
  readonly quantile?: number;
}

export interface RatioResult {
  readonly ratio: number;
  readonly samples: number;
  readonly a: number;
  readonly b: number;
}

const quantileOf = (xs: readonly number[], q: number): number => {
  const sorted = [...xs].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};

async function elapsed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

/** The ratio cost(b)/cost(a), re-measured with more samples while it is outside [low, high]. */
export async function timingRatio(a: () => Promise<unknown>, b: () => Promise<unknown>, opts: RatioOptions): Promise<RatioResult> {
  const pairs = opts.pairs ?? 8;
  const rounds = opts.rounds ?? 4;
  const q = opts.quantile ?? 0.25;
  const as: number[] = [];
  const bs: number[] = [];
  let result: RatioResult = { ratio: NaN, samples: 0, a: NaN, b: NaN };
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < pairs; i++) {
      // Alternate which path goes first so neither always follows the other.
      if (i % 2 === 0) { as.push(await elapsed(a)); bs.push(await elapsed(b)); }
      else { bs.push(await elapsed(b)); as.push(await elapsed(a)); }
    }
    const ca = quantileOf(as, q);
    const cb = quantileOf(bs, q);
    result = { ratio: cb / ca, samples: as.length, a: ca, b: cb };
    if (result.ratio > opts.low && result.ratio < opts.high) return result;
  }
  return result;
}
