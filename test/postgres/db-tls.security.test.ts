// Attack: someone between Strongbox and PostgreSQL (a hijacked DNS name, a rogue host on the network) answers the database connection with a certificate for another name or from a CA Strongbox does not trust, hoping Strongbox sends its credentials and data anyway.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sql } from 'kysely';
import { openDatabase } from '../../src/db/open-database.ts';
import { openEngine } from '../../src/core/engine.ts';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';
import { postgresStatus, testCluster } from '../helpers/dialects.ts';
import { describeWithTool } from '../helpers/require-tool.ts';
import { CERT_AUTH_ROLE, type PgCluster } from '../helpers/pg-cluster.ts';
import { testConfig } from '../helpers/test-engine.ts';
import { adminClient } from './pg-roles-fixture.ts';

const openssl = (args: string[], cwd: string): void => {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
};

/** Forwards 127.0.0.2:port to the cluster and keeps what the client sent, to show nothing went in clear. */
async function forwarder(target: number): Promise<{ server: Server; port: number; sent: () => Buffer }> {
  const chunks: Buffer[] = [];
  const server = createServer((client) => {
    const upstream = createConnection(target, '127.0.0.1');
    client.on('data', (d: Buffer) => chunks.push(d));
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return { server, port: address.port, sent: () => Buffer.concat(chunks) };
}

const tlsVerify = (secrets: string[]) => (err: unknown): true => {
  assert.ok(err instanceof StrongboxError, String(err));
  assert.equal(err.code, 'ERR_DB_TLS_VERIFY', err.message);
  for (const s of secrets) assert.ok(!err.message.includes(s), `message leaks ${s}`);
  return true;
};

describeWithTool(postgresStatus(), 'verified TLS to PostgreSQL [postgres]', () => {
  let cluster: PgCluster;
  let url: string;
  let dir: string;
  before(async () => {
    cluster = await testCluster();
    url = await cluster.createDatabase();
    dir = mkdtempSync(join(tmpdir(), 'sb-dbtls-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const withParams = (base: string, set: Record<string, string | null>, host?: string): string => {
    const u = new URL(base);
    for (const [k, v] of Object.entries(set)) {
      if (v === null) u.searchParams.delete(k);
      else u.searchParams.set(k, v);
    }
    if (host) u.host = host;
    return u.toString();
  };

  test('a certificate that does not name the host is refused, before any credential is sent', async () => {
    const fwd = await forwarder(Number(new URL(url).port));
    try {
      const wrongHost = withParams(url, {}, `127.0.0.2:${fwd.port}`);
      await assert.rejects(openDatabase({ kind: 'postgres', url: wrongHost, password: cluster.password }), tlsVerify([cluster.password, wrongHost]));
      const sent = fwd.sent();
      assert.ok(sent.length > 0, 'the client did reach the forwarder');
      assert.ok(!sent.includes(Buffer.from('strongbox_test')), 'not even the user name went out in clear');
      // control: the same path with verification of the CA only would have connected (the refusal is the host name)
      const caOnly = withParams(wrongHost, { sslmode: 'verify-ca' });
      const db = await openDatabase({ kind: 'postgres', url: caOnly, password: cluster.password });
      await db.close();
      await assert.rejects(openDatabase({ kind: 'postgres', url: caOnly, password: cluster.password }, { requireVerifiedTls: true }), (err) => {
        assert.ok(err instanceof StrongboxError && err.code === 'ERR_DB_TLS_REQUIRED');
        return true;
      }, 'production refuses verify-ca');
    } finally {
      fwd.server.close();
    }
  });

  test('a certificate from a CA other than sslrootcert is refused; so is one the system store does not know', async () => {
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=Some other CA', '-keyout', 'other.key', '-out', 'other.crt'], dir);
    const otherCa = withParams(url, { sslrootcert: join(dir, 'other.crt') });
    await assert.rejects(openDatabase({ kind: 'postgres', url: otherCa, password: cluster.password }), tlsVerify([cluster.password, otherCa]));
    const system = withParams(url, { sslrootcert: 'system' });
    await assert.rejects(openDatabase({ kind: 'postgres', url: system, password: cluster.password }), tlsVerify([cluster.password]));
  });

  test('a loopback URL without sslmode is verify-full now, not plain text', async () => {
    const noMode = withParams(url, { sslmode: null });
    const db = await openDatabase({ kind: 'postgres', url: noMode, password: cluster.password }, { requireVerifiedTls: true });
    try {
      const { rows } = await sql<{ ssl: boolean }>`select ssl from pg_stat_ssl where pid = pg_backend_pid()`.execute(db.kysely);
      assert.deepEqual(rows, [{ ssl: true }]);
    } finally {
      await db.close();
    }
    const noCa = withParams(url, { sslmode: null, sslrootcert: null });
    await assert.rejects(openDatabase({ kind: 'postgres', url: noCa, password: cluster.password }), tlsVerify([cluster.password]),
      'without a CA the test certificate cannot be trusted, so the default verifies');
  });

  test('production mode refuses sslmode=require and disable at start, with ERR_DB_TLS_REQUIRED', async () => {
    for (const mode of ['require', 'disable']) {
      const config = { ...testConfig({ kind: 'postgres', url: withParams(url, { sslmode: mode }), password: cluster.password }), dev: false };
      await assert.rejects(openEngine(config), (err) => {
        assert.ok(err instanceof StrongboxError && err.code === 'ERR_DB_TLS_REQUIRED', String(err));
        assert.match(err.message, /verify-full/);
        return true;
      }, mode);
    }
  });

  test('client-certificate authentication: the cert role connects with a certificate from the CA and no password', async () => {
    const caDir = dirname(cluster.caFile);
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${CERT_AUTH_ROLE}`,
      '-keyout', 'client.key', '-out', 'client.csr'], dir);
    writeFileSync(join(dir, 'client.ext'), 'basicConstraints=critical,CA:FALSE\nextendedKeyUsage=clientAuth\n');
    openssl(['x509', '-req', '-in', join(dir, 'client.csr'), '-CA', cluster.caFile, '-CAkey', join(caDir, 'ca.key'),
      '-CAserial', join(dir, 'ca.srl'), '-CAcreateserial', '-days', '1', '-extfile', join(dir, 'client.ext'), '-out', join(dir, 'client.crt')], dir);
    const admin = await adminClient(cluster);
    try {
      await admin.query(`DO $$ BEGIN CREATE ROLE ${CERT_AUTH_ROLE} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
    } finally {
      await admin.end();
    }
    const u = new URL(withParams(url, { sslcert: join(dir, 'client.crt'), sslkey: join(dir, 'client.key') }));
    u.username = CERT_AUTH_ROLE;
    const db = await openDatabase({ kind: 'postgres', url: u.toString() }, { requireVerifiedTls: true });
    try {
      const { rows } = await sql<{ u: string; cn: string }>`select current_user as u, client_dn as cn from pg_stat_ssl where pid = pg_backend_pid()`.execute(db.kysely);
      assert.equal(rows[0]?.u, CERT_AUTH_ROLE);
      assert.match(String(rows[0]?.cn), new RegExp(`CN=${CERT_AUTH_ROLE}`));
    } finally {
      await db.close();
    }
    u.searchParams.delete('sslcert');
    u.searchParams.delete('sslkey');
    await assert.rejects(openDatabase({ kind: 'postgres', url: u.toString(), password: 'guess' }), (err) => {
      assert.ok(err instanceof StrongboxError && err.code === 'ERR_UNAVAILABLE');
      return true;
    }, 'without the certificate a password does not help');
  });
});
