import { execFile } from 'node:child_process';
import { basename } from 'node:path';
import { StrongboxError } from '../../errors/strongbox-error.ts';

export interface RcloneOptions {
  /** rclone config file; null = rclone's own default. */
  readonly config: string | null;
  /** ms before the copy is abandoned; default 10 minutes. */
  readonly timeoutMs?: number;
  readonly binary?: string;
}

/** `rclone:REMOTE:PATH` → `REMOTE:PATH/NAME` */
export function rcloneTarget(destination: string, name: string): string {
  const rest = destination.slice('rclone:'.length);
  return rest.endsWith(':') || rest.endsWith('/') ? `${rest}${name}` : `${rest}/${name}`;
}

function run(binary: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: timeoutMs, maxBuffer: 1024 * 1024, env: { ...process.env, RCLONE_ASK_PASSWORD: 'false' } }, (err, _stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr }));
      else resolve();
    });
  });
}

/**
 * Copies an archive to an rclone remote through Debian's rclone (copyto fails unless the whole
 * file arrived, checked by size and, where the remote has one, hash). Strongbox never deletes offsite copies: retention there belongs to the remote (object
 * lock, lifecycle rules), so a compromised server cannot erase the offsite history.
 */
export async function copyOffsite(localPath: string, destination: string, opts: RcloneOptions): Promise<string> {
  const binary = opts.binary ?? 'rclone';
  const target = rcloneTarget(destination, basename(localPath));
  const common = [...(opts.config ? ['--config', opts.config] : []), '--retries', '2', '--low-level-retries', '2',
    '--contimeout', '15s', '--timeout', '60s', '--quiet'];
  try {
    await run(binary, ['copyto', ...common, '--', localPath, target], opts.timeoutMs ?? 600_000);
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    if (code === 'ENOENT') throw new StrongboxError('ERR_BACKUP_DESTINATION', 'rclone is not installed (Debian package rclone); the offsite copy was not made.', undefined, { cause });
    throw new StrongboxError('ERR_BACKUP_DESTINATION', `The offsite copy to ${destination.split(':')[1]}: failed (remote unreachable or refused); the local archive is kept.`, undefined, { cause });
  }
  return target;
}
