import { describeChar, filterError } from './filter-error.ts';
import { FILTER_LIMITS } from './ast.ts';

export type TokenKind =
  | 'ident' | 'macro' | 'string' | 'number' | 'true' | 'false' | 'null'
  | 'op' | '(' | ')' | '&&' | '||' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  readonly pos: number;
  /** identifier, macro path (without '@') or operator text */
  readonly text: string;
  /** decoded value of a string or number */
  readonly value: string | number | null;
}

const C_TAB = 9, C_LF = 10, C_CR = 13, C_SPACE = 32, C_BANG = 33, C_DQ = 34, C_AMP = 38, C_SQ = 39;
const C_LP = 40, C_RP = 41, C_MINUS = 45, C_DOT = 46, C_0 = 48, C_9 = 57, C_LT = 60, C_EQ = 61, C_GT = 62;
const C_COLON = 58, C_AT = 64, C_BSL = 92, C_US = 95, C_A = 97, C_Z = 122, C_PIPE = 124, C_TILDE = 126, C_E = 101, C_EU = 69;

// Field names may be camelCase (config FIELD_NAME_PATTERN), so identifiers take both cases.
const isIdentStart = (c: number): boolean => (c >= C_A && c <= C_Z) || (c >= 65 && c <= 90) || c === C_US;
const isIdentPart = (c: number): boolean => isIdentStart(c) || (c >= C_0 && c <= C_9);
const isDigit = (c: number): boolean => c >= C_0 && c <= C_9;

/** Splits filter text into tokens; one pass, no regexes on untrusted input, no recursion. */
export function tokenize(text: string): Token[] {
  if (text.length > FILTER_LIMITS.maxLength) {
    throw filterError('ERR_FILTER_LIMIT', `filter is longer than ${FILTER_LIMITS.maxLength} characters`, FILTER_LIMITS.maxLength);
  }
  const tokens: Token[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === C_SPACE || c === C_TAB || c === C_LF || c === C_CR) { i++; continue; }
    const start = i;
    if (isIdentStart(c)) {
      i++;
      while (i < n && isIdentPart(text.charCodeAt(i))) i++;
      const word = text.slice(start, i);
      const kind = word === 'true' || word === 'false' || word === 'null' ? word : 'ident';
      tokens.push({ kind, pos: start, text: word, value: null });
    } else if (c === C_AT) {
      i = scanMacro(text, i + 1);
      tokens.push({ kind: 'macro', pos: start, text: text.slice(start + 1, i), value: null });
    } else if (c === C_DQ || c === C_SQ) {
      const [value, end] = scanString(text, i);
      i = end;
      tokens.push({ kind: 'string', pos: start, text: '', value });
    } else if (isDigit(c) || (c === C_MINUS && i + 1 < n && isDigit(text.charCodeAt(i + 1)))) {
      i = scanNumber(text, i);
      const value = Number(text.slice(start, i));
      if (!Number.isFinite(value)) throw filterError('ERR_FILTER_SYNTAX', 'number out of range', start);
      tokens.push({ kind: 'number', pos: start, text: '', value });
    } else if (c === C_LP || c === C_RP) {
      i++;
      tokens.push({ kind: c === C_LP ? '(' : ')', pos: start, text: '', value: null });
    } else if ((c === C_AMP || c === C_PIPE) && text.charCodeAt(i + 1) === c) {
      i += 2;
      tokens.push({ kind: c === C_AMP ? '&&' : '||', pos: start, text: '', value: null });
    } else if (c === C_EQ || c === C_TILDE) {
      i++;
      tokens.push({ kind: 'op', pos: start, text: c === C_EQ ? '=' : '~', value: null });
    } else if (c === C_LT || c === C_GT) {
      const eq = text.charCodeAt(i + 1) === C_EQ;
      i += eq ? 2 : 1;
      tokens.push({ kind: 'op', pos: start, text: (c === C_LT ? '<' : '>') + (eq ? '=' : ''), value: null });
    } else if (c === C_BANG && (text.charCodeAt(i + 1) === C_EQ || text.charCodeAt(i + 1) === C_TILDE)) {
      i += 2;
      tokens.push({ kind: 'op', pos: start, text: text.charCodeAt(start + 1) === C_EQ ? '!=' : '!~', value: null });
    } else {
      throw filterError('ERR_FILTER_SYNTAX', `unexpected character ${describeChar(text.codePointAt(i) ?? c)}`, i);
    }
  }
  tokens.push({ kind: 'eof', pos: n, text: '', value: null });
  return tokens;
}

function scanMacro(text: string, i: number): number {
  for (;;) {
    if (!isIdentStart(text.charCodeAt(i))) {
      throw filterError('ERR_FILTER_SYNTAX', 'expected a macro name after \'@\'', i);
    }
    i++;
    while (i < text.length && isIdentPart(text.charCodeAt(i))) i++;
    // `@body.x:isset`: a modifier the parser validates (only `isset`, only on @body)
    if (text.charCodeAt(i) === C_COLON && isIdentStart(text.charCodeAt(i + 1))) {
      i += 2;
      while (i < text.length && isIdentPart(text.charCodeAt(i))) i++;
      return i;
    }
    if (text.charCodeAt(i) !== C_DOT) return i;
    i++;
  }
}

/** Returns the decoded value and the index after the closing quote. */
function scanString(text: string, open: number): [string, number] {
  const quote = text.charCodeAt(open);
  let out = '';
  let from = open + 1;
  let i = from;
  for (;;) {
    if (i >= text.length) throw filterError('ERR_FILTER_SYNTAX', 'unterminated string', open);
    const c = text.charCodeAt(i);
    if (c === quote) break;
    if (c === C_BSL) {
      const e = text.charCodeAt(i + 1);
      if (e !== C_BSL && e !== C_DQ && e !== C_SQ) {
        const what = Number.isNaN(e) ? 'unterminated escape' : `invalid escape \\${describeChar(e).replace(/^'|'$/g, '')}`;
        throw filterError('ERR_FILTER_SYNTAX', what, i);
      }
      out += text.slice(from, i) + String.fromCharCode(e);
      i += 2;
      from = i;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      // a lone surrogate cannot be stored or bound as UTF-8; reject it instead of guessing
      const next = text.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) {
        throw filterError('ERR_FILTER_SYNTAX', 'string is not valid Unicode', i);
      }
      i += 2;
      continue;
    }
    i++;
  }
  return [out + text.slice(from, i), i + 1];
}

/** JSON-like decimal: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? not followed by a name character. */
function scanNumber(text: string, start: number): number {
  let i = start;
  if (text.charCodeAt(i) === C_MINUS) i++;
  if (text.charCodeAt(i) === C_0) i++;
  else while (isDigit(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) === C_DOT) {
    i++;
    if (!isDigit(text.charCodeAt(i))) throw filterError('ERR_FILTER_SYNTAX', 'expected a digit after \'.\'', i);
    while (isDigit(text.charCodeAt(i))) i++;
  }
  const e = text.charCodeAt(i);
  if (e === C_E || e === C_EU) {
    i++;
    const s = text.charCodeAt(i);
    if (s === 43 || s === C_MINUS) i++;
    if (!isDigit(text.charCodeAt(i))) throw filterError('ERR_FILTER_SYNTAX', 'expected a digit in the exponent', i);
    while (isDigit(text.charCodeAt(i))) i++;
  }
  const after = text.charCodeAt(i);
  if (isIdentPart(after) || after === C_DOT) {
    throw filterError('ERR_FILTER_SYNTAX', `unexpected character ${describeChar(after)} after a number`, i);
  }
  return i;
}
