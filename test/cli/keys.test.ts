import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from './cli-helpers.ts';

describe('strongbox keys', () => {
  let tmp: ReturnType<typeof tempDir>;
  before(async () => {
    tmp = tempDir();
    const init = await runCli(['init'], { cwd: tmp.dir });
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /with a development KEK \(data\/kek\.key, 0600\)/);
  });
  after(() => tmp.cleanup());

  test('init writes a 0600 dev KEK; status lists every purpose without key material', async () => {
    const kek = join(tmp.dir, 'data', 'kek.key');
    assert.equal(statSync(kek).mode & 0o777, 0o600);
    assert.match(readFileSync(kek, 'utf8'), /^strongbox-dev-kek-v1:[A-Za-z0-9_-]{43}\n$/);
    const r = await runCli(['keys', 'status', '--json'], { cwd: tmp.dir });
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.kek.kind, 'file');
    const purposes = new Set(s.keys.map((k: { purpose: string }) => k.purpose));
    for (const p of ['field-data', 'blind-index', 'audit-hmac', 'audit-signing', 'backup-signing', 'totp', 'device-cookie', 'csrf']) assert.ok(purposes.has(p), p);
    assert.ok(!r.stdout.includes('wrapped') && !r.stdout.includes(readFileSync(kek, 'utf8').trim().split(':')[1]));
  });

  test('rotate adds data-key v2 for patients, re-encrypts and retires v1; status shows it', async () => {
    const r = await runCli(['keys', 'rotate'], { cwd: tmp.dir, timeoutMs: 90_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /patients now writes with data key v2/);
    assert.match(r.stdout, /re-encryption done; older versions retired/);
    const s = await runCli(['keys', 'status'], { cwd: tmp.dir });
    assert.match(s.stdout, /field-data\s+patients\s+v1\s+retired/);
    assert.match(s.stdout, /field-data\s+patients\s+v2\s+active/);
    assert.match(s.stdout, /re-encryption patients → data key v2, index key v1: done/);
  });

  test('rotate --kek replaces the KEK file and re-wraps every key; the old KEK no longer opens them', async () => {
    const kek = join(tmp.dir, 'data', 'kek.key');
    const before = readFileSync(kek, 'utf8');
    const r = await runCli(['keys', 'rotate', '--kek'], { cwd: tmp.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /re-wrapped \d+ key\(s\) under KEK local:[0-9a-f]{16}/);
    const after = readFileSync(kek, 'utf8');
    assert.notEqual(after, before);
    assert.equal(statSync(kek).mode & 0o777, 0o600);
    const ok = await runCli(['keys', 'status'], { cwd: tmp.dir });
    assert.equal(ok.code, 0, ok.stderr);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(kek, before, { mode: 0o600 });
    const bad = await runCli(['keys', 'status'], { cwd: tmp.dir });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^strongbox: ERR_KEK_MISMATCH: the stored keys were wrapped by KEK local:[0-9a-f]{16}, but keys.kek is KEK local:[0-9a-f]{16}; nothing was changed\n$/);
    assert.ok(!bad.stderr.includes(before.trim().split(':')[1]));
    writeFileSync(kek, after, { mode: 0o600 });
  });

  test('rotate --blind-index adds index key v2, re-indexes every row and retires v1', async () => {
    const r = await runCli(['keys', 'rotate', '--blind-index'], { cwd: tmp.dir, timeoutMs: 90_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /patients now writes with blind-index key v2/);
    const s = await runCli(['keys', 'status'], { cwd: tmp.dir });
    assert.match(s.stdout, /blind-index\s+patients\s+v1\s+retired/);
    assert.match(s.stdout, /blind-index\s+patients\s+v2\s+active/);
    assert.doesNotMatch(s.stdout, /field-data\s+patients\s+v3/, 'the data keys are not rotated with it');
    assert.match(s.stdout, /re-encryption patients → data key v2, index key v2: done/);
  });
});
