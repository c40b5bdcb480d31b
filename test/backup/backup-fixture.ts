/** Shared setup for backup tests: age keys, a test signing key, a seeded engine per dialect. */
import { generateKeyPairSync, sign, createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import type { DatabaseConfig } from '../../src/config/config.ts';
import type { Caller } from '../../src/core/caller.ts';
import type { Engine } from '../../src/core/engine.ts';
import type { BackupSigningKey } from '../../src/core/backup/backup-keys.ts';
import { collection, field, openTestEngine } from '../helpers/test-engine.ts';

export const PATIENTS = collection('patients', [
  field('name', 'text', { required: true }),
  field('ssn', 'text', { sensitive: true }),
  field('age', 'number', { integer: true }),
  field('weight', 'number'),
  field('active', 'boolean'),
  field('tags', 'select', { values: ['a', 'b', 'c'], multiple: true }),
  field('extra', 'json'),
  field('birth', 'date'),
], { list: 'true', view: 'true', create: '@auth.id != null', update: 'true', delete: 'true' });

export const COLLECTIONS = [PATIENTS];

export interface AgeKeys { readonly identity: string; readonly recipient: string }

export async function ageKeys(): Promise<AgeKeys> {
  const identity = await generateX25519Identity();
  return { identity, recipient: await identityToRecipient(identity) };
}

/** An Ed25519 key standing in for the keyring's backup-signing key. */
export function testSigner(): BackupSigningKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    keyId: createHash('sha256').update(publicKeyPem).digest('hex').slice(0, 16),
    publicKeyPem,
    sign: (data) => sign(null, data, privateKey),
  };
}

export function tempDir(prefix = 'sb-backup-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function seededEngine(database: DatabaseConfig, n: number): Promise<{ engine: Engine; admin: Caller }> {
  const engine = await openTestEngine(database, { collections: COLLECTIONS });
  const acc = await engine.accounts.createAdmin('admin@example.com', 'Granite-Falcon-Meadow-26');
  const admin: Caller = { id: acc.id, role: 'admin', email: acc.email };
  for (let i = 0; i < n; i++) {
    await engine.records.create(admin, 'patients', {
      name: `patient ${i}`, ssn: `123-45-${String(1000 + i).slice(-4)}`, age: 20 + i, weight: 60.5 + i,
      active: i % 2 === 0, tags: i % 3 === 0 ? ['a', 'c'] : [], extra: { i, nested: { ok: true } }, birth: '1990-01-02',
    });
  }
  return { engine, admin };
}

/** Every patient as the API returns it, by id. */
export async function allPatients(engine: Engine, admin: Caller): Promise<Record<string, unknown>[]> {
  const out = await engine.records.list(admin, 'patients', { perPage: 500, sort: 'name' });
  return out.items as Record<string, unknown>[];
}
