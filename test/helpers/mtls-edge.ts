/** A real HTTPS edge with mTLS on (listen.tls.clientCa + clients) and a set of client certificates, for edge tests. */
import { Agent } from 'node:https';
import type { StrongboxConfig } from '../../src/config/config.ts';
import type { ClientCertMapping, TlsConfig } from '../../src/config/edge-config.ts';
import { parseFingerprint } from '../../src/config/parse-mtls.ts';
import { parseCidr } from '../../src/util/cidr.ts';
import { tempDir } from '../cli/cli-helpers.ts';
import { issueClient, makeCa, selfSignedClient, type ClientCert, type TestCa } from './client-certs.ts';
import { startEdge, type EdgeServer } from './edge-server.ts';
import { collection, field, NOTES } from './test-engine.ts';
import { loopbackCerts } from './test-certs.ts';

export const BILLING = 'svc-billing@example.com';
/** Service accounts read it; only svc-billing may add to it. */
export const LEDGER = collection('ledger', [field('title', 'text', { required: true, max: 200 })], {
  list: "@auth.role = 'service'", view: "@auth.role = 'service'", create: `@auth.email = '${BILLING}'`, update: null, delete: null,
});
export const PASSWORD = 'a long test password 7f3b';

export interface MtlsEdge {
  readonly edge: EdgeServer;
  readonly caA: TestCa;
  readonly caB: TestCa;
  /** billing: mapped (CA A); unmapped: CA A, not mapped; expired: CA A, mapped; disabled: CA A, mapped to an account disabled by the test;
   *  otherCa: CA B, mapped; forged: self-signed, CN like billing's, mapped; serverOnly: CA A, serverAuth only, mapped. */
  readonly certs: Record<'billing' | 'unmapped' | 'expired' | 'disabled' | 'otherCa' | 'forged' | 'serverOnly', ClientCert>;
  readonly ids: Record<string, string>;
  /** The listen.tls the edge serves (for reloads). */
  readonly tls: TlsConfig;
  /** A keep-alive agent presenting `cert` (one socket, so requests reuse the connection). */
  agent(cert?: ClientCert): Agent;
  close(): Promise<void>;
}

export async function startMtlsEdge(opts: { trustedProxies?: readonly string[] } = {}): Promise<MtlsEdge> {
  const tmp = tempDir('strongbox-mtls-');
  const server = loopbackCerts(tmp.dir);
  const caA = makeCa(tmp.dir, 'clients-a');
  const caB = makeCa(tmp.dir, 'clients-b');
  const certs = {
    billing: issueClient(caA, 'svc-billing'),
    unmapped: issueClient(caA, 'svc-unmapped'),
    expired: issueClient(caA, 'svc-old', { startdate: '20240101000000Z', enddate: '20240201000000Z' }),
    disabled: issueClient(caA, 'svc-disabled'),
    otherCa: issueClient(caB, 'svc-billing'),
    forged: selfSignedClient(tmp.dir, 'svc-billing'),
    serverOnly: issueClient(caA, 'svc-server', { purpose: 'server' }),
  };
  const mapped: [ClientCert, string][] = [
    [certs.billing, BILLING], [certs.expired, 'svc-old@example.com'], [certs.disabled, 'svc-disabled@example.com'],
    [certs.otherCa, 'svc-other@example.com'], [certs.forged, 'svc-forged@example.com'], [certs.serverOnly, 'svc-server@example.com'],
  ];
  const clients: ClientCertMapping[] = mapped.map(([c, account], i) => ({ fingerprint: parseFingerprint(c.fingerprint)!, account, keyPath: `listen.tls.clients[${i}]` }));
  const tls: TlsConfig = { cert: server.cert, key: server.key, keySource: 'listen.tls.key', minVersion: 'TLSv1.3', clientCa: caA.cert, clients };
  const ids: Record<string, string> = {};
  const edge = await startEdge({
    certDir: tmp.dir,
    collections: [LEDGER, NOTES],
    tlsFromConfig: true,
    config: (base: StrongboxConfig) => ({
      ...base,
      listen: { ...base.listen, tls, trustedProxies: (opts.trustedProxies ?? []).map((c) => parseCidr(c)!) },
    }),
    beforeServe: async (engine) => {
      for (const email of [...mapped.map(([, a]) => a), 'alice@example.com']) {
        await engine.accounts.register(email, PASSWORD);
        const id = await engine.accounts.admin.idOfEmail(email);
        ids[email] = id;
        if (email.startsWith('svc-')) await engine.accounts.admin.change(id, { role: 'service' }, { id: null, keepSessionHash: null });
      }
    },
  });
  const agents: Agent[] = [];
  return {
    edge, caA, caB, certs, ids, tls,
    agent(cert) {
      const a = new Agent({ keepAlive: true, maxSockets: 1, ca: edge.ca, ...(cert ? { cert: cert.cert, key: cert.key } : {}) });
      agents.push(a);
      return a;
    },
    async close() {
      for (const a of agents) a.destroy();
      await edge.close();
      tmp.cleanup();
    },
  };
}
