// Real TLS clients: openssl s_client tries old protocols and weak suites, and a certificate swap under load drops nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { watchTls } from '../../src/core/edge/tls-material.ts';
import { ensureDevCertificates } from '../../src/crypto/dev-certificates.ts';
import { describeWithTool, requireTool } from '../helpers/require-tool.ts';
import { opensslMissing } from '../helpers/test-certs.ts';
import { startEdge, type EdgeServer } from '../helpers/edge-server.ts';
import { tempDir } from '../cli/cli-helpers.ts';
import { tlsServerOptions } from '../../src/crypto/tls-options.ts';

/** One s_client handshake (async: the server runs in this process): did it complete, with which protocol and suite? */
async function sClient(port: number, args: readonly string[]): Promise<{ ok: boolean; protocol: string | null; cipher: string | null; out: string }> {
  const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-brief', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end();
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await new Promise((done) => child.on('close', done));
  clearTimeout(timer);
  const protocol = /Protocol version: (\S+)/.exec(out)?.[1] ?? null;
  const cipher = /Ciphersuite: (\S+)/.exec(out)?.[1] ?? null;
  return { ok: protocol !== null, protocol, cipher, out };
}

// Let the client offer old protocols and weak suites at all (OpenSSL 3 refuses them by default): the server must say no.
const OLD = ['-cipher', 'ALL:@SECLEVEL=0'];

describeWithTool(requireTool('openssl', opensslMissing), 'TLS with real clients', () => {
  let strict: EdgeServer;
  let compat: EdgeServer;
  before(async () => {
    strict = await startEdge();
    compat = await startEdge({ config: (c) => c });
    // a second server allowing TLS 1.2 (listen.tls.minVersion: '1.2'), same certificate
    const certs = ensureDevCertificates(compat.certDir, '127.0.0.1');
    compat.app.strongboxEdge.reload(tlsServerOptions({ certPem: readFileSync(certs.cert, 'utf8'), keyPem: readFileSync(certs.key, 'utf8') }, 'TLSv1.2'));
  });
  after(async () => { await strict?.close(); await compat?.close(); });

  test('TLS 1.3 by default; TLS 1.0, 1.1 and 1.2 handshakes fail', async () => {
    const p = strict.addresses.main.port;
    const v13 = await sClient(p, ['-tls1_3', '-CAfile', join(strict.certDir, 'tls/ca.pem')]);
    assert.ok(v13.ok, v13.out);
    assert.equal(v13.protocol, 'TLSv1.3');
    assert.match(v13.out, /Verification: OK/);
    for (const flag of ['-tls1', '-tls1_1', '-tls1_2']) {
      const r = await sClient(p, [flag, ...OLD]);
      assert.equal(r.ok, false, `${flag} must fail:\n${r.out}`);
      assert.match(r.out, /alert protocol version|unsupported protocol|no protocols available|wrong version number/i, r.out);
    }
  });

  test('with minVersion 1.2: TLS 1.2 only with ECDHE and AEAD; CBC, RC4, 3DES, static RSA, DHE and NULL suites fail; 1.0/1.1 still fail', async () => {
    const p = compat.addresses.main.port;
    const ok = await sClient(p, ['-tls1_2']);
    assert.ok(ok.ok, ok.out);
    assert.equal(ok.protocol, 'TLSv1.2');
    assert.match(String(ok.cipher), /^ECDHE-ECDSA-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/);
    for (const cipher of ['ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA384', 'AES128-SHA', 'AES128-GCM-SHA256', 'DES-CBC3-SHA', 'RC4-SHA',
      'DHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-NULL-SHA', 'aNULL', 'EXPORT']) {
      const r = await sClient(p, ['-tls1_2', '-cipher', `${cipher}:@SECLEVEL=0`]);
      assert.equal(r.ok, false, `${cipher} must fail:\n${r.out}`);
    }
    for (const flag of ['-tls1', '-tls1_1']) assert.equal((await sClient(p, [flag, ...OLD])).ok, false, flag);
  });

  test('certificate and key reload under load: no failed request, new handshakes see the new certificate', async () => {
    const tmp = tempDir('strongbox-reload-');
    try {
      const dir = join(tmp.dir, 'live');
      mkdirSync(dir);
      const a = ensureDevCertificates(join(tmp.dir, 'a'), '127.0.0.1');
      const b = ensureDevCertificates(join(tmp.dir, 'b'), '127.0.0.1');
      copyFileSync(a.cert, join(dir, 'cert.pem'));
      copyFileSync(a.key, join(dir, 'key.pem'));
      const tls = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem'), keySource: 'listen.tls.key', minVersion: 'TLSv1.3' as const };
      const reloaded: string[] = [];
      const watcher = watchTls(tls, '127.0.0.1', (opts) => { strict.app.strongboxEdge.reload(opts); reloaded.push('ok'); }, (err) => reloaded.push(String(err)), 100);
      strict.app.strongboxEdge.reload(tlsServerOptions({ certPem: readFileSync(a.cert, 'utf8'), keyPem: readFileSync(a.key, 'utf8') }, 'TLSv1.3'));
      const ca = [readFileSync(a.caCert, 'utf8'), readFileSync(b.caCert, 'utf8')];
      const port = strict.addresses.main.port;
      const keepAlive = new Agent({ keepAlive: true, maxSockets: 4, ca });
      const fresh = new Agent({ keepAlive: false, ca });
      const one = (agent: Agent) => new Promise<number>((done) => {
        const req = request({ host: '127.0.0.1', port, path: '/api/health', agent, servername: 'localhost', timeout: 10_000 }, (res) => {
          res.resume().on('end', () => done(res.statusCode ?? 0));
        });
        req.on('error', () => done(-1));
        req.on('timeout', () => req.destroy());
        req.end();
      });
      let stop = false;
      const statuses: number[] = [];
      const workers = [keepAlive, keepAlive, fresh, fresh].map(async (agent) => {
        while (!stop) statuses.push(await one(agent));
      });
      await sleep(400);
      copyFileSync(b.key, join(dir, 'key.pem'));
      copyFileSync(b.cert, join(dir, 'cert.pem'));
      for (let i = 0; i < 100 && reloaded.length === 0; i++) await sleep(50);
      await sleep(400);
      stop = true;
      await Promise.all(workers);
      watcher.close();
      keepAlive.destroy();
      // One reload, or two when the key's and the certificate's copies straddle a poll: never a failed one.
      assert.ok(reloaded.length >= 1 && reloaded.every((r) => r === 'ok'), `reloads: ${reloaded.join(', ')}`);
      assert.ok(statuses.length > 20, `requests made: ${statuses.length}`);
      assert.deepEqual([...new Set(statuses)], [200], `failures: ${statuses.filter((s) => s !== 200).length}`);
      const serial = await new Promise<string>((done, fail) => {
        const s = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => { done(s.getPeerCertificate().serialNumber); s.end(); });
        s.on('error', fail);
      });
      const { X509Certificate } = await import('node:crypto');
      assert.equal(serial.toUpperCase(), new X509Certificate(readFileSync(b.cert)).serialNumber.toUpperCase(), 'new handshakes get the new certificate');
    } finally {
      tmp.cleanup();
    }
  });
});
