// Attack on availability at start-up: several servers started at once on one data folder race
// to make the development CA and certificate, and one renames its certificate over another's CA.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opensslMissing } from '../helpers/test-certs.ts';
import { describeWithTool, requireTool } from '../helpers/require-tool.ts';

const TSX = import.meta.resolve('tsx');
const MODULE = new URL('../../src/crypto/dev-certificates.ts', import.meta.url).href;
const PROCESSES = 5;

/** One process: ensures the certificates, prints the SHA-256 of the certificate it was handed. */
function ensureInChild(dataDir: string): Promise<string> {
  const code = `import { ensureDevCertificates } from ${JSON.stringify(MODULE)};
import { readFileSync } from 'node:fs'; import { createHash } from 'node:crypto';
const c = ensureDevCertificates(${JSON.stringify(dataDir)}, '127.0.0.1');
process.stdout.write(createHash('sha256').update(readFileSync(c.cert)).digest('hex'));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (status) => (status === 0 ? resolve(out) : reject(new Error(`exit ${status}: ${err}`))));
  });
}

describeWithTool(requireTool('openssl', opensslMissing), 'development certificates', () => {
 test('servers started together on one folder end with one CA and a certificate it signed', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-devcert-race-'));
  try {
    const handed = await Promise.all(Array.from({ length: PROCESSES }, () => ensureInChild(dir)));
    const tls = join(dir, 'tls');
    const ca = new X509Certificate(readFileSync(join(tls, 'ca.pem')));
    const cert = new X509Certificate(readFileSync(join(tls, 'cert.pem')));
    assert.ok(cert.verify(ca.publicKey), 'the certificate is signed by the CA on disk');
    assert.ok(cert.checkPrivateKey(createPrivateKey(readFileSync(join(tls, 'key.pem')))), 'the key on disk is the certificate\'s');
    assert.ok(ca.checkPrivateKey(createPrivateKey(readFileSync(join(tls, 'ca-key.pem')))), 'the CA key on disk is the CA\'s');
    const onDisk = createHash('sha256').update(readFileSync(join(tls, 'cert.pem'))).digest('hex');
    assert.deepEqual(handed, Array(PROCESSES).fill(onDisk), 'every process was handed the certificate that stayed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
});
