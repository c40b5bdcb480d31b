import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { api, runCli, startServe, tempDir, type ServeHandle } from './cli-helpers.ts';

const PASSWORD = 'correct-horse-battery-staple';

describe('strongbox admin create', () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: ServeHandle | undefined;
  before(async () => {
    tmp = tempDir();
    assert.equal((await runCli(['init'], { cwd: tmp.dir })).code, 0);
  });
  after(async () => {
    await server?.stop();
    tmp.cleanup();
  });

  test('creates an admin from a password piped on stdin; it can log in', async () => {
    const r = await runCli(['admin', 'create', '--email', 'Admin@Example.com', '--password-stdin'], { cwd: tmp.dir, input: `${PASSWORD}\n` });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /created admin admin@example\.com \(id [A-Za-z0-9_-]{20}\)/);
    assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD), 'the password is never echoed');

    server = await startServe(['--dev', '--port', '0'], { cwd: tmp.dir });
    const ok = await api(server.url, 'POST', '/api/auth/login', { email: 'admin@example.com', password: PASSWORD });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.account.role, 'admin');
    assert.match(ok.json.token, /\S{32,}/);
    // the trailing newline was not part of the password
    const nl = await api(server.url, 'POST', '/api/auth/login', { email: 'admin@example.com', password: `${PASSWORD}\n` });
    assert.equal(nl.status, 401);
  });

  test('works from another folder with --config', async () => {
    const elsewhere = join(tmp.dir, 'elsewhere');
    mkdirSync(elsewhere);
    const r = await runCli(['admin', 'create', '--email', 'second@example.com', '--password-stdin', '--config', '../strongbox.yaml'],
      { cwd: elsewhere, input: PASSWORD });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(server);
    const ok = await api(server.url, 'POST', '/api/auth/login', { email: 'second@example.com', password: PASSWORD });
    assert.equal(ok.status, 200);
  });

  test('a taken email fails with exit 1 and one line', async () => {
    const r = await runCli(['admin', 'create', '--email', 'admin@example.com', '--password-stdin'], { cwd: tmp.dir, input: PASSWORD });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^strongbox: ERR_CONFLICT: [^\n]+\n$/);
  });

  test('a short password is refused and names the field', async () => {
    const r = await runCli(['admin', 'create', '--email', 'short@example.com', '--password-stdin'], { cwd: tmp.dir, input: 'short' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^strongbox: ERR_PASSWORD_POLICY: .*password[^\n]*\n$/);
    assert.ok(!r.stderr.includes('short@'), 'no echo of input beyond the field name');
  });

  test('an empty stdin is a usage error', async () => {
    const r = await runCli(['admin', 'create', '--email', 'empty@example.com', '--password-stdin'], { cwd: tmp.dir, input: '' });
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'strongbox: ERR_USAGE: no password on stdin\n');
  });
});
