// A TLS scanner (Debian's sslscan) against the dev certificate: only strong protocols, suites and groups, nothing it would flag.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tlsServerOptions } from '../../src/crypto/tls-options.ts';
import { describeWithTool, requireTool } from '../helpers/require-tool.ts';
import { startEdge, type EdgeServer } from '../helpers/edge-server.ts';
import { loopbackCerts } from '../helpers/test-certs.ts';

const sslscan = requireTool('sslscan', () => (spawnSync('sslscan', ['--version']).error ? 'sslscan is not installed (Debian: apt-get install sslscan)' : null));

async function scan(port: number): Promise<string> {
  const child = spawn('sslscan', ['--no-colour', '--xml=-', '--sni-name=localhost', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  await new Promise((done) => child.on('close', done));
  clearTimeout(timer);
  return out;
}

const attrs = (xml: string, tag: string): Record<string, string>[] =>
  [...xml.matchAll(new RegExp(`<${tag} ([^>]*?)/?>`, 'g'))].map((m) => Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((a) => [a[1], a[2]])));

function assertStrong(xml: string, protocols: readonly string[]): void {
  const enabled = attrs(xml, 'protocol').filter((p) => p.enabled === '1').map((p) => `${p.type}${p.version}`);
  assert.deepEqual(enabled, protocols, 'protocols');
  const ciphers = attrs(xml, 'cipher');
  assert.ok(ciphers.length > 0, xml);
  for (const c of ciphers) {
    assert.ok(Number(c.bits) >= 128, `${c.cipher}: ${c.bits} bits`);
    assert.match(c.strength, /^(strong|acceptable)$/, `${c.cipher} is rated ${c.strength}`);
    assert.match(c.cipher, /^(TLS_(AES_(128|256)_GCM|CHACHA20_POLY1305)_SHA(256|384)|ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305))$/, c.cipher);
  }
  for (const g of attrs(xml, 'group')) assert.ok(Number(g.bits) >= 128, `group ${g.name}: ${g.bits} bits`);
  for (const h of attrs(xml, 'heartbleed')) assert.equal(h.vulnerable, '0');
  for (const r of attrs(xml, 'renegotiation')) assert.ok(r.supported === '0' || r.secure === '1', 'no insecure renegotiation');
  for (const c of attrs(xml, 'compression')) assert.equal(c.supported, '0', 'no TLS compression');
  assert.doesNotMatch(xml, /<fallback supported="0"/, 'TLS_FALLBACK_SCSV honoured');
  assert.match(xml, /<signature-algorithm>ecdsa-with-SHA256<\/signature-algorithm>/);
  assert.match(xml, /<expired>false<\/expired>/);
}

describeWithTool(sslscan, 'sslscan against the dev certificate', () => {
  let edge: EdgeServer;
  before(async () => { edge = await startEdge(); });
  after(async () => { await edge?.close(); });

  test('default (TLS 1.3 only): no weak protocol, suite or group', async () => {
    assertStrong(await scan(edge.addresses.main.port), ['tls1.3']);
  });

  test('with minVersion 1.2: TLS 1.2 adds only ECDHE + AEAD suites', async () => {
    const certs = loopbackCerts(edge.certDir);
    edge.app.strongboxEdge.reload(tlsServerOptions({ certPem: readFileSync(certs.cert, 'utf8'), keyPem: readFileSync(certs.key, 'utf8') }, 'TLSv1.2'));
    const xml = await scan(edge.addresses.main.port);
    assertStrong(xml, ['tls1.2', 'tls1.3']);
    assert.ok(attrs(xml, 'cipher').some((c) => c.sslversion === 'TLSv1.2'), 'TLS 1.2 suites are there');
  });
});
