/** fast-check generators of well-typed filters (as text) and rows over ITEMS, for property tests. */
import fc from 'fast-check';
import type { MacroValues } from '../../src/filter/macros.ts';

type Kind = 'text' | 'number' | 'boolean' | 'date' | 'datetime';

export const FIELDS_BY_KIND: Readonly<Record<Kind, readonly string[]>> = {
  text: ['title', 'email', 'id', 'owner', 'kind', 'parent', 'ssn'],
  number: ['n', 'x'],
  boolean: ['ok'],
  date: ['d'],
  datetime: ['dt', 'created', 'updated'],
};
const SUBSTRING = ['title', 'email'];
const SENSITIVE = ['ssn'];
export const SORTABLE = ['title', 'email', 'id', 'owner', 'kind', 'parent', 'n', 'x', 'ok', 'd', 'dt', 'created', 'updated'];

/** Characters that stress ordering, escaping and encoding; U+0000 only in literals (never stored). */
const STORED_CHARS = ['a', 'b', 'A', '%', '_', '\\', "'", '"', 'é', '😀', '\uE000', ' ', '-', '*/', '--'];
const storedText = fc.array(fc.constantFrom(...STORED_CHARS), { maxLength: 3 }).map((a) => a.join(''));
const literalText = fc.array(fc.constantFrom(...STORED_CHARS, '\u0000'), { maxLength: 3 }).map((a) => a.join(''));

const DATES = ['2023-12-31', '2024-01-01', '2024-02-29', '0001-01-01', '9999-12-31'];
const DATETIMES = ['2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.001Z', '2023-12-31T23:59:59.999Z', '2024-06-01T12:00:00.000Z'];
const DATETIME_LITERALS = [...DATETIMES, '2024-01-01T01:00:00+01:00', '2024-01-01', '2023-12-31 23:59:59.999Z', '2024-06-01T12:00Z'];

const storedNumber = (integer: boolean): fc.Arbitrary<number> => integer
  ? fc.oneof(fc.integer({ min: -4, max: 4 }), fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER))
  : fc.oneof(fc.constantFrom(-1.5, 0, 0.1, 2.5, 3), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 }));
const literalNumber = fc.oneof(
  fc.integer({ min: -4, max: 4 }), fc.constantFrom(2.5, -0.5, 0.1, 1e30, -1e30, 2 ** 53 + 2),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** A filter-language string literal with random quote style, escaped as the grammar requires. */
export function quote(s: string, q: "'" | '"' = "'"): string {
  return q + s.replace(/\\/g, '\\\\').replace(q === "'" ? /'/g : /"/g, `\\${q}`) + q;
}

const num = (n: number): string => (Object.is(n, -0) ? '0' : String(n));

function valueOperand(kind: Kind, field: string): fc.Arbitrary<string> {
  const q = fc.constantFrom<"'" | '"'>("'", '"');
  switch (kind) {
    case 'text': return SENSITIVE.includes(field)
      ? fc.oneof(fc.tuple(literalText, q).map(([s, c]) => quote(s, c)), fc.constantFrom('@auth.id', '@auth.email'))
      : fc.oneof({ weight: 4, arbitrary: fc.tuple(literalText, q).map(([s, c]) => quote(s, c)) },
        fc.constantFrom('@auth.id', '@auth.role', '@auth.email', 'title', 'owner'));
    case 'number': return fc.oneof({ weight: 4, arbitrary: literalNumber.map(num) }, fc.constantFrom('n', 'x'));
    case 'boolean': return fc.constantFrom('true', 'false', 'ok');
    case 'date': return fc.oneof(fc.constantFrom(...DATES).map((d) => quote(d)), fc.constant('d'));
    case 'datetime': return fc.oneof(fc.constantFrom(...DATETIME_LITERALS).map((d) => quote(d)), fc.constantFrom('@now', 'dt', 'created'));
  }
}

const term: fc.Arbitrary<string> = fc.constantFrom(...(Object.keys(FIELDS_BY_KIND) as Kind[])).chain((kind) =>
  fc.constantFrom(...FIELDS_BY_KIND[kind]).chain((field) => {
    const ops = SENSITIVE.includes(field) || kind === 'boolean' ? ['=', '!=']
      : SUBSTRING.includes(field) ? ['=', '!=', '<', '<=', '>', '>=', '~', '!~'] : ['=', '!=', '<', '<=', '>', '>='];
    return fc.tuple(fc.constantFrom(...ops), fc.boolean(), fc.nat(9)).chain(([op, swap, nullPick]) => {
      const other = nullPick === 0 && (op === '=' || op === '!=') ? fc.constant('null') : valueOperand(kind, field)
        .filter((o) => !((op === '~' || op === '!~') && (o === 'owner' || SENSITIVE.includes(field) && !o.startsWith("'"))))
        .filter((o) => !(SENSITIVE.includes(field) && FIELDS_BY_KIND.text.includes(o)));
      return other.map((o) => (swap ? `${o} ${op} ${field}` : `${field} ${op} ${o}`));
    });
  }));

/** Random well-typed filters: and/or trees up to depth 3, with bare true/false now and then. */
export const filterText: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 6, arbitrary: term },
    { weight: 1, arbitrary: fc.constantFrom('true', 'false') },
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom(' && ', ' || '), fc.array(tie('expr'), { minLength: 2, maxLength: 3 }))
      .map(([op, items]) => items.map((i) => `(${i})`).join(op)) },
  ),
})).expr.filter((t) => t.length <= 2000);

export const sortTerms = fc.subarray(SORTABLE, { maxLength: 3 }).chain((fields) =>
  fc.tuple(...fields.map((f) => fc.boolean().map((desc) => ({ field: f, direction: desc ? 'desc' as const : 'asc' as const })))));

export const macroValues: fc.Arbitrary<MacroValues> = fc.constantFrom<MacroValues>(
  { auth: { id: 'u1', role: 'a', email: 'a' }, now: '2024-01-01T00:00:00.000Z' },
  { auth: { id: null, role: null, email: null }, now: '2024-06-01T12:00:00.000Z' },
  { auth: { id: 'u2', role: "'", email: '%' }, now: '2023-12-31T23:59:59.999Z' },
);

const nullable = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(a, { freq: 5, nil: null });

/** Rows as decoded values (what the reference evaluator sees). */
export const rowArb = fc.record({
  created: fc.constantFrom(...DATETIMES),
  updated: nullable(fc.constantFrom(...DATETIMES)),
  owner: nullable(fc.constantFrom('u1', 'u2', 'a')),
  title: nullable(storedText),
  email: nullable(storedText),
  n: nullable(storedNumber(true)),
  x: nullable(storedNumber(false)),
  ok: nullable(fc.boolean()),
  d: nullable(fc.constantFrom(...DATES)),
  dt: nullable(fc.constantFrom(...DATETIMES)),
  kind: nullable(fc.constantFrom('a', 'b')),
  parent: nullable(storedText),
  ssn: nullable(fc.constantFrom('a', 'b', '%')),
});
