import type { ArchiveStorage } from './value-coercion.ts';

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const MAX_SAFE = '9007199254740991';

/**
 * One column as a json_array() argument that yields its archive form (value-coercion.ts), so
 * SQLite writes the line itself, without a JavaScript value per column. SQLite's JSON renders a
 * REAL with the digits it needs to read back the same double (3.53 does; a test checks).
 */
function columnJson(column: string, storage: ArchiveStorage): string | null {
  const c = quote(column);
  switch (storage) {
    case 'integer':
      // beyond 2^53 a JSON number would round: the archive holds the decimal string
      return `case when typeof(${c}) = 'integer' and (${c} > ${MAX_SAFE} or ${c} < -${MAX_SAFE}) then cast(${c} as text) else ${c} end`;
    case 'boolean':
      return `case when ${c} is null then null when ${c} = 1 or ${c} = 't' then json('true') else json('false') end`;
    case 'blob':
      return null; // base64 is not an SQLite function: such tables take the JavaScript path
    default:
      return c;
  }
}

/**
 * A statement that reads one page of a table as JSON Lines, in rowid order after `?1`, at most
 * `?2` rows: one row `(n, last, text)` with the page's row count, its last rowid and every
 * line, each ending in a newline. Null when a column cannot be written this way.
 */
export function sqliteJsonLinesQuery(table: string, columns: readonly { name: string; storage: ArchiveStorage }[]): string | null {
  const parts: string[] = [];
  for (const col of columns) {
    const e = columnJson(col.name, col.storage);
    if (e === null) return null;
    parts.push(e);
  }
  // The lines of a page may come in any order (nothing in the format depends on it); max(r)
  // is where the next page starts either way.
  return `select count(*) as n, max(r) as last, group_concat(line, char(10)) || char(10) as text
    from (select _rowid_ as r, json_array(${parts.join(', ')}) as line from ${quote(table)} where _rowid_ > ? order by _rowid_ limit ?)`;
}
