import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { KekConfig } from '../../config/parse-keys.ts';
import { newKekText, readKekFile } from '../../crypto/kek/local-kek.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import type { KeyService } from './key-service.ts';
import { openKek } from './open-kek.ts';

/** Where a file KEK's replacement is written before it takes the file's place. */
export const nextKekPath = (path: string): string => `${path}.next`;

/**
 * `keys rotate --kek`: every live key is re-wrapped under a new KEK; the keys themselves (and
 * so every ciphertext) stay as they are.
 * - Without `to`, for a `file:` KEK: a fresh KEK is written to `<file>.next` (0600, fsynced),
 *   the keys are re-wrapped in one transaction, then `<file>.next` replaces the file. A crash
 *   between the two leaves `<file>.next`, which the next start finishes (see `recoverNextKek`).
 * - With `to`: re-wraps under that KEK (file, env or pkcs11); the operator then points
 *   `keys.kek` at it.
 */
export async function rotateKek(keys: KeyService, current: KekConfig, to: KekConfig | undefined, opts: { dev: boolean; env?: NodeJS.ProcessEnv }): Promise<{ rewrapped: number; kekId: string; configChange: boolean }> {
  if (to === undefined) {
    if (current.kind !== 'file') {
      throw new StrongboxError('ERR_KEY_ROTATION', `keys.kek is ${current.kind}:; name the new KEK with --to (file:PATH, env:NAME or pkcs11:…)`);
    }
    const next = nextKekPath(current.path);
    if (existsSync(next)) rmSync(next);
    const fd = openSync(next, 'wx', 0o600);
    try {
      writeSync(fd, newKekText());
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const rewrapped = await keys.rotateKek(readKekFile(next));
    renameSync(next, current.path);
    return { rewrapped, kekId: keys.kekId, configChange: false };
  }
  const target = openKek(to, { dev: opts.dev, serving: false, env: opts.env, create: true });
  if (target.id === keys.kekId) {
    await target.close();
    throw new StrongboxError('ERR_KEY_ROTATION', 'the new KEK is the current one');
  }
  const rewrapped = await keys.rotateKek(target);
  return { rewrapped, kekId: keys.kekId, configChange: true };
}
