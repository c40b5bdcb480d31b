import { CompiledQuery, sql, type Kysely } from 'kysely';
import type { Dialect } from './database.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Executor = Kysely<any>;

/** One row the re-encryption job rewrites: the values it read and the values to store. */
export interface RowRewrite {
  readonly id: string;
  /** the row's sensitive revision (`_sv`) when it was read */
  readonly revision: string;
  /** per column (in `columns` order): the value read */
  readonly from: readonly (string | null)[];
  /** per column: the value to store (equal to `from` where nothing changes) */
  readonly to: readonly (string | null)[];
}

/** Rows per UPDATE: keeps the SQL text under the statement cache's entry limit, so it is prepared once. */
const ROWS_PER_STATEMENT = 64;

/**
 * The re-encryption job's two statements for one table and column set, compiled once and reused
 * for every batch (only parameters change), so no query is built per batch.
 */
export class ReencryptStatements {
  private readonly read: string;
  private readonly writes = new Map<number, string>();

  constructor(
    private readonly kysely: Executor,
    private readonly dialect: Dialect,
    private readonly table: string,
    /** `_sv` first is not needed: the revision is read separately */
    private readonly revisionColumn: string,
    readonly columns: readonly string[],
  ) {
    const cols = sql.join([sql.ref('id'), sql.ref(revisionColumn), ...columns.map((c) => sql.ref(c))]);
    this.read = sql`select ${cols} from ${sql.table(table)} where ${sql.ref('id')} > ${''} order by ${sql.ref('id')} limit ${0}`.compile(kysely).sql;
  }

  /** Rows after `cursor` in id order: `[id, revision, ...columns]` each. */
  async readAfter(exec: Executor, cursor: string, limit: number): Promise<Record<string, unknown>[]> {
    const r = await exec.executeQuery<Record<string, unknown>>(CompiledQuery.raw(this.read, [cursor, limit]));
    return r.rows;
  }

  /**
   * Compare-and-set for whole rows: a row is rewritten only if its revision and every listed
   * column still hold what the job read (NULL-safe). Any write of a sensitive field renews the
   * revision, so a concurrent write wins and is never overwritten with stale values.
   */
  async write(exec: Executor, rows: readonly RowRewrite[]): Promise<void> {
    // Rows grouped by which columns change: a column left out of SET keeps its indexes untouched
    // (a data-key rotation leaves every blind-index entry where it is).
    const groups = new Map<number, RowRewrite[]>();
    for (const r of rows) {
      let mask = 0;
      for (let c = 0; c < this.columns.length; c++) if (r.from[c] !== r.to[c]) mask |= 1 << c;
      if (mask === 0) continue;
      const g = groups.get(mask);
      if (g) g.push(r);
      else groups.set(mask, [r]);
    }
    for (const [mask, group] of groups) {
      for (let i = 0; i < group.length; i += ROWS_PER_STATEMENT) {
        const chunk = group.slice(i, i + ROWS_PER_STATEMENT);
        // Padded to a power of two by repeating the last row (the same change twice is the same
        // change), so a handful of statement shapes serve every batch.
        let n = 1;
        while (n < chunk.length) n *= 2;
        const params: unknown[] = [];
        for (let k = 0; k < n; k++) {
          const r = chunk[Math.min(k, chunk.length - 1)];
          params.push(r.id, r.revision);
          for (let c = 0; c < this.columns.length; c++) params.push(r.from[c], r.to[c]);
        }
        await exec.executeQuery(CompiledQuery.raw(this.writeSql(mask, n), params));
      }
    }
  }

  private writeSql(mask: number, n: number): string {
    const key = mask * 1024 + n;
    let text = this.writes.get(key);
    if (text !== undefined) return text;
    const width = 2 + 2 * this.columns.length;
    const row = sql`(${sql.join(Array.from({ length: width }, () => sql`${null}`))})`;
    const names = [sql`column1 as row_id`, sql`column2 as row_sv`];
    this.columns.forEach((_, c) => names.push(sql.raw(`column${3 + 2 * c} as o${c}, column${4 + 2 * c} as n${c}`)));
    const t = sql.table(this.table);
    const ref = (col: string) => sql.ref(`${this.table}.${col}`);
    const same = this.dialect === 'postgres' ? sql.raw(' is not distinct from ') : sql.raw(' is ');
    const conds = [sql`${ref('id')} = v.row_id`, sql`${ref(this.revisionColumn)} = v.row_sv`,
      ...this.columns.map((col, c) => sql`${ref(col)}${same}${sql.raw(`v.o${c}`)}`)];
    const sets = this.columns.flatMap((col, c) => ((mask & (1 << c)) === 0 ? [] : [sql`${sql.ref(col)} = ${sql.raw(`v.n${c}`)}`]));
    text = sql`update ${t} set ${sql.join(sets)}
      from (select ${sql.join(names)} from (values ${sql.join(Array.from({ length: n }, () => row))}) as rows) as v
      where ${sql.join(conds, sql` and `)}`.compile(this.kysely).sql;
    this.writes.set(key, text);
    return text;
  }
}
