import type { IssueSink, KeyPath } from './config-error.ts';
import { describe } from './read-value.ts';

/** Bounds that keep a select's CHECK constraint and OpenAPI enum reasonable. */
const MAX_VALUES = 500;
const MAX_VALUE_LENGTH = 200; // characters

/** select.values: a non-empty list of unique, non-empty strings. */
export function parseSelectValues(raw: unknown, path: KeyPath, sink: IssueSink): string[] {
  if (raw === undefined) {
    sink.add(path.slice(0, -1), 'a select field needs "values", a list of strings', 'key');
    return [];
  }
  if (!Array.isArray(raw) || raw.length === 0) {
    sink.add(path, `expected a non-empty list of strings, got ${Array.isArray(raw) ? 'an empty list' : describe(raw)}`);
    return [];
  }
  if (raw.length > MAX_VALUES) {
    sink.add(path, `at most ${MAX_VALUES} values`);
    return [];
  }
  const values: string[] = [];
  raw.forEach((v: unknown, i) => {
    if (typeof v !== 'string' || v === '' || v.length > MAX_VALUE_LENGTH) {
      sink.add([...path, i], `expected a non-empty string of at most ${MAX_VALUE_LENGTH} characters`);
    } else if (values.includes(v)) {
      sink.add([...path, i], 'duplicate value');
    } else values.push(v);
  });
  return values;
}
