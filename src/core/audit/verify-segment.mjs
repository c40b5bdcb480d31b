// One segment (a chunk) of the chain checked by the fast verify, on a worker thread or the main
// thread (verify-thread.mjs). Plain JS so a worker thread loads it without a TypeScript loader;
// audit-verify.ts holds the semantics.
import { hexToLatin1, LEAD } from '../../crypto/chain-link-check.mjs';

const PAGE = 2000; // events per query: large enough that a query's cost vanishes, small enough to stay in cache
const PREFIX = '["strongbox-audit/1",'.length; // every encoding starts so; its seq follows
const MAX_DIGITS = 15; // a seq or key version beyond this is not a safe integer: not checked here

const isDigit = (c) => c >= 48 && c <= 57;

/**
 * Checks the records of one page (src/db/audit/audit-link-pages.mjs) from state.want on: each
 * record's seq is state.want, its key version has a checker, its HMAC over state.prev (the hash
 * before it, 32 latin1 chars) matches its stored hash, and that hash is the one a checkpoint
 * expects at its seq. Advances state.want and state.prev past every record that checks; returns
 * false at the first that does not.
 */
function checkPage(buf, count, checkers, expected, state) {
  let p = 0;
  for (let r = 0; r < count; r++) {
    let n = 0;
    for (let j = 0; j < 6; j++) {
      const d = buf[p + j];
      if (!isDigit(d)) return false;
      n = n * 10 + (d - 48);
    }
    const at = p + 6;
    const enc = at + LEAD;
    const close = enc + n - 1;
    if (n < PREFIX + 3 || close + 65 > buf.length || buf[close] !== 93) return false;
    // the seq: digits right after the prefix, then a comma
    let k = enc + PREFIX;
    let seq = 0;
    while (isDigit(buf[k]) && k - enc - PREFIX < MAX_DIGITS) seq = seq * 10 + (buf[k++] - 48);
    if (buf[k] !== 44 || k === enc + PREFIX || seq !== state.want) return false;
    // the key version: the digits between the last comma and the closing bracket
    let j = close - 1;
    while (isDigit(buf[j]) && close - 1 - j < MAX_DIGITS) j--;
    if (buf[j] !== 44 || j === close - 1) return false;
    let version = 0;
    for (let i = j + 1; i < close; i++) version = version * 10 + (buf[i] - 48);
    const checker = checkers.get(version);
    if (checker === undefined) return false;
    const tag = checker.check(buf, at, n, state.prev);
    if (tag === null) return false;
    const tagAt = enc + n;
    const want = expected.get(seq);
    if (want !== undefined && want !== buf.toString('latin1', tagAt, tagAt + 64)) return false;
    state.prev = tag;
    state.want = seq + 1;
    p = tagAt + 64;
  }
  return true;
}

/**
 * Checks seq lo..hi: consecutive seqs, each link's HMAC over the previous stored hash, and the
 * hashes that signed checkpoints expect (`expected`: seq → hash). `segment.prevHash` is the hash
 * before lo (the chain's base for the first segment); null means read it (row lo - 1, which the
 * segment before checks). Stops at the first anomaly and returns { anomaly, lastSeq, lastHash,
 * firstPrev, checked }: anomaly is the first seq that did not check (null when all did),
 * lastSeq/lastHash the last link that did (lo - 1 and firstPrev when none did).
 */
export async function verifySegment(source, checkers, segment, expected) {
  const { lo, hi } = segment;
  const firstPrev = segment.prevHash ?? (await source.hashAt(lo - 1)) ?? null;
  const state = { want: lo, prev: hexToLatin1(firstPrev) };
  const stop = (pending) => {
    pending?.catch(() => undefined);
    const lastHash = state.want === lo ? firstPrev : Buffer.from(state.prev, 'latin1').toString('hex');
    return { anomaly: state.want, lastSeq: state.want - 1, lastHash, firstPrev, checked: state.want - lo };
  };
  if (state.prev === null) return stop(null);
  let pending = source.page(lo - 1, hi, PAGE);
  while (state.want <= hi) {
    const page = await pending;
    if (page.count === 0) return stop(null);
    const more = page.count === PAGE && page.lastSeq < hi;
    // PostgreSQL answers the next page while this one is checked; SQLite would only run the query
    // sooner (synchronously), pushing this page out of the cache
    pending = more && source.prefetch ? source.page(page.lastSeq, hi, PAGE) : null;
    let ok;
    try {
      ok = checkPage(page.records, page.count, checkers, expected, state);
    } finally {
      page.records.fill(0); // the key pads were laid in it
    }
    if (!ok || (!more && state.want <= hi)) return stop(pending);
    if (more && pending === null) pending = source.page(page.lastSeq, hi, PAGE);
  }
  return { anomaly: null, lastSeq: hi, lastHash: Buffer.from(state.prev, 'latin1').toString('hex'), firstPrev, checked: hi - lo + 1 };
}
