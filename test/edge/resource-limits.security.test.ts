// Attack: exhaust the server with oversized or deeply nested requests, slowloris (headers or body dripped byte by byte), idle keep-alive hoarding and connection floods from one address.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeWithTool, requireTool } from '../helpers/require-tool.ts';
import { opensslMissing } from '../helpers/test-certs.ts';
import { edgeRequest, rawExchange, startEdge, type EdgeServer } from '../helpers/edge-server.ts';

const LIMITS = {
  headerSize: 2048, urlLength: 1024, queryParams: 5, jsonDepth: 5,
  headersTimeout: 600, requestTimeout: 1200, keepAliveTimeout: 400, connectionsPerIp: 6,
};

/** Opens a TLS connection from `localAddress` and resolves when it is closed by the server (with what it sent). */
function drip(port: number, ca: string, first: string, next: string, everyMs: number): { closed: Promise<{ ms: number; text: string }>; socket: Socket } {
  const start = Date.now();
  const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
  let text = '';
  let timer: NodeJS.Timeout | undefined;
  socket.setEncoding('utf8').on('data', (d: string) => { text += d; });
  socket.on('secureConnect', () => {
    socket.write(first);
    timer = setInterval(() => { if (socket.writable) socket.write(next); }, everyMs);
  });
  const closed = new Promise<{ ms: number; text: string }>((done) => {
    socket.on('close', () => { clearInterval(timer); done({ ms: Date.now() - start, text }); });
    socket.on('error', () => undefined);
  });
  return { closed, socket };
}

describeWithTool(requireTool('openssl', opensslMissing), 'resource limits hold while others keep being served', () => {
  let edge: EdgeServer;
  before(async () => {
    edge = await startEdge({ bodyLimit: 1024, edge: { limits: LIMITS } });
  });
  after(async () => { await edge?.close(); });
  const health = async () => (await edge.request('/api/health')).status;
  const json = { 'content-type': 'application/json' };

  test('body size, header size, URL length, query parameters and JSON depth: refused with their code, nothing else affected', async () => {
    const cases: [Promise<{ status: number; text: string }>, number, string][] = [
      [edge.request('/api/auth/register', { method: 'POST', headers: json, body: JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(2000) }) }), 413, 'ERR_BODY_TOO_LARGE'],
      [edge.request('/api/health', { headers: { 'x-big': 'a'.repeat(3000) } }), 431, 'ERR_HEADERS_TOO_LARGE'],
      [edge.request(`/api/health?${'a'.repeat(1100)}`), 414, 'ERR_URL_TOO_LONG'],
      [edge.request('/api/collections/notes/records?a=1&b=2&c=3&d=4&e=5&f=6'), 400, 'ERR_TOO_MANY_PARAMS'],
      [edge.request('/api/auth/register', { method: 'POST', headers: json, body: `{"email":${'['.repeat(6)}1${']'.repeat(6)}}` }), 400, 'ERR_JSON_TOO_DEEP'],
    ];
    const served = Promise.all(Array.from({ length: 10 }, health));
    for (const [res, status, code] of cases) {
      const r = await res;
      assert.equal(r.status, status, r.text);
      assert.equal(JSON.parse(r.text).error.code, code);
    }
    assert.deepEqual(await served, Array(10).fill(200));
    // At the limits exactly: accepted.
    const atDepth = await edge.request('/api/auth/login', { method: 'POST', headers: json, body: '{"email":[[[[1]]]],"password":"x"}' });
    assert.notEqual(JSON.parse(atDepth.text).error.code, 'ERR_JSON_TOO_DEEP');
    assert.equal((await edge.request('/api/collections/notes/records?page=1&perPage=2&sort=title&skipTotal=1&fields=title')).status, 200);
  });

  test('slowloris: dripped headers and a dripped body are cut off with 408 while other requests are served', async () => {
    const headers = drip(edge.addresses.main.port, edge.ca, 'GET /api/health HTTP/1.1\r\nHost: localhost\r\n', 'X-a: b\r\n', 100);
    const body = drip(edge.addresses.main.port, edge.ca,
      'POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{', ' ', 100);
    const during: number[] = [];
    for (let i = 0; i < 5; i++) { during.push(await health()); await sleep(50); }
    const h = await headers.closed;
    const b = await body.closed;
    assert.deepEqual(during, [200, 200, 200, 200, 200]);
    assert.match(h.text, /^HTTP\/1\.1 408 /);
    assert.match(h.text, /ERR_REQUEST_TIMEOUT/);
    assert.ok(h.ms >= 500 && h.ms < 5000, `headers cut after ${h.ms} ms`);
    assert.ok(b.ms >= 1000 && b.ms < 6000, `body cut after ${b.ms} ms`);
    assert.match(b.text, /^HTTP\/1\.1 408 /);
  });

  test('an idle keep-alive connection is closed after keepAliveTimeout', async () => {
    const start = Date.now();
    const out = await rawExchange(edge.addresses.main.port, 'GET /api/health HTTP/1.1\r\nHost: localhost\r\n\r\n', { ca: edge.ca, timeoutMs: 10_000 });
    const ms = Date.now() - start;
    assert.match(out, /^HTTP\/1\.1 200 /);
    assert.ok(ms >= 300 && ms < 5000, `closed after ${ms} ms`);
  });

  test('connections per address are capped at accept; other addresses are still served', async () => {
    const port = edge.addresses.main.port;
    const open: Socket[] = [];
    try {
      for (let i = 0; i < LIMITS.connectionsPerIp; i++) {
        const s = netConnect({ host: '127.0.0.1', port, localAddress: '127.0.0.3' });
        s.on('error', () => undefined);
        await new Promise((done) => s.once('connect', done));
        open.push(s);
      }
      await sleep(50);
      const extra = netConnect({ host: '127.0.0.1', port, localAddress: '127.0.0.3' });
      extra.on('error', () => undefined);
      const closedAt = await new Promise<number>((done) => {
        const t0 = Date.now();
        extra.once('close', () => done(Date.now() - t0));
      });
      assert.ok(closedAt < 400, `the extra connection was dropped at once (${closedAt} ms), before the header timeout`);
      assert.ok(open.every((s) => !s.destroyed), 'the first ones are still open');
      const other = await edgeRequest({ port, ca: edge.ca, host: '127.0.0.1' }, '/api/health');
      assert.equal(other.status, 200, 'another address (127.0.0.1) is served');
    } finally {
      for (const s of open) s.destroy();
    }
  });
});
