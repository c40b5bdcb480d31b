import { archiveInvalid, type HeaderTable } from './archive-format.ts';

const NEWLINE = 0x0a;

/**
 * One data part of an archive (`data/<table>/<n>.jsonl`) as it streamed past: its bytes, its
 * line count, and its rows parsed only when asked for. A SQLite restore hands the bytes to
 * SQLite's own JSON parser, so most rows never become JavaScript values; the sample of `backup
 * verify` parses only the lines it keeps.
 */
export class DataPart {
  readonly table: HeaderTable;
  readonly data: Buffer;
  /** Where each line starts, plus one past the last line's newline. */
  readonly #starts: number[];

  constructor(table: HeaderTable, data: Buffer) {
    if (data.length === 0 || data[data.length - 1] !== NEWLINE) throw archiveInvalid(`a data part of ${table.name} does not end a line`);
    this.table = table;
    this.data = data;
    const starts = [0];
    for (let at = data.indexOf(NEWLINE); at !== -1; at = data.indexOf(NEWLINE, at + 1)) starts.push(at + 1);
    this.#starts = starts;
  }

  /** Rows in this part: one per line. */
  get count(): number {
    return this.#starts.length - 1;
  }

  /** Row i, checked to be a JSON array of the table's width. */
  rowAt(i: number): unknown[] {
    return this.#parse(this.data.toString('utf8', this.#starts[i], this.#starts[i + 1]! - 1));
  }

  /** Every row, each checked as rowAt checks it. */
  rows(): unknown[][] {
    const lines = this.data.toString('utf8').split('\n');
    lines.pop();
    return lines.map((line) => this.#parse(line));
  }

  #parse(line: string): unknown[] {
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw archiveInvalid(`a row of ${this.table.name} is not JSON`);
    }
    if (!Array.isArray(row) || row.length !== this.table.columns.length) throw archiveInvalid(`a row of ${this.table.name} has the wrong shape`);
    return row;
  }
}
