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
async function forged(table: string, edit: (line: string, i: number) => string, from: TarEntry[] = entries): Promise<VerifyResult> {
  const prefix = `data/${table}/`;
  const edited = from.map((e) => (e.name.startsWith(prefix)
    ? { ...e, data: Buffer.from(e.data.toString().split('\n').map((l, i) => (l === '' ? l : edit(l, i))).join('\n')) } : e));
  const parts = edited.filter((e) => e.name.startsWith(prefix));
  const manifest = JSON.parse(edited.find((e) => e.name === 'manifest.json')!.data.toString()) as { tables: { name: string; sha256: string; bytes: number }[] };
  const t = manifest.tables.find((x) => x.name === table)!;
  t.sha256 = createHash('sha256').update(Buffer.concat(parts.map((p) => p.data))).digest('hex');
  t.bytes = parts.reduce((n, p) => n + p.data.length, 0);
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const resigned = edited.map((e) => (e.name === 'manifest.json' ? { ...e, data: manifestBytes }
    : e.name === 'manifest.sig' ? { ...e, data: signer.sign(manifestBytes) } : e));
  const path = join(dir, `forged-${table}-${from === entries ? 'now' : 'earlier'}.tar.age`);
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

interface OrderedTable { name: string; kind: string }
const tableNames = (entry: string): string[] =>
  (JSON.parse(entries.find((e) => e.name === entry)!.data.toString()) as { tables: OrderedTable[] }).tables.map((t) => t.name);

/**
 * The archive in the order archives had before the audit trail went last (system tables by name,
 * then the collections): header, manifest and data parts alike. Readers accept any order, and
 * verify then checks the chain once the system tables are in, as it did.
 */
function inEarlierOrder(): TarEntry[] {
  const rank = (t: OrderedTable): string => `${t.kind === 'system' ? 0 : 1}${t.name}`;
  const sorted = <T extends OrderedTable>(ts: T[]): T[] => [...ts].sort((a, b) => (rank(a) < rank(b) ? -1 : 1));
  const retabled = (e: TarEntry): TarEntry => {
    const o = JSON.parse(e.data.toString()) as { tables: OrderedTable[] };
    return { ...e, data: Buffer.from(JSON.stringify({ ...o, tables: sorted(o.tables) })) };
  };
  const header = retabled(entries.find((e) => e.name === 'strongbox-backup.json')!);
  const order = (JSON.parse(header.data.toString()) as { tables: OrderedTable[] }).tables.map((t) => t.name);
  const parts = entries.filter((e) => e.name.startsWith('data/'));
  const partsInOrder = order.flatMap((name) => parts.filter((e) => e.name.startsWith(`data/${name}/`)));
  const headerSha256 = createHash('sha256').update(header.data).digest('hex');
  const manifest = retabled(entries.find((e) => e.name === 'manifest.json')!);
  const m = JSON.parse(manifest.data.toString()) as Record<string, unknown>;
  return [header, ...partsInOrder, { ...manifest, data: Buffer.from(JSON.stringify({ ...m, headerSha256 })) }, entries.find((e) => e.name === 'manifest.sig')!];
}

test('an archive holds the audit trail\'s tables last, after the collections, in header and manifest alike', () => {
  for (const entry of ['strongbox-backup.json', 'manifest.json']) {
    const names = tableNames(entry);
    const firstAudit = names.indexOf('_sb_audit');
    assert.ok(firstAudit > names.indexOf('patients') && firstAudit > names.indexOf('_sb_keys'), names.join(' '));
    assert.deepEqual(names.slice(firstAudit), ['_sb_audit', '_sb_audit_forward', '_sb_audit_head']);
  }
  const parts = entries.filter((e) => e.name.startsWith('data/')).map((e) => e.name.split('/')[1]!);
  assert.equal(parts.at(-1), '_sb_audit_head');
  assert.ok(parts.lastIndexOf('patients') < parts.indexOf('_sb_audit'));
});

test('an archive in the earlier order (the audit trail first) verifies, and a forged event in it still fails the chain', async () => {
  const earlier = inEarlierOrder();
  const names = (JSON.parse(earlier[0]!.data.toString()) as { tables: OrderedTable[] }).tables.map((t) => t.name);
  assert.ok(names.indexOf('_sb_audit') < names.indexOf('_sb_keys') && names.indexOf('_sb_keys') < names.indexOf('patients'));
  const whole = await forged('patients', (l) => l, earlier);
  assert.equal(whole.ok, true, whole.message);
  assert.match(whole.message, /audit chain verified to seq \d+, 30 sensitive values decrypt with the KEK/);
  const edited = await forged('_sb_audit', (l, i) => (i === 3 ? l.replace('"success"', '"failure"') : l), earlier);
  assert.equal(edited.ok, false);
  assert.match(edited.message, /the restored audit chain does not verify/);
});
