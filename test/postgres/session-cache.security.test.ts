// Attack: keep using a session after it was ended or changed on another instance — a logout, revocation, disable or role change on instance A, then the very next request to instance B, whose session cache still holds the session.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { postgresStatus, testCluster } from '../helpers/dialects.ts';
import { describeWithTool } from '../helpers/require-tool.ts';
import { collection, field, NOTES, openTestApi, bearer, rowCounts, type TestApi } from '../helpers/test-engine.ts';
import { callerOf } from '../../src/http/session.ts';
import { guardCounts } from '../../src/db/statement-guard.ts';
import { batchCounts } from '../../src/db/postgres/write-batch.ts';
import { sql } from 'kysely';
import { hashSessionToken } from '../../src/crypto/session-token.ts';
import { randomId } from '../../src/crypto/random-id.ts';
import type { DatabaseConfig } from '../../src/config/config.ts';

const CHARTS = collection('charts', [field('title', 'text')], { view: "@auth.role = 'doctor'", list: "@auth.role = 'doctor'", create: null });

// A route that answers from the caller alone, without a statement of its own: the answer must wait for the re-read too.
const whoami = (accounts: () => TestApi['engine']['accounts']) => (app: FastifyInstance): void => {
  app.get('/api/test/whoami', async (req) => ({ id: (await callerOf(req, accounts())).id }));
};

