// One segment of the chain checked by a verify worker (audit-verify-worker.mjs). Plain JS so a
// worker thread loads it without a TypeScript loader; audit-verify.ts holds the semantics.

const PAGE = 2000; // links per query: large enough that a query's cost vanishes, small enough to stay in cache

/**
 * Checks seq lo..hi: consecutive seqs, each link's HMAC over the previous stored hash, and the
 * hashes that signed checkpoints expect. `segment.prevHash` is the hash before lo (the chain's
 * base for the first segment); null means read it (row lo - 1, which the segment before checks).
 * Stops at the first anomaly and returns { anomaly, lastSeq, lastHash, firstPrev, checked }:
 * anomaly is the first seq that did not check (null when all did), lastSeq/lastHash the last link
 * that did (lo - 1 and firstPrev when none did).
 */
export async function verifySegment(source, checkers, segment, onProgress) {
  const { lo, hi } = segment;
  const expected = new Map(segment.expected);
  const firstPrev = segment.prevHash ?? (await source.hashAt(lo - 1)) ?? null;
  let prev = firstPrev;
  let want = lo;
  const stop = (pending) => {
    pending?.catch(() => undefined);
    return { anomaly: want, lastSeq: want - 1, lastHash: prev, firstPrev, checked: want - lo };
  };
  if (prev === null) return stop(null);
  let pending = source.page(lo - 1, hi, PAGE);
  let sinceProgress = 0;
  while (want <= hi) {
    const links = await pending;
    if (links.length === 0) return stop(null);
    const lastInPage = links[links.length - 1][0];
    // the next page is asked for before this one is checked (PostgreSQL answers meanwhile)
    pending = links.length === PAGE && lastInPage < hi ? source.page(lastInPage, hi, PAGE) : null;
    for (let i = 0; i < links.length; i++) {
      const link = links[i];
      const seq = link[0];
      const hash = link[2];
      if (seq !== want) return stop(pending);
      const checker = checkers.get(link[3]);
      if (checker === undefined || !checker.check(prev, link[1], hash)) return stop(pending);
      const cp = expected.get(seq);
      if (cp !== undefined && cp !== hash) return stop(pending);
      prev = hash;
      want++;
    }
    sinceProgress += links.length;
    if (onProgress && sinceProgress >= 50_000) {
      onProgress(sinceProgress);
      sinceProgress = 0;
    }
    if (pending === null && want <= hi) return stop(null);
  }
  if (onProgress && sinceProgress > 0) onProgress(sinceProgress);
  return { anomaly: null, lastSeq: hi, lastHash: prev, firstPrev, checked: hi - lo + 1 };
}
