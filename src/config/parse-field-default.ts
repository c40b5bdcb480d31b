import type { FieldDef } from './schema.ts';
import { validateValue } from './field-values/validate-value.ts';

export type DefaultResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problem: string };

/**
 * Validates a field's `default` with the same per-type validator records use, so a default the
 * config accepts is one every create can store; the value comes back normalized the way stored
 * values are (emails trimmed and lower-cased, datetimes to UTC ISO). `field.default` is ignored.
 */
export function checkDefault(field: FieldDef, value: unknown): DefaultResult {
  const r = validateValue(field, value);
  if (!r.ok) {
    // The record message speaks of visibility, which means nothing in a config file.
    const reason = field.type === 'relation' ? 'must be a record id' : r.reason;
    return { ok: false, problem: `default ${reason}` };
  }
  // A plain copy, detached from the YAML document (the result is deep-frozen later).
  const copy = field.type === 'json' ? (JSON.parse(JSON.stringify(r.value)) as unknown) : r.value;
  return { ok: true, value: copy };
}