describeWithTool(postgresStatus(), 'a session ended on one instance ends on every instance for the next request [postgres]', () => {
  let a: TestApi;
  let b: TestApi;
  let database: DatabaseConfig;
  let skew = 0; // B's clock runs ahead by this many milliseconds
  before(async () => {
    const c = await testCluster();
    database = { kind: 'postgres', url: await c.createDatabase(), password: c.password };
    a = await openTestApi(database, { collections: [NOTES, CHARTS], routes: whoami(() => a.engine.accounts) });
    b = await openTestApi(database, { collections: [NOTES, CHARTS], routes: whoami(() => b.engine.accounts), now: () => new Date(Date.now() + skew) });
  });
  after(async () => {
    await b?.close();
    await a?.close();
  });

  /** Signs in on A, writes a note there, and warms B's cache: B serves it from the cache, the re-read riding with the read. */
  async function warmed(email: string): Promise<{ token: string; accountId: string; noteId: string }> {
    const { token, account } = await a.signIn(email);
    const note = await a.inject({ method: 'POST', url: '/api/collections/notes/records', headers: bearer(token), payload: { title: `secret of ${email}` } });
    assert.equal(note.statusCode, 201, note.body);
    const url = `/api/collections/notes/records/${note.json().id}`;
    for (let i = 0; i < 3; i++) assert.equal((await b.inject({ method: 'GET', url, headers: bearer(token) })).statusCode, 200);
    const before = { ...guardCounts };
    const res = await b.inject({ method: 'GET', url, headers: bearer(token) });
    assert.equal(res.statusCode, 200);
    assert.equal(guardCounts.carried, before.carried + 1, 'B used its cache: the session re-read rode with the record read');
    assert.equal(guardCounts.alone, before.alone, 'no round trip of its own for the session');
    return { token, accountId: account.id, noteId: note.json().id };
  }

  function assertRefused(res: { statusCode: number; body: string }, secret: string): void {
    assert.equal(res.statusCode, 401, res.body);
    assert.equal(JSON.parse(res.body).error.code, 'ERR_UNAUTHENTICATED');
    assert.ok(!res.body.includes(secret), 'nothing of the record in the answer');
  }

  test('logout on A: B refuses the very next read, write and statement-less answer', async () => {
    const { token, accountId, noteId } = await warmed('logout@example.com');
    assert.equal((await a.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(token) })).statusCode, 204);
    const refusedBefore = guardCounts.refused;
    assertRefused(await b.inject({ method: 'GET', url: `/api/collections/notes/records/${noteId}`, headers: bearer(token) }), 'secret of logout');
    assert.equal(guardCounts.refused, refusedBefore + 1, 'the cached session was refused by its re-read, not merely missing');

    // the same from a cold start of the cache: warm again on a second token, log it out, then write and ask who
    const again = await warmed('logout2@example.com');
    assert.equal((await a.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(again.token) })).statusCode, 204);
    const counts = await rowCounts(b.engine, ['notes', '_sb_audit']);
    const create = await b.inject({ method: 'POST', url: '/api/collections/notes/records', headers: bearer(again.token), payload: { title: 'written after logout' } });
    assertRefused(create, 'written after logout');
    assert.deepEqual(await rowCounts(b.engine, ['notes', '_sb_audit']), counts, 'no record and no audit event: the insert was rolled back');

    const third = await warmed('logout3@example.com');
    assert.equal((await b.inject({ method: 'GET', url: '/api/test/whoami', headers: bearer(third.token) })).json().id, third.accountId);
    assert.equal((await a.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(third.token) })).statusCode, 204);
    const who = await b.inject({ method: 'GET', url: '/api/test/whoami', headers: bearer(third.token) });
    assertRefused(who, third.accountId);
    // and once refused, the session is gone from B's cache: anonymous from now on
    assert.equal((await b.inject({ method: 'GET', url: '/api/test/whoami', headers: bearer(third.token) })).json().id, null);
    assert.ok(accountId !== third.accountId);
  });

  test('creates batched in one transaction on B, one of them with a session logged out on A: that one alone is refused, its insert rolled back; each create is judged by its own session', async () => {
    const ended = await warmed('batched-ended@example.com');
    const live = await warmed('batched-live@example.com');
    assert.equal((await a.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(ended.token) })).statusCode, 204);
    const counts = await rowCounts(b.engine, ['notes', '_sb_audit']);
    const refusedBefore = guardCounts.refused;
    const batches = batchCounts.batches;
    const post = (token: string, title: string) => b.inject({ method: 'POST', url: '/api/collections/notes/records', headers: bearer(token), payload: { title } });
    const [first, refused, last] = await Promise.all([post(live.token, 'live one'), post(ended.token, 'after logout'), post(live.token, 'live two')]);
    assert.equal(batchCounts.batches, batches + 1, 'the three creates shared one batch');
    assert.equal(first.statusCode, 201, first.body);
    assert.equal(last.statusCode, 201, last.body);
    assertRefused(refused, 'after logout');
    assert.equal(guardCounts.refused, refusedBefore + 1, 'refused by its own session\'s re-read');
    assert.deepEqual(await rowCounts(b.engine, ['notes', '_sb_audit']), { notes: counts.notes + 2, _sb_audit: counts._sb_audit + 2 }, 'only the two live creates and their events');
    const { rows } = await sql<{ title: string }>`select title from notes where title = 'after logout'`.execute(b.engine.db.kysely);
    assert.equal(rows.length, 0);
  });

  test('revocation and disable on A: B refuses the next request', async () => {
    const one = await warmed('revoked@example.com');
    const sid = (await a.engine.db.kysely.selectFrom('_sb_sessions').select('id').where('token_hash', '=', hashSessionToken(one.token)).executeTakeFirstOrThrow()).id;
    const other = await a.signIn('revoked@example.com');
    assert.equal((await a.inject({ method: 'DELETE', url: `/api/auth/sessions/${sid}`, headers: bearer(other.token) })).statusCode, 204);
    assertRefused(await b.inject({ method: 'GET', url: `/api/collections/notes/records/${one.noteId}`, headers: bearer(one.token) }), 'secret of revoked');

    const two = await warmed('disabled@example.com');
    await a.engine.accounts.admin.change(two.accountId, { disabled: true }, { id: null, keepSessionHash: null });
    assertRefused(await b.inject({ method: 'GET', url: `/api/collections/notes/records/${two.noteId}`, headers: bearer(two.token) }), 'secret of disabled');
  });

  test('a role change that keeps the session: B does not serve the next request with the old role', async () => {
    const { token, accountId } = await warmed('doctor@example.com');
    await a.engine.accounts.admin.change(accountId, { role: 'doctor' }, { id: accountId, keepSessionHash: hashSessionToken(token) });
    // B had cached the old role: refused once, then read again with the new one
    assert.equal((await b.inject({ method: 'GET', url: '/api/collections/charts/records', headers: bearer(token) })).statusCode, 401);
    await a.engine.db.kysely.insertInto('charts').values({ id: randomId(), created: new Date().toISOString(), updated: new Date().toISOString(), owner: null, title: 'chart one' }).execute();
    const list = async () => b.inject({ method: 'GET', url: '/api/collections/charts/records', headers: bearer(token) });
    const asDoctor = await list();
    assert.equal(asDoctor.statusCode, 200, asDoctor.body);
    assert.equal(asDoctor.json().totalItems, 1);
    for (let i = 0; i < 3; i++) assert.equal((await list()).statusCode, 200);
    // demoted, session kept: the doctor's view must not be served even once more
    await a.engine.accounts.admin.change(accountId, { role: 'user' }, { id: accountId, keepSessionHash: hashSessionToken(token) });
    assertRefused(await list(), 'chart one');
    const demoted = await list();
    assert.ok(demoted.statusCode === 403 || demoted.statusCode === 404 || (demoted.statusCode === 200 && demoted.json().totalItems === 0), demoted.body);
    assert.ok(!demoted.body.includes('chart one'));
  });

  test('a use noted in a new minute is noted in the cache too: the next request carries the re-read again', async () => {
    const { token, noteId } = await warmed('minute@example.com');
    const url = `/api/collections/notes/records/${noteId}`;
    skew += 2 * 60_000;
    const before = { ...guardCounts };
    assert.equal((await b.inject({ method: 'GET', url, headers: bearer(token) })).statusCode, 200);
    assert.equal(guardCounts.alone, before.alone + 1, 'the last_seen write waited for the re-read, sent on its own');
    const row = await a.engine.db.kysely.selectFrom('_sb_sessions').select('last_seen').where('token_hash', '=', hashSessionToken(token)).executeTakeFirstOrThrow();
    assert.ok(String(row.last_seen) > new Date(Date.now() + 60_000).toISOString(), 'B noted the use at its clock');
    for (let i = 0; i < 3; i++) assert.equal((await b.inject({ method: 'GET', url, headers: bearer(token) })).statusCode, 200);
    assert.deepEqual([guardCounts.alone, guardCounts.carried], [before.alone + 1, before.carried + 3], 'back to one round trip per request');
  });
});
