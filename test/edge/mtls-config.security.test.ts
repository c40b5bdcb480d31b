// Attack: a misconfigured mTLS setup (a loose fingerprint, a missing or wrong CA file, a mapping to an unknown or admin account) starts anyway and lets the wrong certificates in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildConfig, loadConfig } from '../../src/config/load-config.ts';
import { loadTls, watchTls } from '../../src/core/edge/tls-material.ts';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';
import type { TlsConfig } from '../../src/config/edge-config.ts';
import type { TlsServerOptions } from '../../src/crypto/tls-options.ts';
import { describeWithTool, requireTool } from '../helpers/require-tool.ts';
import { loopbackCerts, opensslMissing } from '../helpers/test-certs.ts';
import { issueClient, makeCa } from '../helpers/client-certs.ts';
import { startEdge } from '../helpers/edge-server.ts';
import { tempDir } from '../cli/cli-helpers.ts';

const openssl = requireTool('openssl', opensslMissing);
const FP = `sha256:${'AB:'.repeat(31)}CD`;
const HEX = `${'ab'.repeat(31)}cd`;

function configError(tls: Record<string, unknown>, pattern: RegExp): void {
  assert.throws(() => buildConfig({ listen: { tls: { cert: 'c.pem', key: 'k.pem', ...tls } } }, { baseDir: '/srv/app', env: {} }), (err: unknown) => {
    assert.ok(err instanceof StrongboxError);
    assert.equal(err.code, 'ERR_CONFIG');
    assert.match(err.message, pattern);
    return true;
  });
}

test('mTLS config: both keys or neither; fingerprints are sha256 and unique; accounts are emails; unknown keys refused', () => {
  configError({ clients: [{ fingerprint: FP, account: 'svc@example.com' }] }, /listen\.tls: clients needs clientCa/);
  configError({ clientCa: 'ca.pem' }, /listen\.tls: clientCa needs clients/);
  configError({ clientCa: 'ca.pem', clients: [] }, /listen\.tls\.clients: clientCa needs clients/);
  for (const fingerprint of ['AB:CD', HEX, `sha1:${'ab'.repeat(20)}`, `sha256:${'zz'.repeat(32)}`, `sha256:${HEX}00`, `sha256:${HEX.slice(2)}`, 42, null]) {
    configError({ clientCa: 'ca.pem', clients: [{ fingerprint, account: 'svc@example.com' }] }, /listen\.tls\.clients\[0\]\.fingerprint: expected 'sha256:'/);
  }
  configError({ clientCa: 'ca.pem', clients: [{ fingerprint: FP, account: 'a@example.com' }, { fingerprint: `sha256:${HEX.toUpperCase()}`, account: 'b@example.com' }] },
    /listen\.tls\.clients\[1\]\.fingerprint: the same certificate is already mapped by clients\[0\]/);
  for (const account of ['svc', '', 'a b@example.com', 7]) {
    configError({ clientCa: 'ca.pem', clients: [{ fingerprint: FP, account }] }, /listen\.tls\.clients\[0\]\.account: expected the email/);
  }
  configError({ clientCa: 'ca.pem', clients: [{ fingerprint: FP, account: 'svc@example.com', subject: 'CN=svc' }] }, /listen\.tls\.clients\[0\]\.subject: unknown key/);
  configError({ clientCa: 'ca.pem', clients: ['svc@example.com'] }, /listen\.tls\.clients\[0\]: expected a mapping/);
  const ok = buildConfig({ listen: { tls: { cert: 'c.pem', key: 'k.pem', clientCa: 'clients/ca.pem', clients: [{ fingerprint: FP, account: 'Svc-Billing@Example.com' }] } } }, { baseDir: '/srv/app', env: {} });
  assert.equal(ok.listen.tls?.clientCa, '/srv/app/clients/ca.pem');
  assert.deepEqual(ok.listen.tls?.clients, [{ fingerprint: HEX, account: 'svc-billing@example.com', keyPath: 'listen.tls.clients[0]' }]);
});

test('mTLS config errors carry file:line:col and the key path', () => {
  const tmp = tempDir('strongbox-mtls-config-');
  try {
    const file = join(tmp.dir, 'strongbox.yaml');
    writeFileSync(file, ['listen:', '  tls:', '    cert: c.pem', '    key: k.pem', '    clientCa: ca.pem', '    clients:', '      - { fingerprint: "sha256:AB", account: svc@example.com }', 'collections: {}', ''].join('\n'));
    assert.throws(() => loadConfig(file), /strongbox\.yaml:7:\d+: listen\.tls\.clients\[0\]\.fingerprint: expected 'sha256:'/);
  } finally {
    tmp.cleanup();
  }
});

