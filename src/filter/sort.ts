import type { SortTerm } from './ast.ts';
import { LIST_LIMITS, scanNameList } from './name-list.ts';

/** Parses `-created,title` (a leading '-' sorts descending, '+' or nothing ascending). */
export function parseSort(text: string): SortTerm[] {
  return scanNameList(text, 'sort', LIST_LIMITS.maxSortTerms, true).map((item) => ({
    field: item.name,
    direction: item.prefix === '-' ? 'desc' : 'asc',
    pos: item.pos,
  }));
}
