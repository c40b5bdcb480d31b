import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { loadTls } from '../../src/core/edge/tls-material.ts';
import { describeWithTool, requireTool } from '../helpers/require-tool.ts';
import { opensslMissing } from '../helpers/test-certs.ts';
import { startEdge, type EdgeRequest, type EdgeResponse } from '../helpers/edge-server.ts';
import { BILLING, PASSWORD, startMtlsEdge, type MtlsEdge } from '../helpers/mtls-edge.ts';
import type { ClientCert } from '../helpers/client-certs.ts';

const openssl = requireTool('openssl', opensslMissing);
const LEDGER_URL = '/api/collections/ledger/records';

/** One s_client handshake's full output (async: the server runs in this process). */
async function probe(port: number): Promise<string> {
  const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost'], { stdio: ['pipe', 'pipe', 'ignore'] });
  child.stdin.end();
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await new Promise((done) => child.on('close', done));
  clearTimeout(timer);
  return out;
}

describeWithTool(openssl, 'mTLS: client certificates sign in as service accounts', () => {
  let m: MtlsEdge;
  before(async () => { m = await startMtlsEdge(); });
  after(async () => { await m?.close(); });

  const call = (path: string, cert?: ClientCert, r: EdgeRequest = {}): Promise<EdgeResponse> =>
    m.edge.request(path, { ...r, ...(cert ? { clientCert: { cert: cert.cert, key: cert.key } } : {}) });
  const me = async (cert?: ClientCert, r: EdgeRequest = {}): Promise<{ status: number; email?: string; code?: string }> => {
    const res = await call('/api/auth/me', cert, r);
    const body = JSON.parse(res.text) as { account?: { email: string }; error?: { code: string } };
    return { status: res.status, email: body.account?.email, code: body.error?.code };
  };
  const post = (cert: ClientCert | undefined, title: string, headers: Record<string, string> = {}): Promise<EdgeResponse> =>
    call(LEDGER_URL, cert, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ title }) });
  const auditRows = async (action: string): Promise<{ outcome: string; actor_id: string | null; token_id: string | null; details: string }[]> =>
    m.edge.engine.db.kysely.selectFrom('_sb_audit').select(['outcome', 'actor_id', 'token_id', 'details']).where('action', '=', action).orderBy('seq').execute();

  test('a mapped certificate is its account: /api/auth/me, and the rules that name @auth.email and @auth.role apply', async () => {
    assert.deepEqual(await me(m.certs.billing), { status: 200, email: BILLING, code: undefined });
    // Like an API token, a certificate may not manage the account (sessions, password).
    assert.equal((await call('/api/auth/sessions', m.certs.billing)).status, 403);
    const created = await post(m.certs.billing, 'invoice 1');
    assert.equal(created.status, 201, created.text);
    const record = JSON.parse(created.text) as { id: string; owner: string };
    assert.equal(record.owner, m.ids[BILLING]);
    const listed = await call(LEDGER_URL, m.certs.billing);
    assert.equal(listed.status, 200);
    assert.match(listed.text, /invoice 1/);
    // Another service account (by token) may read (role rule) but not add (email rule).
    const other = await m.edge.engine.accounts.login('svc-old@example.com', PASSWORD);
    assert.match((await call(LEDGER_URL, undefined, { headers: { authorization: `Bearer ${other.token}` } })).text, /invoice 1/);
    assert.equal((await post(undefined, 'nope', { authorization: `Bearer ${other.token}` })).status, 403);
    // Anonymous: neither.
    assert.doesNotMatch((await call(LEDGER_URL)).text, /invoice 1/);
    assert.ok((await post(undefined, 'anon')).status >= 400);
  });

  test('the sign-in is audited once per connection, with the certificate as the credential id', async () => {
    const before = (await auditRows('auth.mtls')).filter((r) => r.outcome === 'success').length;
    const agent = m.agent(m.certs.billing);
    for (let i = 0; i < 3; i++) assert.equal((await me(undefined, { agent })).status, 200);
    const rows = (await auditRows('auth.mtls')).filter((r) => r.outcome === 'success');
    assert.equal(rows.length, before + 1);
    const last = rows.at(-1)!;
    assert.equal(last.actor_id, m.ids[BILLING]);
    assert.match(last.token_id ?? '', /^c-[0-9a-f]{16}$/);
  });

  test('a valid certificate that is not mapped grants nothing (anonymous), and is audited', async () => {
    assert.equal((await me(m.certs.unmapped)).status, 401);
    assert.ok((await post(m.certs.unmapped, 'x')).status >= 400);
    const fp = m.certs.unmapped.fingerprint.slice(7).replaceAll(':', '').toLowerCase();
    assert.ok((await auditRows('auth.mtls')).some((r) => r.outcome === 'failure' && r.details.includes(fp) && r.actor_id === null));
  });

  test('a certificate from another CA, or expired, is anonymous; the handshake still succeeds', async () => {
    for (const cert of [m.certs.otherCa, m.certs.expired]) {
      const r = await me(cert);
      assert.equal(r.status, 401);
      assert.equal(r.code, 'ERR_UNAUTHENTICATED');
    }
    const details = (await auditRows('auth.mtls')).filter((r) => r.outcome === 'failure').map((r) => r.details).join('\n');
    assert.match(details, /CERT_HAS_EXPIRED/);
    assert.match(details, /UNABLE_TO_GET_ISSUER_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED/);
    // No certificate at all: the server asks but does not insist; tokens keep working.
    assert.equal((await me()).status, 401);
    const alice = await m.edge.engine.accounts.login('alice@example.com', PASSWORD);
    assert.deepEqual(await me(undefined, { headers: { authorization: `Bearer ${alice.token}` } }), { status: 200, email: 'alice@example.com', code: undefined });
  });

  test('disabling the account stops its certificate at once, on a connection already signed in', async () => {
    const agent = m.agent(m.certs.disabled);
    assert.equal((await me(undefined, { agent })).email, 'svc-disabled@example.com');
    await m.edge.engine.accounts.admin.change(m.ids['svc-disabled@example.com'], { disabled: true }, { id: null, keepSessionHash: null });
    const refused = await me(undefined, { agent });
    assert.deepEqual(refused, { status: 401, email: undefined, code: 'ERR_UNAUTHENTICATED' });
    assert.equal((await post(m.certs.disabled, 'x')).status, 401);
    assert.ok((await auditRows('auth.mtls')).some((r) => r.outcome === 'denied' && r.details.includes('disabled')));
    await m.edge.engine.accounts.admin.change(m.ids['svc-disabled@example.com'], { disabled: false }, { id: null, keepSessionHash: null });
    assert.equal((await me(undefined, { agent })).email, 'svc-disabled@example.com');
  });

  test('a token with a certificate: the same account\'s token wins; another account\'s, or a malformed header, is refused', async () => {
    const own = await m.edge.engine.accounts.login(BILLING, PASSWORD);
    assert.equal((await me(m.certs.billing, { headers: { authorization: `Bearer ${own.token}` } })).email, BILLING);
    const alice = await m.edge.engine.accounts.login('alice@example.com', PASSWORD);
    for (const authorization of [`Bearer ${alice.token}`, 'Bearer not-a-token', 'Basic c3ZjOnB3']) {
      assert.deepEqual(await me(m.certs.billing, { headers: { authorization } }), { status: 401, email: undefined, code: 'ERR_UNAUTHENTICATED' }, authorization);
    }
    assert.ok((await auditRows('auth.mtls')).some((r) => r.outcome === 'denied' && r.details.includes('mixed-credentials')));
  });

  test('reloading the client CA re-checks connections already open; the new CA\'s mapped certificates sign in', async () => {
    const agent = m.agent(m.certs.billing);
    assert.equal((await me(undefined, { agent })).email, BILLING);
    m.edge.app.strongboxEdge.reload(loadTls({ ...m.tls, clientCa: m.caB.cert }, '127.0.0.1'));
    try {
      assert.equal((await me(undefined, { agent })).status, 401, 'the open connection was verified against the removed CA');
      assert.equal((await me(m.certs.billing)).status, 401);
      assert.equal((await me(m.certs.otherCa)).email, 'svc-other@example.com');
      assert.match((await auditRows('auth.mtls')).map((r) => r.details).join('\n'), /NOT_TRUSTED_NOW/);
    } finally {
      m.edge.app.strongboxEdge.reload(loadTls(m.tls, '127.0.0.1'));
    }
    assert.equal((await me(m.certs.billing)).email, BILLING);
  });

  test('a resumed TLS session signs in as its certificate\'s account (re-checked, not taken on trust)', async () => {
    const agent = new Agent({ keepAlive: false, ca: m.edge.ca, cert: m.certs.billing.cert, key: m.certs.billing.key });
    const once = (): Promise<{ status: number; reused: boolean; text: string }> => new Promise((done, fail) => {
      const req = request({ host: '127.0.0.1', port: m.edge.addresses.main.port, path: '/api/auth/me', agent, servername: 'localhost' }, (res) => {
        let text = '';
        const reused = (res.socket as TLSSocket).isSessionReused();
        res.setEncoding('utf8').on('data', (d: string) => { text += d; }).on('end', () => done({ status: res.statusCode ?? 0, reused, text }));
      });
      req.on('error', fail);
      req.end();
    });
    try {
      const first = await once();
      assert.equal(first.status, 200);
      let second = await once();
      for (let i = 0; i < 5 && !second.reused; i++) second = await once();
      assert.equal(second.reused, true, 'the client did not resume its TLS session');
      assert.equal(second.status, 200, second.text);
      assert.match(second.text, /svc-billing@example\.com/);
      // With CA A removed, the next connection (resumed or, as Node makes a new context, not) is not a caller.
      m.edge.app.strongboxEdge.reload(loadTls({ ...m.tls, clientCa: m.caB.cert }, '127.0.0.1'));
      const third = await once();
      assert.equal(third.status, 401, third.text);
    } finally {
      m.edge.app.strongboxEdge.reload(loadTls(m.tls, '127.0.0.1'));
      agent.destroy();
    }
  });

  test('the server asks for a certificate of the configured CA (openssl s_client), and only when mTLS is on', async () => {
    assert.match(await probe(m.edge.addresses.main.port), /Acceptable client certificate CA names\s+CN ?= ?clients-a/);
    const plain = await startEdge();
    try {
      assert.equal(plain.app.strongboxClientCerts, null);
      assert.match(await probe(plain.addresses.main.port), /No client certificate CA names sent/);
    } finally {
      await plain.close();
    }
  });
});
