import pg from 'pg';
import type { CustomTypesConfig } from 'pg';

// OIDs from pg_type.h (stable across PostgreSQL versions)
const INT8 = 20;
const DATE = 1082;
const TIME = 1083;
const TIMESTAMP = 1114;
const TIMESTAMPTZ = 1184;
const TIMETZ = 1266;
const INTERVAL = 1186;

const identity = (value: string): string => value;

/** bigint → number when exact; a larger value stays a string so no digit is ever lost. */
function parseInt8(value: string): number | string {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value;
}

const OVERRIDES: ReadonlyMap<number, (value: string) => unknown> = new Map<number, (value: string) => unknown>([
  [INT8, parseInt8],
  // Strongbox stores dates as ISO text; a server-side timestamp must not become a Date in
  // the server's local zone, so these stay as PostgreSQL prints them (sessions run in UTC).
  [DATE, identity],
  [TIME, identity],
  [TIMESTAMP, identity],
  [TIMESTAMPTZ, identity],
  [TIMETZ, identity],
  [INTERVAL, identity],
]);

/**
 * Per-pool type parsers (pg's global `types` is left untouched). numeric (1700) keeps pg's
 * default, a string, so its precision survives; jsonb and boolean keep their defaults.
 */
export const pgTypeParsers: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    const parser = OVERRIDES.get(oid);
    if (parser !== undefined && (format === undefined || format === 'text')) return parser;
    return format === undefined ? pg.types.getTypeParser(oid) : pg.types.getTypeParser(oid, format);
  }) as CustomTypesConfig['getTypeParser'],
};
