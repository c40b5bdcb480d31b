// The scheduler inside a real `strongbox serve` process: scheduled backups appear, retention
// prunes them, and each restore drill is an audit event that `backup list` shows.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startServe, tempDir, type ServeHandle } from '../cli/cli-helpers.ts';
import { ageKeys } from './backup-fixture.ts';

const work = tempDir('sb-backup-serve-');
let server: ServeHandle | undefined;
after(async () => {
  await server?.stop().catch(() => undefined);
  work.cleanup();
});

const archives = (): string[] => readdirSync(join(work.dir, 'data/backups')).filter((n) => n.endsWith('.tar.age'));

test('serve takes scheduled backups, prunes them to backup.keep and runs restore drills', { timeout: 180_000 }, async () => {
  const keys = await ageKeys();
  const identityFile = join(work.dir, 'identity.txt');
  writeFileSync(identityFile, `${keys.identity}\n`, { mode: 0o600 });
  // dev mode accepts schedules of seconds (docs/backups.md); production's floor is 5m, so the
  // commands run afterwards (not dev) read the same database and folder without the schedules
  const yaml = (schedules: string): string => `database: sqlite:./data/sb.db
backup: { recipients: ["${keys.recipient}"], keep: 2${schedules} }
collections:
  patients:
    fields:
      name: { type: text }
      ssn: { type: text, sensitive: true }
`;
  writeFileSync(join(work.dir, 'strongbox.yaml'), yaml(', schedule: 2s, verify: 3s'));
  writeFileSync(join(work.dir, 'ops.yaml'), yaml(''));
  const serve = await startServe(['--dev', '--config', 'strongbox.yaml', '--port', '0'], {
    cwd: work.dir, env: { STRONGBOX_BACKUP_IDENTITY_FILE: identityFile },
  });
  server = serve;
  const written = (): string[] => [...serve.output().stderr.matchAll(/strongbox: scheduled backup written: (\S+)/g)].map((m) => m[1]!);
  const verified = (): string[] => [...serve.output().stderr.matchAll(/strongbox: backup verified: (strongbox-\S+\.tar\.age):/g)].map((m) => m[1]!);
  // Bounded wait: three backups (so retention had to prune), and a passed drill of the newest
  // archive (so the one backup that may still finish before the stop cannot prune it).
  const newestDrilled = (): boolean => {
    const v = verified().at(-1);
    return v !== undefined && archives().sort().at(-1) === v;
  };
  const deadline = Date.now() + 150_000;
  while ((written().length < 3 || !newestDrilled()) && Date.now() < deadline) {
    assert.doesNotMatch(serve.output().stderr, /scheduled backup failed|restore drill failed|FAILED verification/, serve.output().stderr);
    await new Promise((r) => setTimeout(r, 200));
  }
  const drilledNewest = newestDrilled();
  const out = serve.output().stderr;
  await serve.stop();
  server = undefined;
  assert.ok(written().length >= 3, `three scheduled backups were written:\n${out}`);
  assert.ok(drilledNewest, `a restore drill passed on the newest archive:\n${out}`);
  assert.doesNotMatch(out, /AGE-SECRET-KEY/);

  // retention: only the two newest archives are left, and they are ones the scheduler wrote
  const left = archives();
  assert.equal(left.length, 2, `keep: 2 leaves two archives (have ${left.join(', ')})`);
  const names = written().map((p) => p.split('/').pop()!);
  assert.deepEqual([...left].sort(), names.slice(-2).sort());

  // the drill is an audit event, and `backup list` shows when the archive was verified
  const env = { STRONGBOX_PEPPER_FILE: join(work.dir, 'data/dev-pepper.key') };
  const exported = await runCli(['audit', 'export', '--config', 'ops.yaml'], { cwd: work.dir, env, timeoutMs: 90_000 });
  assert.equal(exported.code, 0, exported.stderr);
  const events = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as { action: string; outcome: string; details: Record<string, unknown> });
  const creates = events.filter((e) => e.action === 'backup.create' && e.outcome === 'success');
  const drills = events.filter((e) => e.action === 'backup.verify' && e.outcome === 'success');
  assert.ok(creates.length >= 3, `backup.create events: ${creates.length}`);
  assert.ok(drills.length >= 1 && drills.every((e) => typeof e.details.file === 'string'), JSON.stringify(drills));
  assert.equal(events.filter((e) => e.action.startsWith('backup.') && e.outcome !== 'success').length, 0);

  const listed = await runCli(['backup', 'list', '--config', 'ops.yaml'], { cwd: work.dir, env, timeoutMs: 90_000 });
  assert.equal(listed.code, 0, listed.stderr);
  const lines = listed.stdout.trim().split('\n');
  assert.equal(lines.length, 2, listed.stdout);
  const drilled = new Set(drills.map((e) => e.details.file));
  const shown = lines.filter((l) => / verified \d{4}-\d\d-\d\dT/.test(l));
  assert.ok(shown.length >= 1, `backup list shows the drilled archive as verified:\n${listed.stdout}`);
  for (const l of shown) assert.ok(drilled.has(l.split(/\s+/)[0]!), `${l} was verified by a drill`);
  assert.doesNotMatch(listed.stdout, /FAILED/);
});
