// Pages of audit chain links for the fast verify (src/core/audit/verify-segment.mjs), on a read-only
// connection of its own. Plain JS so a worker thread loads it without a TypeScript loader.
//
// A page is one value built by the database: the records of up to `limit` consecutive events, each
//   6 ASCII digits: n, the byte length of the encoding | 96 spaces (room for the key pad and the
//   previous hash, src/crypto/chain-link-check.mjs) | n bytes: the canonical encoding (UTF-8) |
//   64 bytes: the stored hash (64 'x' when it is not text of 64 bytes, which then never matches)
// The database builds the canonical encoding itself (src/core/audit/audit-chain.ts: the JSON
// array of the columns), and the whole page crosses into JavaScript as one buffer: no string, row
// or Buffer per event. Where the database's JSON escaping could differ from JSON.stringify's (a
// control character, which stored text never holds once neutralized), the link fails and the
// caller re-checks that event with the JavaScript encoding: a pass here is exact, a failure a hint.
// An encoding of a million bytes or more is given length 0 (it fails; the exact check reads it).

const TEXT_COLUMNS = ['time', 'actor_id', 'actor_role', 'token_id', 'ip', 'request_id', 'action',
  'target_collection', 'target_record', 'outcome', 'details'];
const LEAD = ' '.repeat(96);
const NO_HASH = 'x'.repeat(64);
const MAX_LENGTH = 999_999;

// The LIMIT keeps the subquery from being flattened into the aggregate, so each encoding is built once.
const SQLITE_PAGE = `select cast(group_concat(case when n <= ${MAX_LENGTH} then printf('%06d', n) || '${LEAD}' || e else '000000${LEAD}' end
    || case when typeof(hash) = 'text' and octet_length(hash) = 64 then hash else '${NO_HASH}' end, '') as blob), count(*), max(seq)
  from (select seq, e, octet_length(e) n, hash from (select seq, json_array('strongbox-audit/1', seq, ${TEXT_COLUMNS.join(', ')}, key_version) e, hash
    from _sb_audit where seq > ? and seq <= ? order by seq limit ?))`;

// to_json(text) escapes as JSON does; concat_ws skips nulls, so each nullable column is coalesced.
const PG_ENCODING = `'[' || concat_ws(',', '"strongbox-audit/1"', seq::text,
  ${TEXT_COLUMNS.map((c) => `coalesce(to_json(${c})::text, 'null')`).join(', ')}, key_version::text) || ']'`;
// As text, turned into UTF-8 here: as bytea it would cross as hex, which costs this process more to decode.
// octet_length counts the server encoding's bytes, so a server whose encoding is not UTF8 is refused.
const PG_PAGE = `select string_agg(case when n <= ${MAX_LENGTH} then lpad(n::text, 6, '0') || '${LEAD}' || e else '000000${LEAD}' end
    || case when octet_length(hash) = 64 then hash else '${NO_HASH}' end, '' order by seq), count(*), max(seq)
  from (select seq, e, octet_length(e) n, hash
    from (select seq, ${PG_ENCODING} e, hash from _sb_audit where seq > $1 and seq <= $2 order by seq limit $3) r) t`;

/**
 * Opens a link source. `spec` is { dialect: 'sqlite', path } or { dialect: 'postgres', client }
 * (pg client settings as src/db/audit/audit-link-source.ts makes them: cloneable, with
 * `skipHostCheck` standing for sslmode=verify-ca's check that skips the host name).
 * Returns { prefetch, page(afterSeq, lastSeq, limit) → Promise<{ records: Buffer | null, count, lastSeq }>,
 * hashAt(seq) → Promise<string | undefined>, close() }; prefetch: whether asking for the next page
 * before checking this one overlaps work.
 */
export async function openLinkSource(spec) {
  // each thread loads only its dialect's driver (pg alone adds a tenth of a second to a start)
  if (spec.dialect === 'sqlite') {
    const { default: BetterSqlite3 } = await import('better-sqlite3');
    const db = new BetterSqlite3(spec.path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    const pages = db.prepare(SQLITE_PAGE).raw(true);
    const hash = db.prepare('select hash from _sb_audit where seq = ?').pluck();
    return {
      prefetch: false, // a query runs synchronously: nothing to overlap
      page: async (after, last, limit) => {
        const [records, count, lastSeq] = pages.get(after, last, limit);
        return { records, count, lastSeq };
      },
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
  const { rows: [{ encoding }] } = await client.query("select current_setting('server_encoding') as encoding, set_config('client_encoding', 'UTF8', true)");
  if (encoding !== 'UTF8') {
    await client.end().catch(() => undefined);
    throw new Error('the fast verify reads UTF8 databases only');
  }
  return {
    prefetch: true, // the server builds the next page while this thread checks one
    async page(after, last, limit) {
      const res = await client.query({ name: 'sb-audit-page', text: PG_PAGE, values: [after, last, limit], rowMode: 'array' });
      const [text, count, lastSeq] = res.rows[0];
      return { records: text === null ? null : Buffer.from(text, 'utf8'), count: Number(count), lastSeq: lastSeq === null ? null : Number(lastSeq) };
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
