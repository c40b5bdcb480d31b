// Attack: a page that controls the Host header (DNS rebinding, or a proxy that forwards Host) sends a matching Origin, so a check of Origin against Host lets its cookie-session change through.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEdge, type EdgeServer } from '../helpers/edge-server.ts';
import { requireTool, describeWithTool } from '../helpers/require-tool.ts';
import { opensslMissing } from '../helpers/test-certs.ts';
import { PW } from '../helpers/sign-in.ts';
import { rowCounts } from '../helpers/test-engine.ts';
import { SESSION_COOKIE, CSRF_HEADER } from '../../src/http/session.ts';
import { buildConfig } from '../../src/config/build-config.ts';
import { ConfigError } from '../../src/config/config-error.ts';

const NOTES = '/api/collections/notes/records';

async function signedIn(edge: EdgeServer): Promise<{ token: string; csrf: string }> {
  await edge.engine.accounts.register('victim@example.com', PW.alice);
  const r = await edge.request('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'victim@example.com', password: PW.alice }) });
  assert.equal(r.status, 200, r.text);
  const j = JSON.parse(r.text) as { token: string; csrfToken: string };
  return { token: j.token, csrf: j.csrfToken };
}

describeWithTool(requireTool('openssl', opensslMissing), 'Origin is checked against the server\'s own origins, never the Host header', () => {
  describe('no listen.publicOrigins: the address the request arrived on', () => {
    let edge: EdgeServer;
    let s: { token: string; csrf: string };
    let port: number;
    before(async () => {
      edge = await startEdge();
      port = edge.addresses.main.port;
      s = await signedIn(edge);
    });
    after(async () => { await edge.close(); });

    const write = (headers: Record<string, string>) => edge.request(NOTES, {
      method: 'POST', body: JSON.stringify({ title: 'planted' }),
      headers: { 'content-type': 'application/json', cookie: `${SESSION_COOKIE}=${s.token}`, [CSRF_HEADER]: s.csrf, ...headers },
    });

    test('a cookie session with a forged Host and an Origin matching it is ERR_CSRF, and nothing is written', async () => {
      const before_ = await rowCounts(edge.engine, ['notes']);
      for (const [host, origin] of [[`evil.example:${port}`, `https://evil.example:${port}`], ['evil.example', 'https://evil.example'],
        [`rebind.attacker.test:${port}`, `https://rebind.attacker.test:${port}`], [`127.0.0.1:${port + 1}`, `https://127.0.0.1:${port + 1}`]]) {
        const r = await write({ host, origin });
        assert.equal(r.status, 403, `${host} ${origin}: ${r.text}`);
        assert.equal(JSON.parse(r.text).error.code, 'ERR_CSRF');
      }
      // The old check would have let these through: Origin and Host agree.
      assert.deepEqual(await rowCounts(edge.engine, ['notes']), before_);
    });

    test('a login from a rebinding page (login CSRF) is refused and sets no cookie', async () => {
      const r = await edge.request('/api/auth/login', {
        method: 'POST', body: JSON.stringify({ email: 'victim@example.com', password: PW.alice }),
        headers: { 'content-type': 'application/json', host: `evil.example:${port}`, origin: `https://evil.example:${port}` },
      });
      assert.equal(r.status, 403);
      assert.equal(r.headers['set-cookie'], undefined);
    });

    test('the honest page at the server\'s own address (IP or localhost) passes, whatever Host says', async () => {
      for (const origin of [`https://127.0.0.1:${port}`, `https://localhost:${port}`]) {
        for (const host of [`127.0.0.1:${port}`, 'anything.example']) {
          const r = await write({ host, origin });
          assert.equal(r.status, 201, `${host} ${origin}: ${r.text}`);
        }
      }
      // Same host, other scheme: another origin.
      assert.equal((await write({ origin: `http://127.0.0.1:${port}` })).status, 403);
    });

    test('Bearer requests stay exempt: no ambient credential to ride on', async () => {
      const r = await edge.request(NOTES, {
        method: 'POST', body: JSON.stringify({ title: 'api' }),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token}`, host: `evil.example:${port}`, origin: `https://evil.example:${port}` },
      });
      assert.equal(r.status, 201, r.text);
    });
  });

  describe('listen.publicOrigins set: exactly those origins', () => {
    let edge: EdgeServer;
    let s: { token: string; csrf: string };
    let port: number;
    before(async () => {
      edge = await startEdge({ edge: { listen: { publicOrigins: ['https://vault.example.com'] } } });
      port = edge.addresses.main.port;
      s = await signedIn(edge);
    });
    after(async () => { await edge.close(); });

    const write = (headers: Record<string, string>) => edge.request(NOTES, {
      method: 'POST', body: JSON.stringify({ title: 'x' }),
      headers: { 'content-type': 'application/json', cookie: `${SESSION_COOKIE}=${s.token}`, [CSRF_HEADER]: s.csrf, ...headers },
    });

    test('the listed origin passes; a forged Host with its Origin, and the bare address, are refused', async () => {
      assert.equal((await write({ host: 'vault.example.com', origin: 'https://vault.example.com' })).status, 201);
      for (const [host, origin] of [['evil.example', 'https://evil.example'], [`127.0.0.1:${port}`, `https://127.0.0.1:${port}`],
        ['vault.example.com', 'http://vault.example.com'], ['vault.example.com:8443', 'https://vault.example.com:8443']]) {
        const r = await write({ host, origin });
        assert.equal(r.status, 403, `${host} ${origin}`);
        assert.equal(JSON.parse(r.text).error.code, 'ERR_CSRF');
      }
    });
  });
});

describe('listen.publicOrigins is strictly validated', () => {
  const issues = (publicOrigins: unknown): string[] => {
    try {
      buildConfig({ listen: { publicOrigins } }, { baseDir: '/srv/app', env: {} });
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.issues.map((i) => `${i.path}: ${i.message}`);
    }
    return [];
  };

  test('wildcards, null, paths, plain http beyond loopback, non-lists and too many are refused', () => {
    for (const [value, why] of [
      [['*'], /'\*' is never allowed/], [['null'], /'null' is never allowed/], [['https://vault.example.com/'], /expected an origin/],
      [['https://vault.example.com/app'], /expected an origin/], [['vault.example.com'], /expected an origin/], [['ftp://vault.example.com'], /expected an origin/],
      [['http://vault.example.com'], /must be https/], [['http://10.0.0.5:8443'], /must be https/], ['https://vault.example.com', /expected a list/],
      [Array.from({ length: 33 }, (_, i) => `https://h${i}.example.com`), /at most 32/],
    ] as const) {
      const found = issues(value);
      assert.ok(found.some((m) => why.test(m) && m.startsWith('listen.publicOrigins')), `${JSON.stringify(value).slice(0, 60)}: ${found.join('; ')}`);
    }
  });

  test('exact origins are kept normalized (lower case, default port dropped); loopback may be http', () => {
    const c = buildConfig({ listen: { publicOrigins: ['https://Vault.Example.com:443', 'http://localhost:8090', 'https://vault.example.com'] } }, { baseDir: '/srv/app', env: {} });
    assert.deepEqual(c.listen.publicOrigins, ['https://vault.example.com', 'http://localhost:8090']);
  });
});
