/**
 * A real syslog receiver for tests: Debian's rsyslogd with imtcp over TLS (gtls driver), a CA
 * and server certificate generated here with the openssl CLI, writing every raw message it
 * receives to a file. stop() kills it; start() again reuses the port and certificates.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from './require-tool.ts';

const RSYSLOGD = '/usr/sbin/rsyslogd';
const GTLS = ['/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so', '/usr/lib/aarch64-linux-gnu/rsyslog/lmnsd_gtls.so', '/usr/lib/rsyslog/lmnsd_gtls.so'];

export const rsyslogStatus = () => requireTool('rsyslog with gnutls (apt-get install rsyslog rsyslog-gnutls)', () => {
  if (!existsSync(RSYSLOGD)) return `${RSYSLOGD} not found`;
  if (!GTLS.some((p) => existsSync(p))) return 'the rsyslog gtls driver (rsyslog-gnutls) is not installed';
  execFileSync('openssl', ['version'], { stdio: 'ignore' });
  return null;
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Rsyslog {
  readonly port: number;
  readonly caFile: string;
  readonly received: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The raw messages received so far. */
  lines(): string[];
}

export async function makeRsyslog(): Promise<Rsyslog> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-rsyslog-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=strongbox test CA');
  ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
  const port = await freePort();
  const received = join(dir, 'received.log');
  writeFileSync(join(dir, 'rsyslog.conf'), `
global(workDirectory="${dir}" defaultNetstreamDriver="gtls"
  defaultNetstreamDriverCAFile="${dir}/ca.pem" defaultNetstreamDriverCertFile="${dir}/server.pem"
  defaultNetstreamDriverKeyFile="${dir}/server.key")
module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imtcp" port="${port}" address="127.0.0.1")
template(name="raw" type="string" string="%rawmsg%\\n")
action(type="omfile" file="${received}" template="raw" flushOnTXEnd="on" asyncWriting="off" ioBufferSize="4k")
`);
  let child: ChildProcess | null = null;
  const self: Rsyslog = {
    port,
    caFile: join(dir, 'ca.pem'),
    received,
    async start() {
      child = spawn(RSYSLOGD, ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, `rsyslogd-${Date.now()}.pid`)], { stdio: 'ignore' });
      // ready when the port accepts connections
      for (let i = 0; i < 100; i++) {
        const up = await new Promise<boolean>((resolve) => {
          const s = connect(port, '127.0.0.1');
          s.once('connect', () => { s.destroy(); resolve(true); });
          s.once('error', () => resolve(false));
        });
        if (up) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('rsyslogd did not start');
    },
    async stop() {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null) return;
      await new Promise<void>((resolve) => { c.once('exit', () => resolve()); c.kill('SIGKILL'); });
    },
    lines() {
      return existsSync(received) ? readFileSync(received, 'utf8').split('\n').filter((l) => l !== '') : [];
    },
  };
  return self;
}
