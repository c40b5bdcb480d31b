import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBackup } from '../../src/core/backup/create-backup.ts';
import type { Engine } from '../../src/core/engine.ts';
import { describeWithTool, requireTool } from '../helpers/require-tool.ts';
import { ageKeys, seededEngine, tempDir, testSigner } from './backup-fixture.ts';
import { freshFor } from './fresh-database.ts';

const tool = (name: string, args: string[], pkg: string) => requireTool(name, () => {
  try {
    execFileSync(name, args, { stdio: 'ignore' });
    return null;
  } catch {
    return `${name} is not installed (Debian package ${pkg})`;
  }
});
const age = tool('age', ['--version'], 'age');
const openssl = tool('openssl', ['version'], 'openssl');
const both = age.available ? openssl : age;

describeWithTool(both, 'a backup opened with standard tools only', () => {
  let engine: Engine;
  const work = tempDir('sb-std-');
  const out = join(work, 'out');
  const signer = testSigner();

  before(async () => {
    const keys = await ageKeys();
    ({ engine } = await seededEngine((await freshFor('sqlite'))!, 10));
    const made = await createBackup({ db: engine.db, database: engine.config.database, recipients: [keys.recipient], dir: join(work, 'b'), signer });
    writeFileSync(join(work, 'identity.txt'), `# test identity\n${keys.identity}\n`, { mode: 0o600 });
    writeFileSync(join(work, 'signing.pem'), signer.publicKeyPem);
    mkdirSync(out);
    // age -d | tar -x: Debian's age CLI and GNU tar, nothing of Strongbox
    const tar = execFileSync('age', ['-d', '-i', join(work, 'identity.txt'), made.path], { maxBuffer: 64 * 1024 * 1024 });
    execFileSync('tar', ['-x', '-C', out], { input: tar });
  });
  after(async () => { await engine?.close(); });

  test('the manifest is plain JSON describing every table', () => {
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    assert.equal(manifest.format, 'strongbox-backup');
    assert.equal(manifest.version, 1);
    assert.equal(manifest.engine, 'sqlite');
    const patients = manifest.tables.find((t: { name: string }) => t.name === 'patients');
    assert.equal(patients.rows, 10);
    assert.ok(!manifest.tables.some((t: { name: string }) => t.name === '_sb_sessions'), 'sessions are not backed up');
  });

  test('the manifest signature checks with openssl and the exported public key', () => {
    const outText = execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(work, 'signing.pem'), '-rawin',
      '-in', join(out, 'manifest.json'), '-sigfile', join(out, 'manifest.sig')]).toString();
    assert.match(outText, /Signature Verified Successfully/);
  });

  test('each table\'s rows hash to the manifest\'s SHA-256 with sha256sum', () => {
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    for (const t of manifest.tables as { name: string; sha256: string; parts: number }[]) {
      const dir = join(out, 'data', t.name);
      const parts = t.parts === 0 ? [] : readdirSync(dir).sort().map((p) => readFileSync(join(dir, p)));
      const sum = execFileSync('sha256sum', { input: Buffer.concat(parts) }).toString().split(' ')[0];
      assert.equal(sum, t.sha256, t.name);
    }
    const first = readFileSync(join(out, 'data', 'patients', '000001.jsonl'), 'utf8').split('\n')[0]!;
    assert.ok(Array.isArray(JSON.parse(first)), 'JSON Lines, one array per row');
  });
});
