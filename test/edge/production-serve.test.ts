// Production serve: HTTPS from listen.tls, plain HTTP only for trusted proxies, and a warning when the admin surface is open to everyone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCidr } from '../../src/util/cidr.ts';
import { describeWithTool, requireTool } from '../helpers/require-tool.ts';
import { loopbackCerts, opensslMissing } from '../helpers/test-certs.ts';
import { edgeRequest, startEdge } from '../helpers/edge-server.ts';
import { httpsText, startServe, tempDir } from '../cli/cli-helpers.ts';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

// Production commands need a pepper (docs/sign-in.md); the test makes one.
process.env.STRONGBOX_PEPPER ??= `v1:${randomBytes(32).toString('base64')}`;

describeWithTool(requireTool('openssl', opensslMissing), 'production serve', () => {
  test('serve with listen.tls: HTTPS on the configured certificate, last line https://, admin warning on stderr', async () => {
    const tmp = tempDir('strongbox-prod-');
    try {
      const certs = loopbackCerts(tmp.dir);
      writeFileSync(join(tmp.dir, 'strongbox.yaml'), [
        'database: sqlite:./data/prod.db',
        'keys: { kek: "env:SB_TEST_PROD_KEK" }',
        `listen: { host: 127.0.0.1, port: 0, tls: { cert: ${certs.cert} } }`,
        'collections: {}', '',
      ].join('\n'));
      const server = await startServe([], { cwd: tmp.dir, env: { STRONGBOX_TLS_KEY_FILE: certs.key, SB_TEST_PROD_KEK: `strongbox-kek-v1:${randomBytes(32).toString('base64url')}` } });
      try {
        assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
        const lines = server.output().stdout.trim().split('\n');
        assert.match(lines[lines.length - 1], /^strongbox: listening on https:\/\/127\.0\.0\.1:\d+$/);
        const r = await httpsText(`${server.url}/api/health`, { ca: readFileSync(certs.caCert, 'utf8') });
        assert.equal(r.status, 200);
        assert.match(String(r.headers['strict-transport-security']), /^max-age=63072000; includeSubDomains$/);
        assert.doesNotMatch(server.output().stderr, /admin surface/, 'loopback: no warning');
      } finally {
        const end = await server.stop();
        assert.equal(end.code, 0, end.stderr);
      }
    } finally {
      tmp.cleanup();
    }
  });

  test('plain HTTP behind a trusted proxy: only the proxy may connect; its X-Forwarded-For names the client', async () => {
    const edge = await startEdge({ plain: true, proxyOnly: true, rateLimit: { enabled: true, read: { ip: 2, account: 0 } },
      edge: { listen: { trustedProxies: [parseCidr('127.0.0.4')!] } } });
    try {
      const port = edge.addresses.main.port;
      await assert.rejects(edgeRequest({ port, plain: true, host: '127.0.0.1' }, '/api/health'), /socket hang up|ECONNRESET/);
      const viaProxy = (client: string) => new Promise<number>((done, fail) => {
        import('node:http').then(({ request }) => {
          const req = request({ host: '127.0.0.1', port, path: '/api/health', localAddress: '127.0.0.4', agent: false, headers: { 'x-forwarded-for': client } }, (res) => {
            res.resume().on('end', () => done(res.statusCode ?? 0));
          });
          req.on('error', fail);
          req.end();
        }, fail);
      });
      assert.deepEqual([await viaProxy('198.51.100.1'), await viaProxy('198.51.100.1'), await viaProxy('198.51.100.1'), await viaProxy('198.51.100.2')], [200, 200, 429, 200]);
    } finally {
      await edge.close();
    }
  });
});
