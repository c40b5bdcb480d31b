import { describeChar, describeName, filterError } from './filter-error.ts';

export interface ListItem { readonly name: string; readonly prefix: '' | '-' | '+'; readonly pos: number }

export const LIST_LIMITS = { maxLength: 2000, maxSortTerms: 20, maxFields: 100 } as const;

/**
 * Scans a comma-separated list of names (`-created, title`) for sort and fields, with the same
 * character rules and error style as the filter tokenizer. `signs` allows a leading '-' or '+'.
 */
export function scanNameList(text: string, what: string, maxItems: number, signs: boolean): ListItem[] {
  if (text.length > LIST_LIMITS.maxLength) {
    throw filterError('ERR_FILTER_LIMIT', `${what} is longer than ${LIST_LIMITS.maxLength} characters`, LIST_LIMITS.maxLength);
  }
  const items: ListItem[] = [];
  const seen = new Set<string>();
  const n = text.length;
  let i = 0;
  for (;;) {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
    const start = i;
    let prefix: ListItem['prefix'] = '';
    const c0 = text.charCodeAt(i);
    if (signs && (c0 === 45 || c0 === 43)) { prefix = c0 === 45 ? '-' : '+'; i++; }
    const nameStart = i;
    if (!isIdentStart(text.charCodeAt(i))) throw expected(text, i, 'a field name');
    while (i < n && isIdentPart(text.charCodeAt(i))) i++;
    const name = text.slice(nameStart, i);
    if (items.length >= maxItems) throw filterError('ERR_FILTER_LIMIT', `${what} has more than ${maxItems} items`, start);
    if (seen.has(name)) throw filterError('ERR_FILTER_SYNTAX', `${describeName(name)} is listed twice`, nameStart);
    seen.add(name);
    items.push({ name, prefix, pos: nameStart });
    while (i < n && isSpace(text.charCodeAt(i))) i++;
    if (i >= n) return items;
    if (text.charCodeAt(i) !== 44) throw expected(text, i, "',' or the end");
    i++;
  }
}

function expected(text: string, i: number, want: string): Error {
  const got = i >= text.length ? 'end of input' : `character ${describeChar(text.codePointAt(i) ?? 0)}`;
  return filterError('ERR_FILTER_SYNTAX', `unexpected ${got}, expected ${want}`, i);
}

const isSpace = (c: number): boolean => c === 32 || c === 9;
const isIdentStart = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
const isIdentPart = (c: number): boolean => isIdentStart(c) || (c >= 48 && c <= 57);
