import { createRequire } from 'node:module';
import pg from 'pg';

const load = createRequire(import.meta.url);
const { prepareValue } = load('pg/lib/utils.js') as { prepareValue: (v: unknown) => unknown };
const PgResult = load('pg/lib/result.js') as new () => ResultInternals & {
  parseRow(fields: (string | null)[]): Record<string, unknown>;
  addRow(row: Record<string, unknown>): void;
  addCommandComplete(msg: unknown): void;
};

/** What pg's Query does with the connection and the server's messages (pg/lib/query.js). */
export interface WireConnection {
  readonly stream: { cork?: () => void; uncork?: () => void };
  readonly parsedStatements: Record<string, string | undefined>;
  parse(msg: { text: string; name?: string }): void;
  bind(msg: { statement?: string; values?: readonly unknown[]; valueMapper?: (v: unknown) => unknown }): void;
  describe(msg: { type: 'P'; name: string }): void;
  execute(msg: { portal?: string; rows?: number }): void;
  sync(): void;
}

/** The parts of pg's Result a described statement presets (pg/lib/result.js). */
interface ResultInternals {
  fields: unknown[];
  _parsers: unknown[] | undefined;
  _prebuiltEmptyResultObject: Record<string, null> | null;
}

export interface QueryInternals {
  readonly portal: string;
  name?: string;
  values?: unknown[];
  rows?: number;
  queryMode?: string;
  callback?: (err: Error | null, res?: pg.QueryResult) => void;
  _result: ResultInternals;
  _accumulateRows: boolean;
  submit(connection: WireConnection): Error | null | undefined;
  prepare(connection: WireConnection): void;
  hasBeenParsed(connection: WireConnection): boolean;
  handleError(err: unknown, connection: WireConnection): void;
  handleCommandComplete(msg: unknown, connection: WireConnection): void;
  handleRowDescription(msg: { fields: { name: string }[] }): void;
  handleDataRow(msg: { fields: (string | null)[] }): void;
  /** Sends Execute and then Sync (pg/lib/query.js); the last step of prepare(). */
  _getRows(connection: WireConnection, rows: number | undefined): void;
}

/**
 * What a prepared statement returns, as the server first described it on a connection (pg's
 * fields, the type parsers it chose and the empty row). A statement's result shape is fixed when
 * it is prepared (a schema change under it fails with 0A000 and new names are handed out), so
 * later runs skip Describe: no RowDescription to send, parse and turn into parsers each time.
 */
export interface Described {
  readonly fields: unknown[];
  readonly parsers: unknown[] | undefined;
  readonly empty: Record<string, null> | null;
}

/** The description a finished query's result carries, to reuse on the same connection. */
export function describedBy(result: pg.QueryResult): Described | undefined {
  const r = result as unknown as ResultInternals & { command?: unknown };
  if (Array.isArray(result) || !Array.isArray(r.fields)) return undefined;
  return { fields: r.fields, parsers: r._parsers, empty: r._prebuiltEmptyResultObject ?? {} };
}

type QueryCtor = new (text: string, values?: unknown[]) => QueryInternals;
const PgQuery = pg.Query as unknown as QueryCtor;

/**
 * A prepared, described statement sent right behind another in the same round trip (a
 * transaction's head lock behind its first statement: named-statement-client.ts); `result` is
 * set once it ran. Should it fail, the query it rode with fails with its error.
 */
export interface Trailing {
  readonly name: string;
  readonly values: unknown[];
  readonly described: Described;
  result?: pg.QueryResult;
}

/**
 * A named statement already prepared on the connection: built from its text (pg copies a config
 * object's every property descriptor per query; a text needs no copy), and, when its result was
 * described before, sent as Bind/Execute only, its result preset with that description.
 */
export class PreparedQuery extends PgQuery {
  readonly #described: Described | undefined;
  /** set by a subclass or caller before the query is submitted */
  trailing: Trailing | undefined;
  #mainDone = false;
  #trailingResult: InstanceType<typeof PgResult> | undefined;

  constructor(name: string, text: string, values: unknown[], described: Described | undefined) {
    super(text, values);
    this.name = name;
    this.queryMode = 'extended';
    this.#described = described;
    if (described !== undefined) {
      const r = this._result;
      r.fields = described.fields;
      r._parsers = described.parsers;
      r._prebuiltEmptyResultObject = described.empty;
      this._accumulateRows = true;
    }
  }

  override prepare(connection: WireConnection): void {
    if (this.#described === undefined || !this.hasBeenParsed(connection)) return super.prepare(connection);
    try {
      connection.bind({ statement: this.name, values: this.values, valueMapper: prepareValue });
    } catch (err) {
      connection.sync();
      this.handleError(err, connection);
      return;
    }
    this._getRows(connection, this.rows);
  }

  override _getRows(connection: WireConnection, rows: number | undefined): void {
    if (this.trailing === undefined) return super._getRows(connection, rows);
    connection.execute({ portal: this.portal, rows });
    connection.bind({ statement: this.trailing.name, values: this.trailing.values, valueMapper: prepareValue });
    connection.execute({});
    connection.sync();
  }

  override handleDataRow(msg: { fields: (string | null)[] }): void {
    if (!this.#mainDone) return super.handleDataRow(msg);
    const r = this.#trailingResultOf();
    r.addRow(r.parseRow(msg.fields));
  }

  override handleCommandComplete(msg: unknown, connection: WireConnection): void {
    if (this.#mainDone) {
      const r = this.#trailingResultOf();
      r.addCommandComplete(msg);
      this.trailing!.result = r as unknown as pg.QueryResult;
      return;
    }
    this.#mainDone = this.trailing !== undefined;
    super.handleCommandComplete(msg, connection);
  }

  #trailingResultOf(): InstanceType<typeof PgResult> {
    if (this.#trailingResult === undefined) {
      const r = new PgResult();
      const d = this.trailing!.described;
      r.fields = d.fields;
      r._parsers = d.parsers;
      r._prebuiltEmptyResultObject = d.empty;
      this.#trailingResult = r;
    }
    return this.#trailingResult;
  }
}

/** Runs a prepared statement (see PreparedQuery) and resolves with pg's result. */
export function queryPrepared(raw: pg.PoolClient, name: string, text: string, values: unknown[], described: Described | undefined): Promise<pg.QueryResult> {
  return new Promise((resolve, reject) => {
    const q = new PreparedQuery(name, text, values, described);
    q.callback = (err, res) => (err ? reject(err) : resolve(res!));
    raw.query(q as unknown as pg.Submittable);
  });
}
