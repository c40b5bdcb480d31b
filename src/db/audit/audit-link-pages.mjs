// Pages of audit chain links for the verify workers (src/core/audit/audit-verify-worker.mjs), on a
// read-only connection of their own. Plain JS so a worker thread loads it without a TypeScript loader.
//
// A link is [seq, encoding, hash, key_version], where the database itself builds the canonical
// encoding (src/core/audit/audit-chain.ts: the JSON array of the columns) in raw row mode: one
// string per event crosses into JavaScript instead of fourteen values, and no row object or JSON
// re-encoding is made. Where the database's JSON escaping could differ from JSON.stringify's (a
// control character, which stored text never holds once neutralized), the link fails and the
// caller re-checks that event with the JavaScript encoding: a pass here is exact, a failure a hint.

const TEXT_COLUMNS = ['time', 'actor_id', 'actor_role', 'token_id', 'ip', 'request_id', 'action',
  'target_collection', 'target_record', 'outcome', 'details'];

const SQLITE_LINKS = `select seq, json_array('strongbox-audit/1', seq, ${TEXT_COLUMNS.join(', ')}, key_version), hash, key_version
  from _sb_audit where seq > ? and seq <= ? order by seq limit ?`;

// to_json(text) escapes as JSON does; concat_ws skips nulls, so each nullable column is coalesced.
const PG_LINKS = `select seq, '[' || concat_ws(',', '"strongbox-audit/1"', seq::text,
  ${TEXT_COLUMNS.map((c) => `coalesce(to_json(${c})::text, 'null')`).join(', ')}, key_version::text) || ']', hash, key_version
  from _sb_audit where seq > $1 and seq <= $2 order by seq limit $3`;

/**
 * Opens a link source. `spec` is { dialect: 'sqlite', path } or { dialect: 'postgres', client }
 * (pg client settings as src/db/audit/audit-link-source.ts makes them: cloneable, with
 * `skipHostCheck` standing for sslmode=verify-ca's check that skips the host name).
 * Returns { page(afterSeq, lastSeq, limit) → Promise<links>, hashAt(seq) → Promise<string | undefined>, close() }.
 */
export async function openLinkSource(spec) {
  // each worker loads only its dialect's driver (pg alone adds a tenth of a second to a start)
  if (spec.dialect === 'sqlite') {
    const { default: BetterSqlite3 } = await import('better-sqlite3');
    const db = new BetterSqlite3(spec.path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    const links = db.prepare(SQLITE_LINKS).raw(true);
    const hash = db.prepare('select hash from _sb_audit where seq = ?').pluck();
    return {
      page: async (after, last, limit) => links.all(after, last, limit),
      hashAt: async (seq) => hash.get(seq),
      close: async () => db.close(),
    };
  }
  const { default: pg } = await import('pg');
  const { skipHostCheck, ...settings } = spec.client;
  if (skipHostCheck && settings.ssl) settings.ssl = { ...settings.ssl, checkServerIdentity: () => undefined };
  const client = new pg.Client(settings);
  client.on('error', () => undefined); // a dropped connection fails the pending query instead
  await client.connect();
  await client.query('begin isolation level repeatable read read only');
  return {
    async page(after, last, limit) {
      const res = await client.query({ name: 'sb-audit-links', text: PG_LINKS, values: [after, last, limit], rowMode: 'array' });
      for (const r of res.rows) {
        r[0] = Number(r[0]);
        r[3] = Number(r[3]);
      }
      return res.rows;
    },
    async hashAt(seq) {
      const res = await client.query({ name: 'sb-audit-hash', text: 'select hash from _sb_audit where seq = $1', values: [seq], rowMode: 'array' });
      return res.rows[0]?.[0];
    },
    close: async () => {
      await client.end().catch(() => undefined);
    },
  };
}
