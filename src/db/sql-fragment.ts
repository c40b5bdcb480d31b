import { sql, type RawBuilder } from 'kysely';

/**
 * A piece of SQL under construction: constant text from Strongbox's own code between values.
 * Building a WHERE clause from many small `sql` templates costs about a microsecond each, so the
 * filter compiler assembles fragments and makes one Kysely `sql` call at the end. Values stay
 * values: at the end each becomes a bound parameter (or, for identifiers, a RawBuilder from sql.id).
 */
export class Fragment {
  constructor(readonly strings: readonly string[], readonly values: readonly unknown[]) {}

  /** The one Kysely template call: every value is bound, identifiers arrive as sql.id builders. */
  toSql<T>(): RawBuilder<T> {
    return sql<T>(this.strings as unknown as TemplateStringsArray, ...this.values);
  }
}

/** Tagged template that flattens nested Fragments; any other value is kept for binding. */
export function frag(strings: TemplateStringsArray, ...values: unknown[]): Fragment {
  const outS: string[] = [strings[0]];
  const outV: unknown[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v instanceof Fragment) appendFragment(outS, outV, v);
    else {
      outV.push(v);
      outS.push('');
    }
    outS[outS.length - 1] += strings[i + 1];
  }
  return new Fragment(outS, outV);
}

function appendFragment(outS: string[], outV: unknown[], f: Fragment): void {
  outS[outS.length - 1] += f.strings[0];
  for (let j = 0; j < f.values.length; j++) {
    outV.push(f.values[j]);
    outS.push(f.strings[j + 1]);
  }
}

/** `(a sep b sep c)` */
export function joinFragments(parts: readonly Fragment[], sep: string): Fragment {
  const outS: string[] = ['('];
  const outV: unknown[] = [];
  parts.forEach((p, i) => {
    if (i > 0) outS[outS.length - 1] += sep;
    appendFragment(outS, outV, p);
  });
  outS[outS.length - 1] += ')';
  return new Fragment(outS, outV);
}
