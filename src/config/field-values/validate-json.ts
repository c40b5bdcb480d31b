import { JSON_MAX_BYTES, JSON_MAX_DEPTH } from '../schema.ts';
import { badStringReason } from './validate-strings.ts';

/** Keys that could reach an object's prototype somewhere downstream; refused everywhere. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Why `value` is not a storable JSON value, or null when it is. The walk stops at the depth limit,
 * so hostile nesting (or a cycle built in code) costs at most JSON_MAX_DEPTH frames.
 * Strings are held to the text rules because PostgreSQL's jsonb refuses \u0000 and lone surrogates.
 */
function walk(v: unknown, depth: number): string | null {
  if (v === null || typeof v === 'boolean') return null;
  if (typeof v === 'number') return Number.isFinite(v) ? null : 'must contain only finite numbers';
  if (typeof v === 'string') return badStringReason(v);
  if (typeof v !== 'object') return 'must be a JSON value';
  if (depth >= JSON_MAX_DEPTH) return `must not nest deeper than ${JSON_MAX_DEPTH} levels`;
  if (Array.isArray(v)) {
    for (const item of v) {
      const r = walk(item, depth + 1);
      if (r) return r;
    }
    return null;
  }
  if (!isPlainObject(v)) return 'must be a JSON value';
  for (const key of Object.keys(v)) {
    if (FORBIDDEN_KEYS.has(key)) return `must not contain the key "${key}"`;
    const kr = badStringReason(key);
    if (kr) return kr;
    const r = walk((v as Record<string, unknown>)[key], depth + 1);
    if (r) return r;
  }
  return null;
}

export function badJsonReason(value: unknown): string | null {
  const r = walk(value, 0);
  if (r) return r;
  if (Buffer.byteLength(JSON.stringify(value), 'utf8') > JSON_MAX_BYTES) {
    return `must be at most ${JSON_MAX_BYTES} bytes as JSON`;
  }
  return null;
}
