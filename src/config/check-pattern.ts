/** Longest `pattern` a text field may declare (characters). */
export const MAX_PATTERN_LENGTH = 1000;

/**
 * Why a text field's `pattern` is refused, or null when it is accepted. Patterns compile with the
 * `u` flag (the flag the record validator uses). Node's regex engine backtracks, so a pattern with a
 * nested quantifier such as `(a+)+` or `(\w*\s?)*` can take exponential time on a crafted value
 * (ReDoS). The guard is a heuristic, not a proof: it refuses a quantified group that itself
 * contains a quantifier when either one is unbounded (`*`, `+`, `{n,}`) and the outer one repeats
 * more than once. It does not catch overlapping alternations like `(a|a)*`; the field's `max`
 * also bounds the input a pattern ever sees.
 */
export function patternProblem(pattern: string): string | null {
  if (pattern.length > MAX_PATTERN_LENGTH) return `pattern is longer than ${MAX_PATTERN_LENGTH} characters`;
  try {
    new RegExp(pattern, 'u');
  } catch {
    return 'invalid regular expression';
  }
  if (hasNestedQuantifier(pattern)) {
    return 'pattern nests quantifiers, e.g. (a+)+, which can take exponential time (ReDoS); rewrite it without a repeated group that repeats inside';
  }
  return null;
}

interface Quantifier { readonly length: number; readonly repeats: boolean; readonly unbounded: boolean }

/** The quantifier starting at `i`, if any. */
function quantifierAt(p: string, i: number): Quantifier | null {
  const c = p[i];
  let q: Quantifier | null = null;
  if (c === '*' || c === '+') q = { length: 1, repeats: true, unbounded: true };
  else if (c === '?') q = { length: 1, repeats: false, unbounded: false };
  else if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i, i + 24));
    if (!m) return null;
    const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
    q = { length: m[0].length, repeats: max > 1, unbounded: max === Infinity };
  }
  if (q && p[i + q.length] === '?') q = { ...q, length: q.length + 1 }; // lazy suffix
  return q;
}

interface Frame { repeats: boolean; unbounded: boolean }

function hasNestedQuantifier(p: string): boolean {
  const stack: Frame[] = [{ repeats: false, unbounded: false }];
  let i = 0;
  while (i < p.length) {
    const c = p[i];
    if (c === '\\') {
      i += 2;
      if (p[i] === '{' && /[pPu]/.test(p[i - 1])) { // \p{…}, \u{…}: braces are not a quantifier
        const close = p.indexOf('}', i);
        i = close === -1 ? p.length : close + 1;
      }
    } else if (c === '[') {
      i += 1;
      while (i < p.length && p[i] !== ']') i += p[i] === '\\' ? 2 : 1;
      i += 1;
    } else if (c === '(') {
      stack.push({ repeats: false, unbounded: false });
      i += 1;
      const prefix = /^\?(:|=|!|<=|<!|<[A-Za-z_$][\w$]*>)/.exec(p.slice(i, i + 64));
      if (prefix) i += prefix[0].length;
      continue;
    } else if (c === ')') {
      const inner = stack.length > 1 ? stack.pop()! : { repeats: false, unbounded: false };
      const q = quantifierAt(p, i + 1);
      if (q && inner.repeats && q.repeats && (q.unbounded || inner.unbounded)) return true;
      const top = stack[stack.length - 1];
      top.repeats ||= inner.repeats || (q?.repeats ?? false);
      top.unbounded ||= inner.unbounded || (q?.unbounded ?? false);
      i += 1 + (q?.length ?? 0);
      continue;
    } else {
      i += 1;
    }
    // After an atom: a quantifier on it marks the enclosing group.
    const q = quantifierAt(p, i);
    if (q) {
      const top = stack[stack.length - 1];
      top.repeats ||= q.repeats;
      top.unbounded ||= q.unbounded;
      i += q.length;
    }
  }
  return false;
}
