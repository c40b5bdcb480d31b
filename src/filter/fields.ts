import { LIST_LIMITS, scanNameList } from './name-list.ts';

// Positions ride along with the returned array so checkFields can name them without a wider type.
const positions = new WeakMap<readonly string[], readonly number[]>();

/** Parses a projection such as `id,title` into distinct field names (order kept). */
export function parseFields(text: string): string[] {
  const items = scanNameList(text, 'fields', LIST_LIMITS.maxFields, false);
  const names = items.map((item) => item.name);
  positions.set(names, items.map((item) => item.pos));
  return names;
}

/** The position of names[i] in the text it was parsed from (0 when not from parseFields). */
export function fieldPosition(names: readonly string[], i: number): number {
  return positions.get(names)?.[i] ?? 0;
}
