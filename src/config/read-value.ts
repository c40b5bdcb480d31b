import type { IssueSink, KeyPath } from './config-error.ts';

/** A YAML mapping as plain data: own keys only, never a prototype lookup. */
export type RawMap = Record<string, unknown>;

export function isRawMap(value: unknown): value is RawMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (isRawMap(value)) return 'a mapping';
  if (ArrayBuffer.isView(value)) return 'binary data';
  return `a ${typeof value}`;
}

/** The value as a mapping, or null after reporting. */
export function expectMap(value: unknown, path: KeyPath, sink: IssueSink): RawMap | null {
  if (isRawMap(value)) return value;
  sink.add(path, `expected a mapping, got ${describe(value)}`);
  return null;
}

/** Reports every key not in `allowed` (pointing at the key), so typos never pass silently. */
export function checkKeys(map: RawMap, allowed: readonly string[], path: KeyPath, sink: IssueSink, what: string): void {
  for (const key of Object.keys(map)) {
    if (!allowed.includes(key)) sink.add([...path, key], `unknown key in ${what} (allowed: ${allowed.join(', ')})`, 'key');
  }
}

/** Own property only: `constructor` or `__proto__` in a map never reads Object.prototype. */
export function own(map: RawMap, key: string): unknown {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

export function readBool(map: RawMap, key: string, path: KeyPath, sink: IssueSink, fallback: boolean): boolean {
  const value = own(map, key);
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  sink.add([...path, key], `expected true or false, got ${describe(value)}`);
  return fallback;
}

export interface IntRange { readonly min: number; readonly max: number }

export function readInt(map: RawMap, key: string, path: KeyPath, sink: IssueSink, range: IntRange, fallback: number): number {
  const value = own(map, key);
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    sink.add([...path, key], `expected an integer, got ${describe(value)}`);
    return fallback;
  }
  if (value < range.min || value > range.max) {
    sink.add([...path, key], `must be between ${range.min} and ${range.max}`);
    return fallback;
  }
  return value;
}

/** Optional integer with no default (null when absent). */
export function readOptInt(map: RawMap, key: string, path: KeyPath, sink: IssueSink, range: IntRange): number | null {
  if (own(map, key) === undefined || own(map, key) === null) return null;
  const n = readInt(map, key, path, sink, range, Number.NaN);
  return Number.isNaN(n) ? null : n;
}

/** Optional finite number (null when absent or invalid). */
export function readOptNumber(map: RawMap, key: string, path: KeyPath, sink: IssueSink): number | null {
  const value = own(map, key);
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  sink.add([...path, key], `expected a finite number, got ${describe(value)}`);
  return null;
}

/** Optional string (null when absent or invalid). */
export function readOptString(map: RawMap, key: string, path: KeyPath, sink: IssueSink): string | null {
  const value = own(map, key);
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  sink.add([...path, key], `expected a string, got ${describe(value)}`);
  return null;
}

/** An optional config section: absent or null is empty; otherwise a map with only `allowed` keys. */
export function section(raw: unknown, path: KeyPath, sink: IssueSink, allowed: readonly string[]): RawMap {
  if (raw === undefined || raw === null) return {};
  const map = expectMap(raw, path, sink);
  if (!map) return {};
  checkKeys(map, allowed, path, sink, path.join('.'));
  return map;
}
