import { StrongboxError } from '../../errors/strongbox-error.ts';
import type { ListQuery } from '../record-types.ts';

export interface PageWindow { readonly page: number; readonly perPage: number; readonly offset: number }

/** page ≥ 1 and 1 ≤ perPage ≤ perPageMax, whole numbers, with an offset that stays exact. */
export function pageWindow(q: ListQuery, limits: { readonly perPageDefault: number; readonly perPageMax: number }): PageWindow {
  const page = q.page ?? 1;
  const perPage = q.perPage ?? limits.perPageDefault;
  if (!Number.isSafeInteger(page) || page < 1) {
    throw new StrongboxError('ERR_BAD_QUERY', 'page must be a whole number of at least 1', { param: 'page' });
  }
  if (!Number.isSafeInteger(perPage) || perPage < 1 || perPage > limits.perPageMax) {
    throw new StrongboxError('ERR_BAD_QUERY', `perPage must be a whole number from 1 to ${limits.perPageMax}`, { param: 'perPage' });
  }
  const offset = (page - 1) * perPage;
  if (!Number.isSafeInteger(offset)) {
    throw new StrongboxError('ERR_BAD_QUERY', 'page is too large', { param: 'page' });
  }
  return { page, perPage, offset };
}
