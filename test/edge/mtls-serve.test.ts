// `serve` with mTLS: the account must exist first (admin create-service), then a pinned client certificate signs in as it; a new CA file is picked up without a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describeWithTool, requireTool } from '../helpers/require-tool.ts';
import { loopbackCerts, opensslMissing } from '../helpers/test-certs.ts';
import { issueClient, makeCa } from '../helpers/client-certs.ts';
import { edgeRequest } from '../helpers/edge-server.ts';
import { runCli, startServe, tempDir } from '../cli/cli-helpers.ts';

process.env.STRONGBOX_PEPPER ??= `v1:${randomBytes(32).toString('base64')}`;

describeWithTool(requireTool('openssl', opensslMissing), 'serve with mTLS', () => {
  test('unknown account stops the start; admin create-service makes it; its certificate signs in; the CA reloads', async () => {
    const tmp = tempDir('strongbox-mtls-serve-');
    try {
      const certs = loopbackCerts(tmp.dir);
      const caA = makeCa(tmp.dir, 'clients-a');
      const caB = makeCa(tmp.dir, 'clients-b');
      const svc = issueClient(caA, 'svc-billing');
      const bCert = issueClient(caB, 'svc-billing');
      const caFile = join(tmp.dir, 'clients-ca.pem');
      copyFileSync(caA.cert, caFile);
      writeFileSync(join(tmp.dir, 'strongbox.yaml'), [
        'database: sqlite:./data/prod.db',
        'keys: { kek: "env:SB_TEST_KEK" }',
        'listen:',
        '  host: 127.0.0.1',
        '  port: 0',
        `  tls: { cert: ${certs.cert}, key: ${certs.key}, clientCa: clients-ca.pem, clients: [{ fingerprint: "${svc.fingerprint}", account: svc-billing@example.com }] }`,
        'collections: {}', '',
      ].join('\n'));
      const env = { SB_TEST_KEK: `strongbox-kek-v1:${randomBytes(32).toString('base64url')}` };

      const early = await runCli(['serve'], { cwd: tmp.dir, env });
      assert.equal(early.code, 1);
      assert.match(early.stderr, /ERR_TLS_CONFIG: listen\.tls\.clients\[0\]\.account: there is no account svc-billing@example\.com/);

      const admin = await runCli(['admin', 'create-service', '--email', 'svc-billing@example.com', '--role', 'admin'], { cwd: tmp.dir, env });
      assert.equal(admin.code, 1, 'a service account is never an admin');
      const made = await runCli(['admin', 'create-service', '--email', 'svc-billing@example.com'], { cwd: tmp.dir, env });
      assert.equal(made.code, 0, made.stderr);
      assert.match(made.stdout, /created service account svc-billing@example\.com with role service/);

      const server = await startServe([], { cwd: tmp.dir, env });
      try {
        const port = Number(new URL(server.url).port);
        const ca = (await import('node:fs')).readFileSync(certs.caCert, 'utf8');
        const me = (cert?: { cert: string; key: string }) => edgeRequest({ port, ca, clientCert: cert }, '/api/auth/me');
        const signedIn = await me(svc);
        assert.equal(signedIn.status, 200, signedIn.text);
        assert.match(signedIn.text, /"email":"svc-billing@example\.com","role":"service"/);
        assert.equal((await me()).status, 401);
        assert.equal((await me(bCert)).status, 401);
        // A new bundle (CA B only) is picked up by the watcher: CA A's certificate stops, without a restart.
        copyFileSync(caB.cert, caFile);
        let after = 200;
        for (let i = 0; i < 80 && after === 200; i++) {
          await new Promise((r) => setTimeout(r, 100));
          after = (await me(svc)).status;
        }
        assert.equal(after, 401);
        assert.match(server.output().stdout, /reloaded the TLS certificate and key/);
      } finally {
        const end = await server.stop();
        assert.equal(end.code, 0, end.stderr);
      }
    } finally {
      tmp.cleanup();
    }
  });
});
