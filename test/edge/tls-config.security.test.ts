// Attack: a misconfigured edge (bad certificate, a proxy list that trusts everyone, a loose CORS origin) silently serves without real protection.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildConfig } from '../../src/config/load-config.ts';
import { chooseTransport } from '../../src/core/edge/edge-setup.ts';
import { loadTls } from '../../src/core/edge/tls-material.ts';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';
import { isLoopbackHost } from '../../src/cli/loopback.ts';
import { describeWithTool, requireTool } from '../helpers/require-tool.ts';
import { loopbackCerts, opensslMissing, selfSigned } from '../helpers/test-certs.ts';
import { runCli, tempDir } from '../cli/cli-helpers.ts';

const openssl = requireTool('openssl', opensslMissing);

function configError(raw: unknown, pattern: RegExp, env: NodeJS.ProcessEnv = {}): void {
  assert.throws(() => buildConfig(raw, { baseDir: '/srv/app', env }), (err: unknown) => {
    assert.ok(err instanceof StrongboxError);
    assert.equal(err.code, 'ERR_CONFIG');
    assert.match(err.message, pattern);
    return true;
  });
}

describe('edge config: bad input stops the start', () => {
  test('trusted proxies: a bad CIDR, host bits set, or everything is refused, naming the key path', () => {
    configError({ listen: { trustedProxies: ['10.0.0.0/33'] } }, /listen\.trustedProxies\[0\]: expected an address or CIDR/);
    configError({ listen: { trustedProxies: ['10.0.0.1/8'] } }, /listen\.trustedProxies\[0\]: .*host bits clear/);
    configError({ listen: { trustedProxies: ['evil.example.com'] } }, /listen\.trustedProxies\[0\]/);
    configError({ listen: { trustedProxies: ['0.0.0.0/0'] } }, /listen\.trustedProxies\[0\]: listen\.trustedProxies must not include every address/);
    configError({ listen: { trustedProxies: ['::/0'] } }, /listen\.trustedProxies\[0\]: .*every address/);
    configError({ listen: { trustedProxies: '10.0.0.0/8' } }, /listen\.trustedProxies: expected a list/);
    configError({ admin: { allow: ['0.0.0.0/0'] } }, /admin\.allow\[0\]: admin\.allow must not include every address/);
    const ok = buildConfig({ listen: { trustedProxies: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7'] } }, { baseDir: '/srv/app', env: {} });
    assert.deepEqual(ok.listen.trustedProxies.map((c) => c.text), ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7/32']);
  });

  test('CORS origins: wildcard, null, paths, other schemes and junk are refused', () => {
    for (const [origin, why] of [['*', /'\*' is never allowed/], ['null', /'null' is never allowed/], ['https://app.example.com/', /expected an origin/],
      ['https://app.example.com/path', /expected an origin/], ['ftp://app.example.com', /expected an origin/],
      ['app.example.com', /expected an origin/], ['https://*.example.com', /expected an origin/]] as const) {
      configError({ cors: { origins: [origin] } }, new RegExp(`cors\\.origins\\[0\\]: ${why.source}`));
    }
    const ok = buildConfig({ cors: { origins: ['https://App.Example.com:8443', 'http://localhost:3000'] } }, { baseDir: '/srv/app', env: {} });
    assert.deepEqual(ok.cors.origins, ['https://app.example.com:8443', 'http://localhost:3000']);
  });

  test('listen.tls needs both files; HSTS below a year and unknown keys are refused', () => {
    configError({ listen: { tls: { cert: 'cert.pem' } } }, /listen\.tls: needs key/);
    configError({ listen: { tls: { cert: 'c.pem', key: 'k.pem', minVersion: '1.1' } } }, /listen\.tls\.minVersion: expected '1\.3' \(default\) or '1\.2'/);
    configError({ listen: { tls: { cert: 'c.pem', key: 'k.pem', ciphers: 'ALL' } } }, /listen\.tls\.ciphers: unknown key/);
    configError({ hsts: { maxAge: '30d' } }, /hsts\.maxAge: must be between 365d and 3650d/);
    const fromEnv = buildConfig({ listen: { tls: { cert: 'c.pem' } } }, { baseDir: '/srv/app', env: { STRONGBOX_TLS_KEY_FILE: '/run/secrets/tls-key' } });
    assert.deepEqual(fromEnv.listen.tls, { cert: '/srv/app/c.pem', key: '/run/secrets/tls-key', keySource: 'STRONGBOX_TLS_KEY_FILE', minVersion: 'TLSv1.3' });
  });

  test('production without listen.tls or a trusted proxy is refused; --unsafe-plain-http is dev-only', () => {
    const prod = buildConfig({}, { baseDir: '/srv/app', env: {} });
    assert.throws(() => chooseTransport(prod, { isLoopback: isLoopbackHost }), /ERR_TLS_REQUIRED|production serves HTTPS only/);
    assert.throws(() => chooseTransport(prod, { isLoopback: isLoopbackHost, unsafePlainHttp: true }), /only for --dev/);
    const proxied = buildConfig({ listen: { trustedProxies: ['10.0.0.0/8'] } }, { baseDir: '/srv/app', env: {} });
    assert.deepEqual(chooseTransport(proxied, { isLoopback: isLoopbackHost }), { kind: 'plain', reason: 'trusted-proxy' });
  });
});

describeWithTool(openssl, 'edge TLS files: bad input stops the start with ERR_TLS_CONFIG naming the key path', () => {
  let tmp: ReturnType<typeof tempDir>;
  let good: { cert: string; key: string };
  before(() => {
    tmp = tempDir('strongbox-tlscfg-');
    const dev = loopbackCerts(tmp.dir);
    good = { cert: dev.cert, key: dev.key };
  });
  after(() => tmp.cleanup());

  const tls = (cert: string, key: string) => ({ cert, key, keySource: 'listen.tls.key', minVersion: 'TLSv1.3' as const });
  function tlsError(fn: () => unknown, pattern: RegExp): void {
    assert.throws(fn, (err: unknown) => {
      assert.ok(err instanceof StrongboxError, String(err));
      assert.equal(err.code, 'ERR_TLS_CONFIG');
      assert.match(err.message, pattern);
      assert.doesNotMatch(err.message, /BEGIN|PRIVATE KEY/, 'never the key itself');
      return true;
    });
  }

  test('missing, unreadable, not PEM, mismatched, expired, not naming the host', () => {
    const other = selfSigned(tmp.dir, 'other', ['other.example']);
    tlsError(() => loadTls(tls(join(tmp.dir, 'nope.pem'), good.key), '127.0.0.1'), /^listen\.tls\.cert: .*nope\.pem \(no such file\)$/);
    tlsError(() => loadTls(tls(good.cert, join(tmp.dir, 'nokey.pem')), '127.0.0.1'), /^listen\.tls\.key: .*nokey\.pem \(no such file\)$/);
    tlsError(() => loadTls(tls(tmp.dir, good.key), '127.0.0.1'), /^listen\.tls\.cert: .* is not a regular file$/);
    const junk = join(tmp.dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate');
    tlsError(() => loadTls(tls(junk, good.key), '127.0.0.1'), /^listen\.tls\.cert: .*junk\.pem is not a PEM certificate$/);
    tlsError(() => loadTls(tls(good.cert, junk), '127.0.0.1'), /^listen\.tls\.key: .*junk\.pem is not a PEM private key/);
    tlsError(() => loadTls(tls(good.cert, other.key), '127.0.0.1'), /^listen\.tls\.key: .*other-key\.pem does not belong to the certificate \(mismatched pair\)$/);
    tlsError(() => loadTls(tls(other.cert, other.key), '127.0.0.1'), /^listen\.tls\.cert: .*other\.pem does not name the listen host 127\.0\.0\.1/);
    tlsError(() => loadTls(tls(other.cert, other.key), 'api.example.com'), /does not name the listen host api\.example\.com/);
    tlsError(() => loadTls(tls(other.cert, other.key), 'other.example', Date.now() + 3 * 86_400_000), /^listen\.tls\.cert: .*other\.pem expired on \d{4}-/);
    tlsError(() => loadTls({ ...tls(good.cert, join(tmp.dir, 'secret-key.pem')), keySource: 'STRONGBOX_TLS_KEY_FILE' }, '127.0.0.1'), /^STRONGBOX_TLS_KEY_FILE: /);
    assert.equal(loadTls(tls(other.cert, other.key), '0.0.0.0').minVersion, 'TLSv1.3', 'a wildcard listen host cannot be checked');
    if (process.getuid?.() !== 0) {
      const locked = join(tmp.dir, 'locked-key.pem');
      copyFileSync(good.key, locked);
      chmodSync(locked, 0);
      tlsError(() => loadTls(tls(good.cert, locked), '127.0.0.1'), /^listen\.tls\.key: cannot read .*locked-key\.pem \(EACCES\)$/);
    }
  });

  test('the CLI prints the one ERR_TLS_CONFIG line and exits 1 before opening the database', async () => {
    const app = join(tmp.dir, 'app');
    mkdirSync(app);
    const other = selfSigned(tmp.dir, 'mismatch', ['localhost']);
    writeFileSync(join(app, 'strongbox.yaml'), `listen: { host: 127.0.0.1, port: 0, tls: { cert: ${good.cert}, key: ${other.key} } }\ncollections: {}\n`);
    const r = await runCli(['serve'], { cwd: app });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^strongbox: ERR_TLS_CONFIG: listen\.tls\.key: .*mismatch-key\.pem does not belong to the certificate \(mismatched pair\)\n$/);
    assert.doesNotMatch(r.stdout, /listening/);
  });
});
