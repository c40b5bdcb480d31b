// Attack: someone who steals the database file, its WAL and shm, the PostgreSQL data directory or the server's log, or who calls the API without read rights, looks for the plaintext of sensitive fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { adminClient } from '../postgres/pg-roles-fixture.ts';
import { eachDialect, testCluster } from '../helpers/dialects.ts';
import { bearer, collection, field, openTestApi } from '../helpers/test-engine.ts';

const VAULT = collection('vault', [
  field('label', 'text'),
  field('secret', 'text', { sensitive: true, searchable: true, mask: 'last4', read: 'owner = @auth.id' }),
  field('contact', 'email', { sensitive: true, mask: 'email', read: 'owner = @auth.id' }),
  field('doc', 'json', { sensitive: true, read: 'owner = @auth.id' }),
], { list: 'true', view: 'true', create: '@auth.id != null', update: 'owner = @auth.id' });

/** Random canaries; any 8-byte run of one counts as a leak. */
function canary(): string {
  return `CANARY${randomBytes(12).toString('hex').toUpperCase()}`;
}

function windows(values: readonly string[], size = 8): Buffer[] {
  const out: Buffer[] = [];
  for (const v of values) for (let i = 0; i + size <= v.length; i++) out.push(Buffer.from(v.slice(i, i + size)));
  return out;
}

function leaks(bytes: Buffer, needles: readonly Buffer[]): string[] {
  return needles.filter((n) => bytes.includes(n)).map((n) => n.toString());
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : e.isFile() ? [p] : [];
  });
}

async function walFile(): Promise<string> {
  const admin = await adminClient(await testCluster());
  const f = String((await admin.query('SELECT pg_walfile_name(pg_current_wal_lsn()) AS f')).rows[0].f);
  await admin.end();
  return f;
}

eachDialect('sensitive values at rest', (t) => {
  test('no byte run of a canary in the database files, the log, or any response to a caller without read rights', async () => {
    const lines: string[] = [];
    const stream = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    const database = await t.freshDatabase();
    // On PostgreSQL, the WAL written by this test: from this position to the one after CHECKPOINT.
    const walStart = database.kind === 'postgres' ? await walFile() : null;
    const api = await openTestApi(database, { collections: [VAULT], logger: { level: 'info', stream } });
    const owner = await api.signIn('owner@example.com');
    const other = await api.signIn('other@example.com');
    const canaries: string[] = [];
    const responses: string[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const secret = `${canary()}-${i}`;
      const local = canary().toLowerCase();
      const inDoc = canary();
      canaries.push(secret, local, inDoc);
      const res = await api.inject({ method: 'POST', url: '/api/collections/vault/records', headers: bearer(owner.token),
        payload: { label: `l${i}`, secret, contact: `${local}@example.com`, doc: { note: inDoc } } });
      assert.equal(res.statusCode, 201, res.body);
      assert.equal(res.json().secret, secret, 'the owner reads plaintext');
      ids.push(res.json().id);
      if (i % 2 === 0) {
        const updated = `${canary()}-u${i}`;
        canaries.push(updated);
        const u = await api.inject({ method: 'PATCH', url: `/api/collections/vault/records/${res.json().id}`, headers: bearer(owner.token), payload: { secret: updated } });
        assert.equal(u.statusCode, 200, u.body);
      }
    }
    // a refused write must not echo the value either
    const bad = canary();
    canaries.push(bad);
    responses.push((await api.inject({ method: 'POST', url: '/api/collections/vault/records', headers: bearer(owner.token), payload: { secret: bad, contact: `${bad}-not-an-email` } })).body);
    for (const id of ids) responses.push((await api.inject({ method: 'GET', url: `/api/collections/vault/records/${id}`, headers: bearer(other.token) })).body);
    responses.push((await api.inject({ method: 'GET', url: '/api/collections/vault/records?perPage=100', headers: bearer(other.token) })).body);
    responses.push((await api.inject({ method: 'GET', url: '/api/collections/vault/records?perPage=100' })).body);
    responses.push((await api.inject({ method: 'GET', url: `/api/collections/vault/records?filter=${encodeURIComponent(`secret = "${canaries[0]}"`)}`, headers: bearer(other.token) })).body);
    const masked = JSON.parse(responses[1]);
    assert.match(masked.secret, /^\*+.{4}$/, 'other callers see the mask');
    assert.match(masked.contact, /^c\*\*\*@example\.com$/);
    assert.equal(masked.doc, undefined);
    const needles = windows(canaries);
    assert.deepEqual(leaks(Buffer.from(responses.join('\n')), needles), [], 'responses to a caller without read rights');
    const sqliteFiles = (path: string) => [path, `${path}-wal`, `${path}-shm`].filter((f) => existsSync(f));
    if (database.kind === 'sqlite') {
      // while the server runs: the WAL still holds the recent pages (closing checkpoints and removes it)
      const files = sqliteFiles(database.path);
      assert.equal(files.length, 3, 'the database, its WAL and shm exist');
      assert.ok(statSync(`${database.path}-wal`).size > 0, 'the WAL holds pages');
      for (const f of files) assert.deepEqual(leaks(readFileSync(f), needles), [], f);
    }
    await api.close();
    assert.deepEqual(leaks(Buffer.from(lines.join('')), needles), [], 'the server log');
    assert.ok(lines.length > 20, 'the log was captured');

    if (database.kind === 'sqlite') {
      for (const f of sqliteFiles(database.path)) assert.deepEqual(leaks(readFileSync(f), needles), [], f);
    } else {
      const cluster = await testCluster();
      const admin = await adminClient(cluster);
      await admin.query('CHECKPOINT');
      const walEnd = String((await admin.query('SELECT pg_walfile_name(pg_current_wal_lsn()) AS f')).rows[0].f);
      const dir = String((await admin.query('SHOW data_directory')).rows[0].data_directory);
      const dbName = new URL(database.url).pathname.slice(1);
      const oid = String((await admin.query('SELECT oid FROM pg_database WHERE datname = $1', [dbName])).rows[0].oid);
      await admin.end();
      // this test's database, the cluster-wide tables, and the WAL segments this test wrote
      // (names sort in WAL order; other tests' databases and older segments are theirs)
      const wal = readdirSync(join(dir, 'pg_wal')).filter((n) => /^[0-9A-F]{24}$/.test(n) && n >= String(walStart) && n <= walEnd).map((n) => join(dir, 'pg_wal', n));
      assert.ok(wal.length >= 1, 'the WAL segments of this test');
      let scanned = 0;
      for (const f of [...filesUnder(join(dir, 'base', oid)), ...filesUnder(join(dir, 'global')), ...wal]) {
        // the cluster is shared: a file listed a moment ago (pg_internal.init, a dropped
        // relation) may be gone by now, and a gone file holds no leak
        const bytes = readIfPresent(f);
        if (bytes === undefined) continue;
        scanned++;
        assert.deepEqual(leaks(bytes, needles), [], f);
      }
      assert.ok(scanned > 20, `scanned ${scanned} files of the data directory`);
    }
  });
});

function readIfPresent(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
