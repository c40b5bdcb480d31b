// Attack: reach /api/admin/* or the admin UI from the public internet (directly, with a wrong method that would reveal the route, with encoded paths, or with a forged X-Forwarded-For).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { parseCidr } from '../../src/util/cidr.ts';
import { defaultEdge } from '../../src/config/parse-edge.ts';
import { adminReachableFromEverywhere } from '../../src/core/edge/edge-setup.ts';
import { isLoopbackHost } from '../../src/cli/loopback.ts';
import type { StrongboxConfig } from '../../src/config/config.ts';
import { openTestApi, tempSqlite, type TestApi } from '../helpers/test-engine.ts';
import { describeWithTool, requireTool } from '../helpers/require-tool.ts';
import { opensslMissing } from '../helpers/test-certs.ts';
import { startEdge, type EdgeServer } from '../helpers/edge-server.ts';

/** Stand-ins for the admin routes other features add: the gate is by prefix, so these are covered the same way. */
function adminRoutes(app: FastifyInstance): void {
  app.get('/api/admin/ping', async () => ({ admin: true }));
  app.get('/api/admin/users/:id', async () => ({ admin: true }));
  app.get('/_/', async () => ({ ui: true }));
  app.get('/_/*', async () => ({ ui: true }));
}

const withoutDate = (h: Record<string, unknown>) => Object.fromEntries(Object.entries(h).filter(([k]) => k !== 'date'));

describe('admin.allow: only listed client ranges reach the admin surface', () => {
  let api: TestApi;
  before(async () => {
    api = await openTestApi(tempSqlite(), { routes: adminRoutes, edge: { admin: { listen: null, allow: [parseCidr('10.1.0.0/16')!] } } });
  });
  after(async () => { await api.close(); });
  const get = (url: string, remoteAddress: string, method: 'GET' | 'DELETE' = 'GET', headers: Record<string, string> = {}) =>
    api.inject({ method, url, remoteAddress, headers });

  test('inside the range: served', async () => {
    assert.equal((await get('/api/admin/ping', '10.1.2.3')).statusCode, 200);
    assert.equal((await get('/_/', '10.1.2.3')).statusCode, 200);
    assert.equal((await get('/api/admin/ping', '10.1.2.3', 'DELETE')).statusCode, 405, 'inside, a wrong method is an ordinary 405');
  });

  test('outside: a 404 identical to an unknown route, for every spelling and method', async () => {
    const unknown = await get('/api/no-such-route', '192.0.2.1');
    assert.equal(unknown.statusCode, 404);
    for (const [url, method] of [['/api/admin/ping', 'GET'], ['/api/admin/users/abc', 'GET'], ['/api/admin/ping', 'DELETE'],
      ['/api/admin/ping?x=1', 'GET'], ['/api/admin', 'GET'], ['/api/admin/', 'GET'], ['/_/', 'GET'], ['/_/assets/app.js', 'GET'],
      ['/%61pi/admin/ping', 'GET'], ['/api/%61dmin/ping', 'GET'], ['/api/admin%2Fping', 'GET'], ['/api//admin/ping', 'GET']] as const) {
      const res = await get(url, '192.0.2.1', method);
      assert.equal(res.statusCode, 404, `${method} ${url}`);
      assert.equal(res.body, unknown.body, `${method} ${url}`);
      assert.deepEqual(withoutDate(res.headers), withoutDate(unknown.headers), `${method} ${url}`);
    }
  });

  test('a forged X-Forwarded-For does not help (no trusted proxy is configured)', async () => {
    assert.equal((await get('/api/admin/ping', '192.0.2.1', 'GET', { 'x-forwarded-for': '10.1.2.3' })).statusCode, 404);
  });

  test('the rest of the API is unaffected', async () => {
    assert.equal((await get('/api/health', '192.0.2.1')).statusCode, 200);
    assert.equal((await get('/api/adminx', '192.0.2.1')).statusCode, 404, 'not the admin prefix: an ordinary 404');
  });
});

describeWithTool(requireTool('openssl', opensslMissing), 'admin.listen: the admin surface on its own listener', () => {
  let edge: EdgeServer;
  before(async () => {
    edge = await startEdge({ routes: adminRoutes, edge: { admin: { listen: { host: '127.0.0.1', port: 0 }, allow: [] } } });
  });
  after(async () => { await edge?.close(); });

  test('the public listener does not have it; the admin listener serves it (and the rest, so the admin UI can sign in)', async () => {
    const adminPort = edge.addresses.admin!.port;
    assert.notEqual(adminPort, edge.addresses.main.port);
    const pub = await edge.request('/api/admin/ping');
    const unknown = await edge.request('/api/no-such-route');
    assert.equal(pub.status, 404);
    assert.equal(pub.text, unknown.text);
    assert.equal((await edge.request('/_/')).status, 404);
    const adm = await edge.request('/api/admin/ping', { port: adminPort });
    assert.equal(adm.status, 200, adm.text);
    assert.deepEqual(JSON.parse(adm.text), { admin: true });
    assert.equal((await edge.request('/api/health', { port: adminPort })).status, 200);
    assert.match(String(adm.headers['strict-transport-security']), /max-age=/, 'HTTPS with the same headers');
  });
});

test('production warns when the admin surface is reachable from everywhere', () => {
  const base = { listen: { host: '0.0.0.0', port: 8443, ...defaultEdge().listen }, admin: defaultEdge().admin } as unknown as StrongboxConfig;
  const warn = (c: Partial<StrongboxConfig>) => adminReachableFromEverywhere({ ...base, ...c } as StrongboxConfig, isLoopbackHost);
  assert.equal(warn({}), true, '0.0.0.0 without admin.allow or admin.listen');
  assert.equal(warn({ listen: { ...base.listen, host: '203.0.113.9' } }), true, 'a public address');
  assert.equal(warn({ admin: { listen: { host: '127.0.0.1', port: 9443 }, allow: [] } }), false, 'admin on loopback');
  assert.equal(warn({ admin: { listen: { host: '10.0.0.5', port: 9443 }, allow: [] } }), false, 'admin on a private interface');
  assert.equal(warn({ admin: { listen: null, allow: [parseCidr('10.0.0.0/8')!] } }), false, 'admin.allow');
  assert.equal(warn({ listen: { ...base.listen, host: '127.0.0.1' } }), false, 'loopback only');
});
