import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { openCheckpoint, signCheckpoint, type Checkpoint } from './checkpoint.ts';
import type { SigningKey } from './audit-keys.ts';

const NAME = /^(checkpoint|prune)-(\d{16})\.note$/;
export const PUBLIC_KEY_FILE = 'audit-signing-public.pem';

const fileName = (cp: Checkpoint): string =>
  `${cp.pruned ? 'prune' : 'checkpoint'}-${String(cp.size).padStart(16, '0')}.note`;

/** Signs cp and writes it (temp file + rename, so a crash never leaves half a note); returns the path. */
export function writeCheckpoint(dir: string, cp: Checkpoint, signer: SigningKey): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, fileName(cp));
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, signCheckpoint(cp, signer), { mode: 0o644 });
  renameSync(tmp, path);
  return path;
}

/** The public key a verifier needs (no secret), next to the checkpoints. */
export function exportPublicKey(dir: string, signer: Pick<SigningKey, 'publicKeyPem'>): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, PUBLIC_KEY_FILE);
  writeFileSync(path, signer.publicKeyPem, { mode: 0o644 });
  return path;
}

export interface LoadedCheckpoint extends Checkpoint { readonly file: string }

/** Reads one checkpoint file given on the command line. */
export function readCheckpointFile(path: string, key: { keyId: string; publicKeyPem: string }): LoadedCheckpoint {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new StrongboxError('ERR_AUDIT_CHECKPOINT_CORRUPT', `The audit checkpoint ${path} cannot be read.`, undefined, { cause });
  }
  return { ...openCheckpoint(text, key, path), file: path };
}

/** Every checkpoint in the folder, each signature checked, in size order. */
export function readCheckpointFolder(dir: string, key: { keyId: string; publicKeyPem: string }): LoadedCheckpoint[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (cause) {
    throw new StrongboxError('ERR_AUDIT_CHECKPOINT_DIR', `The audit checkpoint folder ${dir} is missing or unreadable.`, undefined, { cause });
  }
  const out: LoadedCheckpoint[] = [];
  for (const name of names) {
    if (!NAME.test(name)) continue;
    out.push(readCheckpointFile(join(dir, name), key));
  }
  return out.sort((a, b) => a.size - b.size || Number(a.pruned !== undefined) - Number(b.pruned !== undefined));
}
