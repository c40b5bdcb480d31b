import { randomBytes } from 'node:crypto';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../cli/cli-helpers.ts';
import { ageKeys, type AgeKeys } from './backup-fixture.ts';

const work = tempDir('sb-backup-cli-');
const cwd = work.dir;
// Production commands need a pepper (docs/sign-in.md); the test makes one.
process.env.STRONGBOX_PEPPER ??= `v1:${randomBytes(32).toString('base64')}`;
let keys: AgeKeys;
let archive: string;

const YAML = (recipient: string): string => `database: sqlite:./data/sb.db
backup: { recipients: ["${recipient}"], keep: 5 }
collections:
  patients:
    fields:
      name: { type: text }
      ssn: { type: text, sensitive: true }
`;

const cli = (args: string[]) => runCli(args, { cwd, timeoutMs: 90_000 });

before(async () => {
  keys = await ageKeys();
  writeFileSync(join(cwd, 'strongbox.yaml'), YAML(keys.recipient));
  writeFileSync(join(cwd, 'identity.txt'), `# offline\n${keys.identity}\n`, { mode: 0o600 });
  const admin = await runCli(['admin', 'create', '--email', 'admin@example.com', '--password-stdin'], { cwd, input: 'Quartz-Velvet-Harbor-93' });
  assert.equal(admin.code, 0, admin.stderr);
});
after(() => work.cleanup());

test('backup create prints the archive path as its last line', async () => {
  const r = await cli(['backup', 'create']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  archive = lines[lines.length - 1]!;
  assert.match(archive, /\/data\/backups\/strongbox-\d{8}T\d{6}Z-[0-9a-f]{8}\.tar\.age$/);
  assert.ok(!r.stdout.includes(keys.identity) && !r.stderr.includes('AGE-SECRET-KEY'));
});

test('backup verify gives a one-line verdict and exit 0; list shows the verification', async () => {
  const before = await cli(['backup', 'list']);
  assert.match(before.stdout, /never verified/);
  const r = await cli(['backup', 'verify', archive, '--identity', 'identity.txt']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 1);
  assert.match(r.stdout, /^strongbox: backup verified: strongbox-.*\.tar\.age: .*signature and hashes valid/);
  const listed = await cli(['backup', 'list']);
  assert.match(listed.stdout, /verified \d{4}-\d\d-\d\dT/);
});

test('backup verify with the wrong identity: FAILED verdict and exit 1', async () => {
  const other = await ageKeys();
  writeFileSync(join(cwd, 'other.txt'), `${other.identity}\n`, { mode: 0o600 });
  const r = await cli(['backup', 'verify', archive, '--identity', 'other.txt']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /backup FAILED verification: .*ERR_BACKUP_IDENTITY/);
});

test('backup restore: into an empty database, refused into a full one, --force backs it up first', async () => {
  const to = `sqlite:${join(cwd, 'restored.db')}`;
  const first = await cli(['backup', 'restore', archive, '--identity', 'identity.txt', '--to', to]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /restored \d+ rows/);
  const again = await cli(['backup', 'restore', archive, '--identity', 'identity.txt', '--to', to]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /ERR_BACKUP_TARGET_NOT_EMPTY/);
  const forced = await cli(['backup', 'restore', archive, '--identity', 'identity.txt', '--to', to, '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /backed up the target first: .*\.tar\.age/);
});

test('backup commands without --identity are usage errors', async () => {
  const r = await cli(['backup', 'verify', archive]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /ERR_USAGE/);
});
