import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { api, runCli, startServe, tempDir, type ServeHandle } from './cli-helpers.ts';

describe('strongbox serve', () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: ServeHandle | undefined;
  beforeEach(() => { tmp = tempDir(); server = undefined; });
  afterEach(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    tmp.cleanup();
  });

  test('--dev in an empty folder creates the config, serves /api/health and stops on SIGTERM', async () => {
    server = await startServe(['--dev', '--port', '0'], { cwd: tmp.dir });
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(existsSync(join(tmp.dir, 'strongbox.yaml')));
    assert.equal(statSync(join(tmp.dir, 'data')).mode & 0o777, 0o700);
    const health = await api(server.url, 'GET', '/api/health');
    assert.equal(health.status, 200);
    assert.deepEqual(health.json, { status: 'ok' });
    const { stdout } = server.output();
    assert.match(stdout, /first run in dev mode/);
    assert.match(stdout, /printf '%s' 'a-long-password' \| npx strongbox admin create --email you@example\.com --password-stdin/);
    const end = await server.stop('SIGTERM');
    assert.equal(end.code, 0, end.stderr);
    assert.match(end.stdout, /SIGTERM received[\s\S]*stopped/);

    // second start: the config exists, so no first-run text
    server = await startServe(['--dev', '--port', '0'], { cwd: tmp.dir });
    assert.doesNotMatch(server.output().stdout, /first run|admin create/);
    const end2 = await server.stop('SIGINT');
    assert.equal(end2.code, 0, JSON.stringify(end2));
  });

  test('SIGTERM lets an in-flight request finish, then exits 0', async () => {
    server = await startServe(['--dev', '--port', '0'], { cwd: tmp.dir });
    const body = JSON.stringify({ email: 'inflight@example.com', password: 'a-long-password' });
    const { port } = new URL(server.url);
    const response = new Promise<{ status: number; text: string }>((done, fail) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/api/auth/register', ca: server?.ca ?? undefined,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => { text += d; }).on('end', () => done({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', fail);
      // half the body now, the rest after the signal: the request is in flight across SIGTERM
      req.write(body.slice(0, 10));
      setTimeout(() => {
        server?.child.kill('SIGTERM');
        setTimeout(() => {
          assert.equal(server?.child.exitCode, null, 'still running while a request is in flight');
          req.end(body.slice(10));
        }, 500);
      }, 500);
    });
    const res = await response;
    assert.equal(res.status, 201, res.text);
    assert.equal(JSON.parse(res.text).account.email, 'inflight@example.com');
    const end = await server.exited;
    assert.equal(end.code, 0, end.stderr);
    assert.match(end.stdout, /stopped/);
  });

  test('new connections are refused after shutdown', async () => {
    server = await startServe(['--dev', '--port', '0'], { cwd: tmp.dir });
    const url = server.url;
    assert.equal((await server.stop()).code, 0);
    await assert.rejects(fetch(`${url}/api/health`, { signal: AbortSignal.timeout(5000) }));
  });

  test('without --dev there is no plain HTTP: TLS is required (exit 1)', async () => {
    assert.equal((await runCli(['init'], { cwd: tmp.dir })).code, 0);
    const r = await runCli(['serve', '--port', '0'], { cwd: tmp.dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^strongbox: ERR_TLS_REQUIRED: listen\.tls is not configured; production serves HTTPS only[^\n]*\n$/);
    assert.doesNotMatch(r.stdout, /listening/);
  });

  test('--dev on a non-loopback host is refused (exit 1)', async () => {
    const r = await runCli(['serve', '--dev', '--host', '0.0.0.0', '--port', '0'], { cwd: tmp.dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^strongbox: ERR_TLS_REQUIRED: .*not 0\.0\.0\.0\n$/);
    assert.doesNotMatch(r.stdout, /listening/);
  });

  test('--config F --host H --port P drive a server from another folder', async () => {
    assert.equal((await runCli(['init', '--dir', 'app'], { cwd: tmp.dir })).code, 0);
    server = await startServe(['--dev', '--config', 'app/strongbox.yaml', '--host', 'localhost', '--port', '0'], { cwd: tmp.dir });
    assert.match(server.url, /^https:\/\/localhost:\d+$/);
    assert.ok(existsSync(join(tmp.dir, 'app/data/strongbox.db')), 'database path resolves from the config folder');
    assert.equal((await api(server.url, 'GET', '/api/health')).status, 200);
    assert.equal((await server.stop()).code, 0);
  });

  test('a port in use is one clear line and exit 1', async () => {
    server = await startServe(['--dev', '--port', '0'], { cwd: tmp.dir });
    const { port } = new URL(server.url);
    const r = await runCli(['serve', '--dev', '--port', port], { cwd: tmp.dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^strongbox: ERR_INTERNAL: the address is already in use \(EADDRINUSE\)[^\n]*\n$/);
    await sleep(0);
    assert.equal((await server.stop()).code, 0);
  });
});
