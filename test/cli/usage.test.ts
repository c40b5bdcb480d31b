import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, runCli, tempDir } from './cli-helpers.ts';

describe('strongbox CLI: help, usage errors and error lines', () => {
  let tmp: ReturnType<typeof tempDir>;
  before(() => { tmp = tempDir(); });
  after(() => tmp.cleanup());

  for (const args of [['--help'], ['init', '--help'], ['serve', '--help'], ['migrate', '--help'], ['admin', '--help'], ['admin', 'create', '--help']]) {
    test(`${args.join(' ')} prints usage and exits 0`, async () => {
      const r = await runCli(args, { cwd: tmp.dir });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Usage: strongbox/m);
      assert.equal(r.stderr, '');
    });
  }

  test('serve --help lists its options', async () => {
    const r = await runCli(['serve', '--help'], { cwd: tmp.dir });
    for (const opt of ['--dev', '--config', '--host', '--port']) assert.ok(r.stdout.includes(opt), opt);
  });

  const usageErrors: Array<[string, string[], RegExp]> = [
    ['no command', [], /./],
    ['unknown command', ['frobnicate'], /^strongbox: ERR_USAGE: unknown command 'frobnicate'/],
    ['unknown option', ['serve', '--bogus'], /^strongbox: ERR_USAGE: unknown option '--bogus'/],
    ['bad port', ['serve', '--dev', '--port', 'abc'], /^strongbox: ERR_USAGE: .*port number/],
    ['port out of range', ['serve', '--dev', '--port', '70000'], /^strongbox: ERR_USAGE: /],
    ['admin without subcommand', ['admin'], /./],
    ['admin create without --email', ['admin', 'create', '--password-stdin'], /^strongbox: ERR_USAGE: .*--email/],
    ['admin create without --password-stdin', ['admin', 'create', '--email', 'a@example.com'], /^strongbox: ERR_USAGE: .*--password-stdin/],
  ];
  for (const [name, args, line] of usageErrors) {
    test(`usage error (${name}) exits 2`, async () => {
      const r = await runCli(args, { cwd: tmp.dir });
      assert.equal(r.code, 2, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
      assert.match(r.stderr, line);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.doesNotMatch(r.stderr, /ERR_INTERNAL/);
    });
  }

  test('a missing config is one line on stderr, exit 1, no stack', async () => {
    const r = await runCli(['migrate'], { cwd: tmp.dir });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^strongbox: ERR_CONFIG: no config file at strongbox\.yaml; run 'strongbox init' or pass --config$/);
  });

  test('--config names the file that is missing', async () => {
    const r = await runCli(['admin', 'create', '--email', 'a@example.com', '--password-stdin', '--config', 'nope/sb.yaml'], { cwd: tmp.dir, input: 'long-enough-password' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^strongbox: ERR_CONFIG: no config file at nope\/sb\.yaml/);
  });

  test('--debug adds the stack trace', async () => {
    const r = await runCli(['migrate', '--debug'], { cwd: tmp.dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^strongbox: ERR_CONFIG: /);
    assert.match(r.stderr, /\n\s+at .*config-file\.ts/);
  });

  test('the bin launcher runs the CLI through tsx', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/strongbox.mjs'), '--help'], { cwd: tmp.dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Usage: strongbox/m);
    const bad = spawnSync(process.execPath, [join(ROOT, 'bin/strongbox.mjs'), '--nope'], { cwd: tmp.dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(bad.status, 2);
  });
});
