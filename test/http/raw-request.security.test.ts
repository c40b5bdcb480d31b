// Attack: a client sends bytes that are not valid HTTP (a broken request line, a huge URL, NUL in the path) hoping for a crash, Node's default reply, or a response without the security headers.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { openTestApi, tempSqlite, assertNoLeak, type TestApi } from '../helpers/test-engine.ts';

function raw(port: number, request: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    socket.setTimeout(5000, () => { socket.destroy(); reject(new Error('timeout')); });
    socket.on('data', (d) => { out += d.toString('latin1'); });
    socket.on('end', () => resolve(out));
    socket.on('close', () => resolve(out));
    socket.on('error', () => resolve(out));
    socket.write(request);
  });
}

let api: TestApi;
let port: number;
before(async () => {
  api = await openTestApi(tempSqlite());
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  port = (api.app.server.address() as AddressInfo).port;
});
after(async () => { await api.close(); });

const CASES: Array<[string, string | Buffer]> = [
  ['garbage request line', 'NOT HTTP AT ALL\r\n\r\n'],
  ['NUL in the request line', Buffer.from('GET /api/health\u0000 HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1')],
  ['a header without a colon', 'GET /api/health HTTP/1.1\r\nHost x\r\n\r\n'],
  ['an 80 KB URL', `GET /api/${'a'.repeat(80_000)} HTTP/1.1\r\nHost: x\r\n\r\n`],
];

for (const [name, request] of CASES) {
  test(`${name}: our 400 shape with security headers, and the server stays up`, async () => {
    const res = await raw(port, request);
    assert.match(res, /^HTTP\/1\.1 4\d\d /, res.slice(0, 200));
    if (res.startsWith('HTTP/1.1 400')) {
      assert.match(res, /x-content-type-options: nosniff/i);
      assert.match(res, /cache-control: no-store/i);
      assert.match(res, /"code":"ERR_BAD_REQUEST"/);
    }
    assertNoLeak(res);
    const health = await raw(port, 'GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(health, /^HTTP\/1\.1 200 /);
  });
}
