/**
 * Every error that lists fields (ERR_VALIDATION, ERR_CONFLICT…) goes through these, on every
 * route: a body is attacker-sized, so echoing its keys would let one request buy a response many
 * times its size (a 1 MB key, or 90,000 keys). Names past the cap are counted, not listed.
 */
export const FIELD_LIST_LIMITS = {
  maxNames: 20, // field names listed in one error
  maxNameLength: 64, // characters of each name; longer ones end with "…"
  maxReasonLength: 200, // characters of each reason
} as const;

/** One name as an error may show it. */
export function boundedName(name: string): string {
  const chars = Array.from(name.length > FIELD_LIST_LIMITS.maxNameLength * 2 ? name.slice(0, FIELD_LIST_LIMITS.maxNameLength * 2) : name);
  return chars.length > FIELD_LIST_LIMITS.maxNameLength ? `${chars.slice(0, FIELD_LIST_LIMITS.maxNameLength).join('')}…` : name;
}

/**
 * A field → reason map with at most maxNames entries, names and reasons cut to their caps. The
 * result has a null prototype, so a name such as `__proto__` stays an own key.
 */
export function boundedFields(fields: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  let n = 0;
  for (const name in fields) {
    if (!Object.hasOwn(fields, name)) continue;
    if (n++ >= FIELD_LIST_LIMITS.maxNames) break;
    const reason = String(fields[name]);
    out[boundedName(name)] = reason.length > FIELD_LIST_LIMITS.maxReasonLength ? `${reason.slice(0, FIELD_LIST_LIMITS.maxReasonLength)}…` : reason;
  }
  return out;
}

/** `a, b, c` or `a, b, … and 12 more`, for a message that names fields. */
export function namesForMessage(names: readonly string[]): string {
  const shown = names.slice(0, FIELD_LIST_LIMITS.maxNames).map(boundedName).join(', ');
  return names.length > FIELD_LIST_LIMITS.maxNames ? `${shown} and ${names.length - FIELD_LIST_LIMITS.maxNames} more` : shown;
}
