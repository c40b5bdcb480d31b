// Attack: a session that was revoked, logged out or whose account was disabled keeps working
// because the server answers sign-in checks from a cache filled before the change (the change
// made by this process, or by another one such as the CLI writing to the same SQLite file).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/open-database.ts';
import { runSystemMigrations } from '../../src/db/migrate/system-migrations.ts';
import type { Database } from '../../src/db/database.ts';
import { batchWriterOf } from '../../src/db/sqlite/write-batch.ts';
import type { AccountService } from '../../src/core/auth/account-service.ts';
import { testAccounts, PW } from '../helpers/sign-in.ts';
import { sha256Hex } from '../../src/crypto/hash.ts';

let dir: string;
let db: Database;
let accounts: AccountService;
let other: BetterSqlite3.Database; // another process's connection to the same file

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-session-cache-'));
  const path = join(dir, 's.db');
  db = await openDatabase({ kind: 'sqlite', path });
  await runSystemMigrations(db);
  accounts = testAccounts(db, {});
  await accounts.register('sam@example.com', PW.alice);
  other = new BetterSqlite3(path);
  other.pragma('busy_timeout = 5000');
});
after(async () => {
  other.close();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

const login = async () => (await accounts.login('sam@example.com', PW.alice, { ip: '192.0.2.10' })).token;
/** Authenticated many times, so any cache is warm. */
async function warm(token: string): Promise<void> {
  for (let i = 0; i < 5; i++) assert.ok(await accounts.authenticate(token), 'a live session');
}

test('the database says when it may have changed (SQLite): a write here or a commit elsewhere moves the stamp', async () => {
  const a = db.changeStamp?.();
  assert.equal(typeof a, 'number');
  await new Promise((r) => setImmediate(r));
  assert.equal(db.changeStamp?.(), a, 'nothing changed, same stamp');
  other.prepare("update _sb_accounts set updated = 'x' || updated where email = 'sam@example.com'").run();
  await new Promise((r) => setImmediate(r)); // the next turn's snapshot
  const b = db.changeStamp?.();
  assert.notEqual(b, a, 'another connection committed');
});

test('a session deleted by another process stops working at once', async () => {
  const token = await login();
  await warm(token);
  other.prepare('delete from _sb_sessions where token_hash = ?').run(sha256Hex(token));
  await new Promise((r) => setImmediate(r));
  assert.equal(await accounts.authenticate(token), null);
});

test('an account disabled by another process is refused at once', async () => {
  const token = await login();
  await warm(token);
  other.prepare("update _sb_accounts set disabled = 1 where email = 'sam@example.com'").run();
  await new Promise((r) => setImmediate(r));
  assert.equal(await accounts.authenticate(token), null);
  other.prepare("update _sb_accounts set disabled = 0 where email = 'sam@example.com'").run();
});

test('a role changed by another process is seen at once', async () => {
  const token = await login();
  await warm(token);
  other.prepare("update _sb_accounts set role = 'admin' where email = 'sam@example.com'").run();
  await new Promise((r) => setImmediate(r));
  assert.equal((await accounts.authenticate(token))?.caller.role, 'admin');
  other.prepare("update _sb_accounts set role = 'user' where email = 'sam@example.com'").run();
  await new Promise((r) => setImmediate(r));
  assert.equal((await accounts.authenticate(token))?.caller.role, 'user');
});

test('logout and revocation in this process end the session at once, even within one event-loop turn', async () => {
  const token = await login();
  await warm(token);
  await accounts.logout(token);
  assert.equal(await accounts.authenticate(token), null, 'logged out');
  const t2 = await login();
  await warm(t2);
  await accounts.sessions.deleteByToken(t2);
  assert.equal(await accounts.authenticate(t2), null, 'revoked');
});

test('a logout batched with audit-style writes to the batch\'s connection ends the session at once; those writes alone keep it cached', async () => {
  await db.kysely.schema.createTable('scratch_events').ifNotExists().addColumn('v', 'text').execute();
  // as the audit trail appends: statements straight to the write batch's connection
  const append = (v: string) => db.write(async (trx) => {
    const w = batchWriterOf(trx);
    assert.ok(w, 'a write batch job has its connection');
    w.run('insert into scratch_events (v) values (?)', [v]);
  });
  const token = await login();
  await warm(token);
  const stamp = db.changeStamp?.();
  await Promise.all([append('1'), append('2')]);
  assert.equal(db.changeStamp?.(), stamp, 'appends leave the stamp: the cached session stays in use');
  assert.ok(await accounts.authenticate(token));
  // the logout's delete and more appends share one group commit
  await Promise.all([append('3'), accounts.logout(token), append('4')]);
  assert.equal(await accounts.authenticate(token), null, 'logged out, whatever else the batch held');
});

test('one keep-alive connection that switches tokens is answered for each token, never the previous one', async () => {
  await accounts.register('kim@example.com', PW.bob);
  const sam = await login();
  const kim = (await accounts.login('kim@example.com', PW.bob, { ip: '192.0.2.11' })).token;
  const connection = {}; // stands for the client's socket
  for (let i = 0; i < 4; i++) {
    assert.equal((await accounts.authenticate(sam, connection))?.caller.email, 'sam@example.com');
    assert.equal((await accounts.authenticate(kim, connection))?.caller.email, 'kim@example.com');
  }
  const forged = `${sam.slice(0, -1)}${sam.endsWith('A') ? 'B' : 'A'}`; // one character off
  assert.equal(await accounts.authenticate(forged, connection), null, 'a near-copy of the last token is not its session');
  assert.equal((await accounts.authenticate(sam, connection))?.caller.email, 'sam@example.com');
  await accounts.logout(sam, { ip: '192.0.2.10' });
  assert.equal(await accounts.authenticate(sam, connection), null, 'logged out on the same connection');
});
