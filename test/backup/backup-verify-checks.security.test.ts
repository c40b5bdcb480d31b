// An archive whose hashes and signature hold but whose data is wrong (signed with the server's own key: a compromised signer, or a bug) must still fail `backup verify`, whose chain and KEK checks now run while the restore goes on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBackup } from '../../src/core/backup/create-backup.ts';
import { verifyBackup, type VerifyResult } from '../../src/core/backup/verify-backup.ts';
import type { Engine } from '../../src/core/engine.ts';
import type { TarEntry } from '../../src/util/tar-stream.ts';
import { openEntries, sealEntries } from './archive-tools.ts';
import { ageKeys, seededEngine, tempDir, testSigner, type AgeKeys } from './backup-fixture.ts';
import { freshFor } from './fresh-database.ts';

let engine: Engine;
let keys: AgeKeys;
let entries: TarEntry[];
const signer = testSigner();
const dir = tempDir();

before(async () => {
  keys = await ageKeys();
  ({ engine } = await seededEngine((await freshFor('sqlite'))!, 30));
  const made = await createBackup({ db: engine.db, database: engine.config.database, recipients: [keys.recipient], dir: join(dir, 'b'), signer });
  entries = await openEntries(made.path, keys.identity);
});
after(async () => { await engine?.close(); });

/** Edits one table's rows, then writes the manifest's hashes for them and signs it with the trusted key. */
async function forged(table: string, edit: (line: string, i: number) => string): Promise<VerifyResult> {
  const prefix = `data/${table}/`;
  const edited = entries.map((e) => (e.name.startsWith(prefix)
    ? { ...e, data: Buffer.from(e.data.toString().split('\n').map((l, i) => (l === '' ? l : edit(l, i))).join('\n')) } : e));
  const parts = edited.filter((e) => e.name.startsWith(prefix));
  const manifest = JSON.parse(edited.find((e) => e.name === 'manifest.json')!.data.toString()) as { tables: { name: string; sha256: string; bytes: number }[] };
  const t = manifest.tables.find((x) => x.name === table)!;
  t.sha256 = createHash('sha256').update(Buffer.concat(parts.map((p) => p.data))).digest('hex');
  t.bytes = parts.reduce((n, p) => n + p.data.length, 0);
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const resigned = edited.map((e) => (e.name === 'manifest.json' ? { ...e, data: manifestBytes }
    : e.name === 'manifest.sig' ? { ...e, data: signer.sign(manifestBytes) } : e));
  const path = join(dir, `forged-${table}.tar.age`);
  writeFileSync(path, await sealEntries(resigned, keys.recipient));
  // one record read back (the first): the edits below are left to the chain and KEK checks
  return verifyBackup({ path, identities: [keys.identity], trustedPublicKeys: [signer.publicKeyPem], config: engine.config, sampleSize: 1 });
}

test('the untouched archive re-signed verifies (the forgeries below can fail)', async () => {
  const r = await forged('patients', (l) => l);
  assert.equal(r.ok, true, r.message);
  assert.match(r.message, /audit chain verified to seq \d+, 30 sensitive values decrypt with the KEK/);
});

test('an audit event edited under a valid signature fails the restored chain', async () => {
  const r = await forged('_sb_audit', (l, i) => (i === 3 ? l.replace('"success"', '"failure"') : l));
  assert.equal(r.ok, false);
  assert.equal(r.code, 'ERR_BACKUP_VERIFY_FAILED');
  assert.match(r.message, /the restored audit chain does not verify/);
});

test('a sensitive value that does not open fails the KEK check, naming the record but not the value', async () => {
  let id = '';
  const r = await forged('patients', (l, i) => {
    if (i !== 7) return l;
    const row = JSON.parse(l) as unknown[];
    id = String(row[0]);
    // a valid ciphertext of another record: bound to its record id, it does not open here
    const other = JSON.parse(entries.find((e) => e.name.startsWith('data/patients/'))!.data.toString().split('\n')[2]!) as unknown[];
    const header = JSON.parse(entries.find((e) => e.name === 'strongbox-backup.json')!.data.toString()) as { tables: { name: string; columns: { name: string }[] }[] };
    const at = header.tables.find((t) => t.name === 'patients')!.columns.findIndex((c) => c.name === 'ssn');
    row[at] = other[at];
    return JSON.stringify(row);
  });
  assert.equal(r.ok, false);
  assert.equal(r.code, 'ERR_BACKUP_VERIFY_FAILED');
  assert.ok(r.message.includes(id) && /does not decrypt/.test(r.message), r.message);
  assert.doesNotMatch(r.message, /123-45/);
});
