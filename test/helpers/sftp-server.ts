/**
 * A throwaway SFTP server: Debian's openssh-server on loopback with its own host key and one
 * authorized client key, all in a temp folder. For the rclone offsite tests.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { requireTool, type ToolStatus } from './require-tool.ts';

const SSHD = '/usr/sbin/sshd';

export function sftpStatus(): ToolStatus {
  return requireTool('openssh-server and rclone', () => {
    if (!existsSync(SSHD)) return 'sshd is not installed (Debian package openssh-server)';
    try {
      execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return 'ssh-keygen is missing (Debian package openssh-client)';
    }
    try {
      execFileSync('rclone', ['version'], { stdio: 'ignore' });
    } catch {
      return 'rclone is not installed (Debian package rclone)';
    }
    return null;
  });
}

export interface SftpServer {
  readonly port: number;
  readonly user: string;
  /** An rclone config file with the remote `sftptest`. */
  readonly rcloneConfig: string;
  /** A folder on the server, writable by the user (same machine). */
  readonly root: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export async function startSftpServer(): Promise<SftpServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-sftp-'));
  const root = join(dir, 'remote');
  mkdirSync(root, { mode: 0o700 });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client_key')]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')), { mode: 0o600 });
  const port = await freePort();
  const user = userInfo().username;
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${readFileSync(join(dir, 'host_key.pub'), 'utf8')}`);
  writeFileSync(join(dir, 'sshd_config'), [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(dir, 'host_key')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, `PidFile ${join(dir, 'sshd.pid')}`,
    'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'PubkeyAuthentication yes',
    'PermitRootLogin prohibit-password', 'UsePAM no', 'StrictModes no', 'Subsystem sftp internal-sftp', '',
  ].join('\n'));
  // privilege separation needs its empty folder when sshd runs as root
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => { log += d.toString(); });
  await new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + 10_000;
    const tick = (): void => {
      if (child.exitCode !== null) { reject(new Error(`sshd exited: ${log}`)); return; }
      if (/Server listening/.test(log)) { resolve(); return; }
      if (Date.now() > deadline) { reject(new Error(`sshd did not start: ${log}`)); return; }
      setTimeout(tick, 50);
    };
    tick();
  });
  const rcloneConfig = join(dir, 'rclone.conf');
  writeFileSync(rcloneConfig, [
    '[sftptest]', 'type = sftp', 'host = 127.0.0.1', `port = ${port}`, `user = ${user}`,
    `key_file = ${join(dir, 'client_key')}`, `known_hosts_file = ${join(dir, 'known_hosts')}`, '',
  ].join('\n'), { mode: 0o600 });
  return {
    port, user, rcloneConfig, root,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
