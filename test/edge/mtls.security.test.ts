// Attack: sign in as a service account without its client certificate: a forged or self-signed look-alike, one from another CA or for another purpose, a valid but unmapped one, or headers claiming a certificate (X-Client-Cert, X-SSL-Client-*, XFCC), even through a trusted proxy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { describeWithTool, requireTool } from '../helpers/require-tool.ts';
import { opensslMissing } from '../helpers/test-certs.ts';
import type { EdgeRequest } from '../helpers/edge-server.ts';
import { BILLING, startMtlsEdge, type MtlsEdge } from '../helpers/mtls-edge.ts';
import type { ClientCert } from '../helpers/client-certs.ts';

const openssl = requireTool('openssl', opensslMissing);
const LEDGER_URL = '/api/collections/ledger/records';

/** Every header a proxy or a framework has used to pass a client certificate on, filled with billing's. */
function certHeaders(billing: ClientCert): Record<string, string> {
  const fp = billing.fingerprint.slice(7);
  const hex = fp.replaceAll(':', '').toLowerCase();
  const pem = encodeURIComponent(billing.cert);
  const oneLine = billing.cert.replace(/\n/g, ' ');
  return {
    'x-client-cert': pem, 'x-client-certificate': pem, 'x-ssl-client-cert': pem, 'ssl-client-cert': oneLine, 'x-arr-clientcert': pem,
    'x-ssl-client-verify': 'SUCCESS', 'x-client-verify': 'SUCCESS', 'ssl-client-verify': 'SUCCESS',
    'x-ssl-client-s-dn': 'CN=svc-billing', 'x-ssl-client-dn': '/CN=svc-billing', 'x-client-dn': 'CN=svc-billing', 'x-ssl-client-cn': 'svc-billing',
    'x-ssl-client-fingerprint': fp, 'x-ssl-client-sha256': hex, 'x-client-cert-fingerprint': `sha256:${hex}`,
    'x-forwarded-client-cert': `Hash=${hex};Cert="${pem}";Subject="CN=svc-billing";URI=`, 'x-amzn-mtls-clientcert': pem,
    'x-strongbox-account': BILLING, 'x-auth-email': BILLING, 'x-remote-user': BILLING,
  };
}

for (const trusted of [false, true]) {
  describeWithTool(openssl, `mTLS attacks (${trusted ? 'from a trusted proxy' : 'from an untrusted client'})`, () => {
    let m: MtlsEdge;
    before(async () => { m = await startMtlsEdge(trusted ? { trustedProxies: ['127.0.0.1', '::1'] } : {}); });
    after(async () => { await m?.close(); });

    const call = (path: string, cert: ClientCert | undefined, r: EdgeRequest = {}) =>
      m.edge.request(path, { ...r, ...(cert ? { clientCert: { cert: cert.cert, key: cert.key } } : {}) });
    /** The request is anonymous: /api/auth/me is 401, the ledger lists nothing and refuses a write, no sign-in is audited. */
    async function assertAnonymous(cert: ClientCert | undefined, headers: Record<string, string> = {}, why = ''): Promise<void> {
      const before = await successes();
      const me = await call('/api/auth/me', cert, { headers });
      assert.equal(me.status, 401, `${why}: ${me.text}`);
      assert.match(me.text, /ERR_UNAUTHENTICATED/);
      assert.doesNotMatch(me.text, /svc-|@example\.com/);
      const list = await call(LEDGER_URL, cert, { headers });
      assert.doesNotMatch(list.text, /seeded entry/, why);
      const write = await call(LEDGER_URL, cert, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{"title":"planted"}' });
      assert.ok(write.status >= 400, `${why}: write was ${write.status}`);
      assert.equal(await successes(), before, `${why}: a sign-in was audited`);
    }
    const successes = async (): Promise<number> => (await m.edge.engine.db.kysely.selectFrom('_sb_audit').select('seq')
      .where('action', '=', 'auth.mtls').where('outcome', '=', 'success').execute()).length;

    before(async () => {
      const seeded = await call(LEDGER_URL, m.certs.billing, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":"seeded entry"}' });
      assert.equal(seeded.status, 201, seeded.text);
    });

    test('a self-signed certificate with the same subject (and even its fingerprint mapped) is anonymous', async () => {
      await assertAnonymous(m.certs.forged, {}, 'forged');
    });

    test('a certificate from another CA with the same subject and a mapped fingerprint is anonymous', async () => {
      await assertAnonymous(m.certs.otherCa, {}, 'other CA');
    });

    test('a certificate of the right CA issued for another purpose (serverAuth only), mapped, is anonymous', async () => {
      await assertAnonymous(m.certs.serverOnly, {}, 'server-only');
    });

    test('a valid, unmapped certificate is anonymous, also with the mapped certificate\'s subject and fingerprint in headers', async () => {
      await assertAnonymous(m.certs.unmapped, {}, 'unmapped');
      await assertAnonymous(m.certs.unmapped, certHeaders(m.certs.billing), 'unmapped + headers');
    });

    test('an expired certificate is anonymous', async () => {
      await assertAnonymous(m.certs.expired, {}, 'expired');
    });

    test(`headers claiming a verified client certificate are ignored${trusted ? ' even from a trusted proxy' : ''}`, async () => {
      await assertAnonymous(undefined, certHeaders(m.certs.billing), 'no certificate + headers');
      // One at a time too, so no single header slips through behind the others.
      for (const [name, value] of Object.entries(certHeaders(m.certs.billing))) {
        const me = await call('/api/auth/me', undefined, { headers: { [name]: value } });
        assert.equal(me.status, 401, name);
      }
    });

    test('a cross-site write riding on a browser\'s client certificate is refused like one riding on a cookie', async () => {
      for (const headers of [{ 'sec-fetch-site': 'cross-site' }, { origin: 'https://evil.example' }, { origin: 'null' }] as Record<string, string>[]) {
        const r = await call(LEDGER_URL, m.certs.billing, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{"title":"csrf"}' });
        assert.equal(r.status, 403, JSON.stringify(headers));
        assert.match(r.text, /ERR_CSRF/);
      }
      assert.doesNotMatch((await call(LEDGER_URL, m.certs.billing)).text, /"csrf"/);
    });

    test('the real certificate still works, and its headers do not switch it to another account', async () => {
      const me = await call('/api/auth/me', m.certs.billing, { headers: { 'x-ssl-client-s-dn': 'CN=alice', 'x-strongbox-account': 'alice@example.com', 'x-forwarded-client-cert': 'Hash=00' } });
      assert.equal(me.status, 200);
      assert.equal((JSON.parse(me.text) as { account: { email: string } }).account.email, BILLING);
    });
  });
}
