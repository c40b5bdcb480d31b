import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ClientCaBundle } from '../../src/crypto/client-ca.ts';
import { describeWithTool, requireTool } from '../helpers/require-tool.ts';
import { opensslMissing } from '../helpers/test-certs.ts';
import { issueClient, makeCa, type TestCa } from '../helpers/client-certs.ts';
import { tempDir } from '../cli/cli-helpers.ts';

const der = (pem: string): Buffer => new X509Certificate(pem).raw;

describeWithTool(requireTool('openssl', opensslMissing), 'ClientCaBundle: the re-check of a connection\'s chain', () => {
  let tmp: ReturnType<typeof tempDir>;
  let root: TestCa;
  let mid: TestCa;
  let other: TestCa;
  before(() => {
    tmp = tempDir('strongbox-client-ca-');
    root = makeCa(tmp.dir, 'root');
    mid = makeCa(tmp.dir, 'intermediate', root);
    other = makeCa(tmp.dir, 'other');
  });
  after(() => tmp?.cleanup());

  const bundle = (...cas: TestCa[]): ClientCaBundle => {
    const b = ClientCaBundle.parse(cas.map((c) => readFileSync(c.cert, 'utf8')).join('\n'), Date.now());
    assert.ok(b instanceof ClientCaBundle);
    return b;
  };

  test('a leaf issued by a bundle CA verifies; one from another CA, or with a forged link, does not', () => {
    const leaf = der(issueClient(root, 'svc').cert);
    assert.equal(bundle(root).verifiesChain([leaf], Date.now()), true);
    assert.equal(bundle(other).verifiesChain([leaf], Date.now()), false);
    // Another CA's certificate placed in the chain does not make it a path.
    assert.equal(bundle(other).verifiesChain([leaf, der(readFileSync(other.cert, 'utf8'))], Date.now()), false);
    assert.equal(bundle(root).verifiesChain([], Date.now()), false);
    assert.equal(bundle(root).verifiesChain([Buffer.from('not a certificate')], Date.now()), false);
  });

  test('an intermediate: followed when the client sends it, or trusted when it is in the bundle', () => {
    const leaf = der(issueClient(mid, 'svc').cert);
    const midDer = der(readFileSync(mid.cert, 'utf8'));
    assert.equal(bundle(root).verifiesChain([leaf, midDer], Date.now()), true);
    assert.equal(bundle(root).verifiesChain([leaf], Date.now()), false, 'no intermediate, no path');
    assert.equal(bundle(root, mid).verifiesChain([leaf], Date.now()), true);
    assert.equal(bundle(other).verifiesChain([leaf, midDer], Date.now()), false);
  });

  test('validity: an expired leaf, or any link outside its dates at `now`, fails', () => {
    const expired = der(issueClient(root, 'old', { startdate: '20240101000000Z', enddate: '20240201000000Z' }).cert);
    assert.equal(bundle(root).verifiesChain([expired], Date.now()), false);
    const leaf = der(issueClient(root, 'svc').cert);
    assert.equal(bundle(root).verifiesChain([leaf], Date.now() + 400 * 86_400_000), false, 'past every date');
  });

  test('parse: no certificate, a non-CA certificate, junk', () => {
    assert.deepEqual(ClientCaBundle.parse('', Date.now()), { problem: 'holds no PEM certificate' });
    const leaf = issueClient(root, 'svc').cert;
    assert.match((ClientCaBundle.parse(leaf, Date.now()) as { problem: string }).problem, /certificate 1 \(CN=svc\) is not a CA certificate/);
    const junk = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    assert.match((ClientCaBundle.parse(junk, Date.now()) as { problem: string }).problem, /certificate 1 is not a valid PEM certificate/);
    assert.equal(ClientCaBundle.empty().verifiesChain([der(leaf)], Date.now()), false);
  });
});