describeWithTool(openssl, 'mTLS at start: the CA file and the accounts', () => {
  let tmp: ReturnType<typeof tempDir>;
  let tls: TlsConfig;
  let ca: ReturnType<typeof makeCa>;
  before(() => {
    tmp = tempDir('strongbox-mtls-start-');
    const server = loopbackCerts(tmp.dir);
    ca = makeCa(tmp.dir, 'clients');
    const fingerprint = issueClient(ca, 'svc').fingerprint.slice(7).replaceAll(':', '').toLowerCase();
    tls = { cert: server.cert, key: server.key, keySource: 'listen.tls.key', minVersion: 'TLSv1.3', clientCa: ca.cert, clients: [{ fingerprint, account: 'svc@example.com', keyPath: 'listen.tls.clients[0]' }] };
  });
  after(() => tmp?.cleanup());

  const tlsError = (t: TlsConfig, pattern: RegExp): void => {
    assert.throws(() => loadTls(t, '127.0.0.1'), (err: unknown) => {
      assert.ok(err instanceof StrongboxError);
      assert.equal(err.code, 'ERR_TLS_CONFIG');
      assert.match(err.message, pattern);
      assert.doesNotMatch(err.message, /PRIVATE KEY|BEGIN/);
      return true;
    });
  };

  test('a missing, empty or non-CA bundle stops the start (ERR_TLS_CONFIG naming listen.tls.clientCa)', () => {
    tlsError({ ...tls, clientCa: join(tmp.dir, 'missing.pem') }, /^listen\.tls\.clientCa: cannot read .*missing\.pem \(no such file\)/);
    writeFileSync(join(tmp.dir, 'empty.pem'), 'not a certificate\n');
    tlsError({ ...tls, clientCa: join(tmp.dir, 'empty.pem') }, /^listen\.tls\.clientCa: .*empty\.pem holds no PEM certificate/);
    tlsError({ ...tls, clientCa: tls.cert }, /^listen\.tls\.clientCa: .* is not a CA certificate/);
    tlsError({ ...tls, clientCa: ca.key }, /^listen\.tls\.clientCa: .*holds no PEM certificate/);
    const opts = loadTls(tls, '127.0.0.1');
    assert.equal(opts.requestCert, true);
    assert.equal(opts.rejectUnauthorized, false);
    assert.match(opts.ca ?? '', /BEGIN CERTIFICATE/);
    const off = loadTls({ ...tls, clientCa: null, clients: [] }, '127.0.0.1');
    assert.equal(off.requestCert, undefined);
    assert.equal(off.ca, undefined);
  });

  test('a mapping to an unknown account, or to an admin, stops the start naming the key path', async () => {
    for (const [setup, pattern] of [
      [async () => undefined, /^listen\.tls\.clients\[0\]\.account: there is no account svc@example\.com/],
      [async (e: import('../../src/core/engine.ts').Engine) => { await e.accounts.createAdmin('svc@example.com', 'a long admin password 1'); }, /^listen\.tls\.clients\[0\]\.account: svc@example\.com is an admin account/],
    ] as const) {
      await assert.rejects(startEdge({ certDir: tmp.dir, tlsFromConfig: true, config: (b) => ({ ...b, listen: { ...b.listen, tls } }), beforeServe: setup }), (err: unknown) => {
        assert.ok(err instanceof StrongboxError);
        assert.equal(err.code, 'ERR_TLS_CONFIG');
        assert.match(err.message, pattern);
        return true;
      });
    }
  });

  test('the certificate watcher reloads the client CA bundle too', async () => {
    const caFile = join(tmp.dir, 'watched-ca.pem');
    writeFileSync(caFile, (await import('node:fs')).readFileSync(ca.cert, 'utf8'));
    const other = makeCa(tmp.dir, 'clients-next');
    const seen: TlsServerOptions[] = [];
    const watcher = watchTls({ ...tls, clientCa: caFile }, '127.0.0.1', (o) => seen.push(o), (err) => assert.fail(String(err)), 50);
    try {
      await new Promise((r) => setTimeout(r, 120));
      writeFileSync(caFile, (await import('node:fs')).readFileSync(other.cert, 'utf8'));
      for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(seen.length >= 1, true, 'no reload after the CA file changed');
      assert.equal(seen.at(-1)!.ca, (await import('node:fs')).readFileSync(other.cert, 'utf8'));
    } finally {
      watcher.close();
    }
  });
});
