import type { IssueSink, KeyPath } from './config-error.ts';
import type { CollectionDef, FieldDef } from './schema.ts';
import { parseFilter } from '../filter/parser.ts';

/** A rule that lets every caller through: exactly `true` (absent/null means admins only). */
function isOpen(rule: string | null): boolean {
  if (rule === null) return false;
  try {
    const expr = parseFilter(rule);
    return expr.kind === 'const' && expr.value;
  } catch {
    return false; // reported by the rule check
  }
}

/** Why some caller may be unable to see a value of `f` that a write of theirs would collide with. */
function hiddenBy(f: FieldDef, c: CollectionDef): string | null {
  if (f.read !== null && !isOpen(f.read)) return 'its read rule';
  if (!isOpen(c.rules.view)) return c.rules.view === null ? 'the view rule (admins only)' : 'the view rule';
  if (!isOpen(c.rules.list)) return c.rules.list === null ? 'the list rule (admins only)' : 'the list rule';
  return null;
}

/**
 * A unique field answers 409 ERR_CONFLICT for a value another record holds, even one the caller
 * cannot see, so a caller who may write can probe for values that filtering refuses to reveal.
 * Refused at load unless the field opts in with `uniqueRevealsExistence: true`. Only admins
 * writing (create and update rules absent) is safe: admins see everything.
 */
export function checkUniqueExposure(c: CollectionDef, path: KeyPath, sink: IssueSink): void {
  if (c.rules.create === null && c.rules.update === null) return;
  for (const f of c.fields) {
    if (!f.unique || f.uniqueRevealsExistence === true) continue;
    const why = hiddenBy(f, c);
    if (why === null) continue;
    sink.add([...path, 'fields', f.name, 'unique'],
      `a unique field that ${why} can hide lets a caller probe values: a create or update with a value held by a record ` +
      'they cannot see answers 409 ERR_CONFLICT, one that is free succeeds. Open the read, view and list rules to `true`, ' +
      'or set uniqueRevealsExistence: true to accept that existence of a value is revealed');
  }
}
