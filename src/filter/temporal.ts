/**
 * Date and datetime literals. Stored forms: date `YYYY-MM-DD`, datetime `YYYY-MM-DDTHH:mm:ss.sssZ`
 * (UTC), so text order is time order. A literal is validated and normalized, never guessed at.
 */
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})$/;
const NORMAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function validDay(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
  return d <= days;
}

/** `YYYY-MM-DD` with a real calendar day, or null. */
export function normalizeDate(text: string): string | null {
  const m = DATE.exec(text);
  if (!m) return null;
  return validDay(+m[1], +m[2], +m[3]) ? text : null;
}

/**
 * ISO 8601 with an explicit zone (`Z` or `±HH:MM`), at most millisecond precision; a bare date
 * means midnight UTC. Returns the normalized UTC form, or null when invalid or outside years 0000–9999.
 */
export function normalizeDatetime(text: string): string | null {
  if (NORMAL.test(text) && validNormal(text)) return text;
  const dateOnly = normalizeDate(text);
  if (dateOnly) return `${dateOnly}T00:00:00.000Z`;
  if (text.length > 40) return null;
  const m = DATETIME.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi] = [+m[1], +m[2], +m[3], +m[4], +m[5]];
  const s = m[6] ? +m[6] : 0;
  const ms = m[7] ? +m[7].padEnd(3, '0') : 0;
  if (!validDay(y, mo, d) || h > 23 || mi > 59 || s > 59) return null;
  let offset = 0;
  if (m[8] !== 'Z') {
    const oh = +m[8].slice(1, 3), om = +m[8].slice(4, 6);
    if (oh > 23 || om > 59) return null;
    offset = (m[8][0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d); // not Date.UTC: it maps years 0–99 to 1900–1999
  date.setUTCHours(h, mi - offset, s, ms);
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) return null;
  return date.toISOString();
}

function validNormal(text: string): boolean {
  const h = +text.slice(11, 13), mi = +text.slice(14, 16), s = +text.slice(17, 19);
  return validDay(+text.slice(0, 4), +text.slice(5, 7), +text.slice(8, 10)) && h <= 23 && mi <= 59 && s <= 59;
}
