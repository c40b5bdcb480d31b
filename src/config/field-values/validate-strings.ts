// With the u flag a surrogate pair is one code point, so this matches only unpaired halves.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * Checks shared by every text-like value. NUL is refused because PostgreSQL cannot store it
 * and C-based tools truncate at it; lone surrogates because they are not Unicode text and
 * PostgreSQL rejects them, so both dialects must refuse them the same way.
 */
export function badStringReason(s: string): string | null {
  if (s.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(s)) return 'must be valid Unicode text (no lone surrogates)';
  return null;
}

/** Length in Unicode code points, the way a person counts characters (stops counting past `cap`). */
export function codePointLength(s: string, cap: number): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) i++; // a pair counts once
    n++;
    if (n > cap) return n;
  }
  return n;
}
