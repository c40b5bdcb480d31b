// C0 and C1 controls, DEL, the Unicode line/paragraph separators and the bidi controls: each
// could forge a line break or reorder what an operator reads in a log viewer.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\\]/g;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Any character either pattern would change: unsafe ones and every surrogate (paired ones are then left as they are). */
const NEEDS_WORK = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\\\ud800-\udfff]/;

const escape = (ch: string): string =>
  ch === '\\' ? '\\\\' : `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * Free text made safe for a log line: control and bidi characters become `\uXXXX`, a backslash
 * becomes `\\` (so the result is unambiguous), and the text is cut to `max` characters with a
 * trailing `…` when longer. Lone surrogates become U+FFFD.
 */
export function neutralizeText(text: string, max = 512): string {
  // Most text has nothing to change: one scan says so, and it is returned as it is.
  if (text.length <= max && !NEEDS_WORK.test(text)) return text;
  let out = text.replace(LONE_SURROGATE, '\ufffd').replace(UNSAFE, escape);
  if (out.length > max) out = `${out.slice(0, max - 1).replace(/[\ud800-\udbff]$/, '')}…`;
  return out;
}
