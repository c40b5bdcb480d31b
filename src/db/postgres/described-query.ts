import { createRequire } from 'node:module';
import pg from 'pg';

const { prepareValue } = createRequire(import.meta.url)('pg/lib/utils.js') as { prepareValue: (v: unknown) => unknown };

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
 * A named statement already prepared on the connection: built from its text (pg copies a config
 * object's every property descriptor per query; a text needs no copy), and, when its result was
 * described before, sent as Bind/Execute only, its result preset with that description.
 */
export class PreparedQuery extends PgQuery {
  readonly #described: Described | undefined;

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
}

/** Runs a prepared statement (see PreparedQuery) and resolves with pg's result. */
export function queryPrepared(raw: pg.PoolClient, name: string, text: string, values: unknown[], described: Described | undefined): Promise<pg.QueryResult> {
  return new Promise((resolve, reject) => {
    const q = new PreparedQuery(name, text, values, described);
    q.callback = (err, res) => (err ? reject(err) : resolve(res!));
    raw.query(q as unknown as pg.Submittable);
  });
}
