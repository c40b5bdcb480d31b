import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eachDialect } from '../helpers/dialects.ts';
import { runCli, tempDir } from './cli-helpers.ts';

function configYaml(database: string, withExtra: boolean): string {
  return [
    `database: '${database}'`,
    'collections:',
    '  items:',
    '    fields:',
    '      title: { type: text, index: true }',
    ...(withExtra ? ['      extra: { type: number }'] : []),
    '    rules:',
    '      list: "owner = @auth.id"',
    '',
  ].join('\n');
}

eachDialect('strongbox migrate', (t) => {
  let tmp: ReturnType<typeof tempDir>;
  let database = '';
  let env: NodeJS.ProcessEnv = {};
  const write = (withExtra: boolean): void => writeFileSync(join(tmp.dir, 'strongbox.yaml'), configYaml(database, withExtra));
  const cli = (...args: string[]) => runCli(args, { cwd: tmp.dir, env });

  before(async () => {
    tmp = tempDir();
    const db = await t.freshDatabase();
    if (db.kind === 'sqlite') database = 'sqlite:./data/test.db';
    else {
      database = db.url;
      env = { STRONGBOX_DATABASE_PASSWORD: db.password };
    }
  });
  after(() => tmp.cleanup());

  test('--dry-run on an empty database prints the plan with SQL and creates nothing', async () => {
    write(false);
    const r = await cli('migrate', '--dry-run');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /create table/i);
    assert.match(r.stdout, /items/);
    assert.match(r.stdout, /dry run; nothing was changed/);
    if (t.dialect === 'sqlite') assert.ok(!existsSync(join(tmp.dir, 'data/test.db')), 'no database file created');
    const again = await cli('migrate', '--dry-run');
    assert.equal(again.stdout, r.stdout, 'still pending: nothing was applied');
  });

  test('migrate applies it; then the schema is up to date', async () => {
    const r = await cli('migrate');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /migration applied/);
    const check = await cli('migrate', '--dry-run');
    assert.equal(check.code, 0);
    assert.match(check.stdout, /^strongbox: the schema is up to date\n$/);
  });

  test('an added field: --dry-run shows the ALTER and changes nothing, migrate applies it', async () => {
    write(true);
    const dry = await cli('migrate', '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /alter table/i);
    assert.match(dry.stdout, /extra/);
    assert.match(dry.stdout, /nothing was changed/);
    assert.equal((await cli('migrate', '--dry-run')).stdout, dry.stdout, 'the dry run applied nothing');
    assert.equal((await cli('migrate')).code, 0);
    assert.match((await cli('migrate', '--dry-run')).stdout, /up to date/);
  });

  test('a dropped field is refused without --allow-destructive (exit 1), by serve too, and applied with it', async () => {
    write(false);
    const refused = await cli('migrate');
    assert.equal(refused.code, 1);
    // Node's own process warnings (pg's DEP0123 for an IP host with TLS) are not CLI output.
    const lines = refused.stderr.trimEnd().split('\n').filter((l) => !/^\(node:\d+\)|^\(Use `node --trace/.test(l));
    assert.equal(lines.length, 1, refused.stderr);
    assert.match(lines[0], /^strongbox: ERR_MIGRATION_DESTRUCTIVE: .*extra.*--allow-destructive/);
    assert.match(refused.stdout, /extra/, 'the plan is shown before the refusal');
    assert.doesNotMatch(refused.stdout, /migration applied/);

    const dry = await cli('migrate', '--dry-run');
    assert.match(dry.stdout, /extra/, 'the drop is still pending');
    assert.doesNotMatch(dry.stdout, /up to date/);

    const serve = await cli('serve', '--dev', '--port', '0');
    assert.equal(serve.code, 1);
    assert.match(serve.stderr, /^strongbox: ERR_MIGRATION_DESTRUCTIVE: .*strongbox migrate --allow-destructive[^\n]*$/m);

    const applied = await cli('migrate', '--allow-destructive');
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /migration applied/);
    assert.match((await cli('migrate', '--dry-run')).stdout, /^strongbox: the schema is up to date\n$/);
  });

  test('every applied migration is in the audit trail as schema.migrate', async () => {
    // the audit commands open the whole engine, sign-in included: production needs a pepper
    const withPepper = { ...env, STRONGBOX_PEPPER: `v1:${randomBytes(32).toString('base64')}` };
    const exported = await runCli(['audit', 'export'], { cwd: tmp.dir, env: withPepper });
    assert.equal(exported.code, 0, exported.stderr);
    const events = exported.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { action: string; details?: { steps?: number; destructive?: number } });
    const migrations = events.filter((e) => e.action === 'schema.migrate');
    assert.equal(migrations.length, 3, 'create, add a field, drop it');
    assert.deepEqual(migrations.map((e) => e.details?.destructive), [0, 0, 1]);
  });
});
