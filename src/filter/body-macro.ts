import type { MacroValues } from './macros.ts';

/**
 * `@body.<field>` is the value the request body sent for a field; `@body.<field>:isset` is true
 * when the body carries the key at all (null included). A field the body did not send has no
 * value: it equals nothing, not even null, so `@body.x = null` holds only when the body sets x
 * to null (and `!=` stays the exact negation of `=`).
 */
export const ISSET = ':isset';

/** The field a `body.…` macro name reads. */
export function bodyField(name: string): string {
  const field = name.slice(5);
  return field.endsWith(ISSET) ? field.slice(0, -ISSET.length) : field;
}

export function isIssetMacro(name: string): boolean {
  return name.startsWith('body.') && name.endsWith(ISSET);
}

/** Whether the body sent the field (a key present, even with null). */
export function bodySent(macros: MacroValues, field: string): boolean {
  return macros.body !== undefined && Object.hasOwn(macros.body, field);
}

/** A plain `@body.x` for a field the body did not send: no value, equal to nothing. */
export function isAbsentBodyMacro(o: { readonly kind: string; readonly name?: string }, macros: MacroValues): boolean {
  if (o.kind !== 'macro' || o.name === undefined || !o.name.startsWith('body.') || isIssetMacro(o.name)) return false;
  return !bodySent(macros, bodyField(o.name));
}
