import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from './cli-helpers.ts';

const mode = (path: string): number => statSync(path).mode & 0o777;

describe('strongbox init', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => { tmp = tempDir(); });
  afterEach(() => tmp.cleanup());

  test('writes strongbox.yaml (0600) and an owner-only data folder (0700)', async () => {
    const r = await runCli(['init'], { cwd: tmp.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const yaml = join(tmp.dir, 'strongbox.yaml');
    assert.equal(mode(yaml), 0o600);
    assert.equal(mode(join(tmp.dir, 'data')), 0o700);
    assert.match(readFileSync(yaml, 'utf8'), /collections:/);
    assert.match(r.stdout, /wrote strongbox\.yaml and data\//);
    assert.match(r.stdout, /npx strongbox serve --dev/);
  });

  test('--dir initialises another folder', async () => {
    const r = await runCli(['init', '--dir', 'sub/app'], { cwd: tmp.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(tmp.dir, 'sub/app/strongbox.yaml')));
    assert.equal(mode(join(tmp.dir, 'sub/app/data')), 0o700);
    assert.ok(!existsSync(join(tmp.dir, 'strongbox.yaml')));
  });

  test('refuses to overwrite an existing strongbox.yaml', async () => {
    const yaml = join(tmp.dir, 'strongbox.yaml');
    writeFileSync(yaml, '# mine\n');
    const r = await runCli(['init'], { cwd: tmp.dir });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'strongbox: ERR_CONFIG: strongbox.yaml already exists; refusing to overwrite it\n');
    assert.equal(readFileSync(yaml, 'utf8'), '# mine\n');
    assert.ok(!existsSync(join(tmp.dir, 'data')), 'no data folder on refusal');
  });

  test('the written config is valid: migrate applies it', async () => {
    assert.equal((await runCli(['init'], { cwd: tmp.dir })).code, 0);
    const r = await runCli(['migrate'], { cwd: tmp.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(tmp.dir, 'data/strongbox.db')));
  });
});
