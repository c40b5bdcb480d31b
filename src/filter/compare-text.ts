/**
 * Compares strings by Unicode code point, which is the byte order of UTF-8: SQLite's BINARY
 * collation and PostgreSQL's "C" collation. JavaScript's `<` compares UTF-16 units, which differs
 * for characters above U+FFFF versus U+E000–U+FFFF.
 */
export function compareText(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x = x <= 0xdfff ? x + 0x2000 : x - 0x800;
    if (y >= 0xd800) y = y <= 0xdfff ? y + 0x2000 : y - 0x800;
    return x - y;
  }
  return a.length - b.length;
}
