import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './cli-helpers.ts';

const PASSWORD = 'a-long-admin-password';

test('strongbox audit export, tail and checkpoint errors', { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-audit-cli-'));
  assert.equal((await runCli(['init'], { cwd: dir })).code, 0);
  const created = await runCli(['admin', 'create', '--email', 'root@example.com', '--password-stdin'], { cwd: dir, input: PASSWORD });
  assert.equal(created.code, 0, created.stderr);

  const exported = await runCli(['audit', 'export'], { cwd: dir });
  assert.equal(exported.code, 0, exported.stderr);
  const events = exported.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(events.map((e) => [e.seq, e.action]), [[1, 'schema.migrate'], [2, 'account.create']]);
  assert.equal(events[1].details.role, 'admin');
  assert.match(events[1].hash, /^[0-9a-f]{64}$/);
  assert.ok(!exported.stdout.includes(PASSWORD));

  const later = await runCli(['audit', 'export', '--since', '2999-01-01'], { cwd: dir });
  assert.deepEqual([later.code, later.stdout], [0, '']);
  const bad = await runCli(['audit', 'export', '--since', 'yesterday'], { cwd: dir });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^strongbox: ERR_USAGE: --since must be a date/);

  const tail = await runCli(['audit', 'tail', '-n', '5'], { cwd: dir });
  assert.equal(tail.code, 0, tail.stderr);
  assert.equal(tail.stdout.trim().split('\n').length, 2);

  // No checkpoint folder yet (serve creates it): a registered error, exit 1, never success.
  const noDir = await runCli(['audit', 'verify'], { cwd: dir });
  assert.equal(noDir.code, 1);
  assert.match(noDir.stderr, /^strongbox: ERR_AUDIT_CHECKPOINT_DIR: /);

  mkdirSync(join(dir, 'data', 'audit-checkpoints'), { recursive: true });
  const corrupt = join(dir, 'corrupt.note');
  writeFileSync(corrupt, 'strongbox.audit/x\n12\nnot base64\n\n— k AAAA\n');
  const c = await runCli(['audit', 'verify', '--checkpoint', corrupt], { cwd: dir });
  assert.equal(c.code, 1);
  assert.match(c.stderr, /^strongbox: ERR_AUDIT_CHECKPOINT_CORRUPT: /);
  assert.ok(!/\n\s+at /.test(c.stderr), 'no stack trace');

  // With the keyring, a separate process verifies what another wrote; then prune keeps it verifiable.
  const ok = await runCli(['audit', 'verify'], { cwd: dir });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /audit trail intact: 2 events checked up to seq 2/);
  const pruned = await runCli(['audit', 'prune', '--before', '2999-01-01'], { cwd: dir });
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.match(pruned.stdout, /pruned 2 events up to seq 2; signed prune checkpoint .*prune-0000000000000002\.note/);
  const after = await runCli(['audit', 'verify'], { cwd: dir });
  assert.equal(after.code, 0, after.stderr);
  assert.match(after.stdout, /intact: 1 events checked up to seq 3/);
});
