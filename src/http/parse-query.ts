import type { ListQuery, GetOptions } from '../core/record-types.ts';
import { StrongboxError } from '../errors/strongbox-error.ts';

export const LIST_PARAMS = ['filter', 'sort', 'fields', 'page', 'perPage', 'skipTotal'] as const;
export const GET_PARAMS = ['fields'] as const;

const POSITIVE_INT = /^[1-9][0-9]{0,8}$/; // ≤ 999,999,999: no float, sign, exponent or overflow

function badQuery(param: string, message: string): StrongboxError {
  return new StrongboxError('ERR_BAD_QUERY', message, { param });
}

/**
 * Query parameters as single strings. Unknown names and repeated names are errors, so a
 * typo never silently drops a filter and `?filter=a&filter=b` cannot confuse the layers.
 */
export function parseQuery(query: unknown, allowed: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (query === null || typeof query !== 'object') return out;
  for (const [name, value] of Object.entries(query)) {
    const shown = name.length > 64 ? `${name.slice(0, 64)}…` : name;
    if (!allowed.includes(name)) throw badQuery(shown, `Unknown query parameter "${shown}".`);
    if (typeof value !== 'string') throw badQuery(name, `The query parameter "${name}" must be given once.`);
    out[name] = value;
  }
  return out;
}

function positiveInt(params: Record<string, string>, name: string): number | undefined {
  const raw = params[name];
  if (raw === undefined) return undefined;
  if (!POSITIVE_INT.test(raw)) throw badQuery(name, `The query parameter "${name}" must be a positive integer.`);
  return Number(raw);
}

/** `?filter&sort&fields&page&perPage&skipTotal` for a list; limits come from the config. */
export function parseListQuery(query: unknown, limits: { perPageMax: number; perPageDefault: number }): ListQuery {
  const p = parseQuery(query, LIST_PARAMS);
  const page = positiveInt(p, 'page') ?? 1;
  const perPage = positiveInt(p, 'perPage') ?? limits.perPageDefault;
  if (perPage > limits.perPageMax) {
    throw badQuery('perPage', `The query parameter "perPage" must be at most ${limits.perPageMax}.`);
  }
  let skipTotal = false;
  if (p.skipTotal !== undefined) {
    if (p.skipTotal === '1' || p.skipTotal === 'true') skipTotal = true;
    else if (p.skipTotal !== '0' && p.skipTotal !== 'false') {
      throw badQuery('skipTotal', 'The query parameter "skipTotal" must be 1 or 0.');
    }
  }
  const q: { -readonly [K in keyof ListQuery]: ListQuery[K] } = { page, perPage, skipTotal };
  if (p.filter !== undefined && p.filter !== '') q.filter = p.filter;
  if (p.sort !== undefined && p.sort !== '') q.sort = p.sort;
  if (p.fields !== undefined && p.fields !== '') q.fields = p.fields;
  return q;
}

/** `?fields` for a single record. */
export function parseGetQuery(query: unknown): GetOptions {
  const p = parseQuery(query, GET_PARAMS);
  return p.fields !== undefined && p.fields !== '' ? { fields: p.fields } : {};
}

/** Routes that take no query parameters still reject them. */
export function rejectQuery(query: unknown): void {
  parseQuery(query, []);
}
