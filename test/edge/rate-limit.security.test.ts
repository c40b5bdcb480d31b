// Attack: one client (or one account) floods the API, or forges X-Forwarded-For to look like many clients, to brute-force or exhaust the server.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr } from '../../src/util/cidr.ts';
import { defaultEdge } from '../../src/config/parse-edge.ts';
import { openTestApi, tempSqlite, bearer, type TestApi } from '../helpers/test-engine.ts';

const R = '/api/collections/notes/records';
const rl = { ...defaultEdge().rateLimit, enabled: true, auth: { ip: 3, account: 0 }, write: { ip: 4, account: 0 }, read: { ip: 6, account: 4 } };

describe('rate limiting', () => {
  let api: TestApi;
  let token: string;
  before(async () => {
    api = await openTestApi(tempSqlite(), {
      rateLimit: rl,
      edge: { listen: { trustedProxies: [parseCidr('10.9.0.0/16')!] } },
    });
    await api.engine.accounts.register('rl@example.com', 'correct-password');
  });
  after(async () => { await api.close(); });

  const get = (remoteAddress: string, headers: Record<string, string> = {}) =>
    api.inject({ method: 'GET', url: '/api/health', remoteAddress, headers });

  test('per address: the limit passes, the next request is 429 with Retry-After and RateLimit headers; others are still served', async () => {
    for (let i = 0; i < 6; i++) assert.equal((await get('192.0.2.10')).statusCode, 200);
    const res = await get('192.0.2.10');
    assert.equal(res.statusCode, 429);
    assert.deepEqual(res.json(), { error: { code: 'ERR_RATE_LIMITED', message: 'Too many requests; try again later.' } });
    const retry = Number(res.headers['retry-after']);
    assert.ok(retry >= 1 && retry <= 60, String(retry));
    assert.equal(res.headers['ratelimit-limit'], '6');
    assert.equal(res.headers['ratelimit-remaining'], '0');
    assert.equal(res.headers['ratelimit-policy'], '"read-ip";q=6;w=60');
    assert.match(String(res.headers.ratelimit), /^"read-ip";r=0;t=\d+$/);
    assert.equal(res.headers['strict-transport-security']?.toString().startsWith('max-age='), true, 'security headers on a 429 too');
    assert.equal((await get('192.0.2.11')).statusCode, 200, 'another client is unaffected');
  });

  test('a forged X-Forwarded-For from an untrusted peer is ignored: it is limited as its real address', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 8; i++) codes.push((await get('192.0.2.20', { 'x-forwarded-for': `198.51.100.${i}` })).statusCode);
    assert.deepEqual(codes, [200, 200, 200, 200, 200, 200, 429, 429]);
  });

  test('behind a trusted proxy each forwarded client has its own budget, and a client cannot spoof past the proxy', async () => {
    for (let i = 0; i < 6; i++) assert.equal((await get('10.9.0.1', { 'x-forwarded-for': '203.0.113.5' })).statusCode, 200);
    assert.equal((await get('10.9.0.1', { 'x-forwarded-for': '203.0.113.5' })).statusCode, 429);
    assert.equal((await get('10.9.0.1', { 'x-forwarded-for': '203.0.113.6' })).statusCode, 200, 'another client behind the same proxy');
    // The client prepends a fake hop; the proxy appends the real one. The right-most untrusted address counts.
    assert.equal((await get('10.9.0.1', { 'x-forwarded-for': '1.1.1.1, 203.0.113.5' })).statusCode, 429);
  });

  test('route classes: sign-in attempts have their own, smaller budget', async () => {
    const login = () => api.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '192.0.2.30', payload: { email: 'rl@example.com', password: 'wrong-password' } });
    assert.deepEqual([await login(), await login(), await login(), await login()].map((r) => r.statusCode), [401, 401, 401, 429]);
    assert.equal((await get('192.0.2.30')).statusCode, 200, 'reads from that address are still served');
    const write = () => api.inject({ method: 'POST', url: R, remoteAddress: '192.0.2.31', payload: { title: 'x' } });
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await write()).statusCode);
    assert.deepEqual(codes, [401, 401, 401, 401, 429]);
  });

  test('per account: one account spread over many addresses is still limited', async () => {
    const login = await api.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '192.0.2.40', payload: { email: 'rl@example.com', password: 'correct-password' } });
    token = login.json().token;
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) {
      codes.push((await api.inject({ method: 'GET', url: R, remoteAddress: `192.0.2.${50 + i}`, headers: bearer(token) })).statusCode);
    }
    assert.deepEqual(codes, [200, 200, 200, 200, 429, 429]);
    const denied = await api.inject({ method: 'GET', url: R, remoteAddress: '192.0.2.60', headers: bearer(token) });
    assert.equal(denied.headers['ratelimit-policy'], '"read-account";q=4;w=60');
    assert.equal((await api.inject({ method: 'GET', url: R, remoteAddress: '192.0.2.61' })).statusCode, 200, 'anonymous from a fresh address: served');
  });
});
