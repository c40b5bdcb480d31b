/**
 * Freezes an object graph in place and returns it. The loaded config is shared by every request,
 * so nothing may change it after validation. Cycles and already-frozen nodes are skipped.
 */
export function deepFreeze<T>(value: T): T {
  const pending: unknown[] = [value];
  const seen = new Set<object>();
  while (pending.length > 0) {
    const node = pending.pop();
    if (typeof node !== 'object' || node === null || seen.has(node)) continue;
    seen.add(node);
    Object.freeze(node);
    for (const key of Reflect.ownKeys(node)) pending.push((node as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}
