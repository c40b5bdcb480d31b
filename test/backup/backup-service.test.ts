import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBackup, listBackups, runVerify } from '../../src/core/backup/backup-service.ts';
import { startBackupScheduler } from '../../src/core/backup/backup-scheduler.ts';
import type { Engine } from '../../src/core/engine.ts';
import type { StrongboxConfig } from '../../src/config/config.ts';
import { openEngine } from '../../src/core/engine.ts';
import { testConfig } from '../helpers/test-engine.ts';
import { COLLECTIONS, ageKeys, tempDir, testSigner, type AgeKeys } from './backup-fixture.ts';
import { freshFor } from './fresh-database.ts';

let engine: Engine;
let keys: AgeKeys;
const signer = testSigner();
const dir = join(tempDir(), 'backups');

/** The engine with a stand-in keyring until src/core/keys is on main (a real one wins). */
function withSigner(e: Engine): Engine {
  if (!('keys' in e)) Object.assign(e, { keys: { signer: () => signer } });
  return e;
}

before(async () => {
  keys = await ageKeys();
  const base = testConfig((await freshFor('sqlite'))!, { collections: COLLECTIONS });
  const config: StrongboxConfig = {
    ...base,
    backup: { ...base.backup, recipients: [keys.recipient], dir, keep: { count: 2, age: null }, schedule: 3600, verify: 3600 },
  };
  engine = withSigner(await openEngine(config));
});
after(async () => { await engine?.close(); });

test('backups are catalogued, pruned to backup.keep, and list shows their last verification', async () => {
  let t = Date.parse('2026-12-01T10:00:00Z');
  const made = [];
  for (let i = 0; i < 3; i++) made.push(await runBackup(engine, { now: () => new Date((t += 60_000)) }));
  assert.deepEqual(made[2]!.pruned, [made[0]!.name]);
  const listed = await listBackups(engine);
  assert.deepEqual(listed.map((b) => b.name), [made[2]!.name, made[1]!.name]);
  assert.ok(listed.every((b) => b.verified === null));
  assert.ok(readdirSync(join(dir, 'signing-keys')).length >= 1, 'the public key is exported');

  const r = await runVerify(engine, { path: made[2]!.path, identities: [keys.identity], publicKeyFile: null });
  assert.equal(r.ok, true, r.message);
  const after = await listBackups(engine);
  assert.equal(after[0]!.verifyOk, true);
  assert.match(after[0]!.verified ?? '', /^\d{4}-\d\d-\d\dT/);
  assert.equal(after[1]!.verified, null);
  const events = await engine.db.kysely.selectFrom('_sb_audit').select(['action', 'outcome', 'details'])
    .where('action', 'like', 'backup.%').orderBy('seq').execute() as { action: string; outcome: string; details: string }[];
  assert.deepEqual(events.map((e) => `${e.action} ${e.outcome}`), ['backup.create success', 'backup.create success', 'backup.create success', 'backup.verify success']);
  assert.ok(events.every((e) => !e.details.includes('AGE-SECRET-KEY')));
});

test('a failed verification is recorded as such', async () => {
  const other = await ageKeys();
  const [newest] = await listBackups(engine);
  const r = await runVerify(engine, { path: join(dir, newest!.name), identities: [other.identity], publicKeyFile: null });
  assert.equal(r.ok, false);
  assert.equal(r.code, 'ERR_BACKUP_IDENTITY');
  assert.equal((await listBackups(engine))[0]!.verifyOk, false);
  const last = await engine.db.kysely.selectFrom('_sb_audit').select(['action', 'outcome', 'details']).orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow() as { action: string; outcome: string; details: string };
  assert.equal(`${last.action} ${last.outcome}`, 'backup.verify failure');
  assert.match(last.details, /ERR_BACKUP_IDENTITY/);
});

test('the scheduler takes backups and runs restore drills on its timers', async () => {
  const idFile = join(tempDir(), 'identity.txt');
  writeFileSync(idFile, `${keys.identity}\n`, { mode: 0o600 });
  const timers: { fn: () => void; ms: number }[] = [];
  const logs: string[] = [];
  const fire = async (ms: number): Promise<void> => {
    for (let i = 0; i < 1000 && !timers.some((x) => x.ms === ms); i++) await new Promise((r) => setTimeout(r, 20));
    const at = timers.findIndex((x) => x.ms === ms);
    assert.ok(at >= 0, `a timer of ${ms} ms is set (have ${timers.map((x) => x.ms).join(', ')})`);
    timers.splice(at, 1)[0]!.fn();
  };
  let clock = Date.now() + 2 * 3600_000; // the last backup is old enough
  const s = startBackupScheduler(engine, {
    log: (l) => logs.push(l), env: { STRONGBOX_BACKUP_IDENTITY_FILE: idFile }, now: () => clock,
    setTimer: (fn, ms) => { const t = { fn, ms }; timers.push(t); return { clear: () => { timers.splice(timers.indexOf(t), 1); } }; },
  });
  await fire(60_000);
  await fire(3600_000); // the drill's timer, or the next backup's: both are an hour
  await fire(3600_000);
  clock += 1;
  await s.stop();
  assert.ok(logs.some((l) => /^strongbox: scheduled backup written: .*\.tar\.age$/.test(l)), logs.join('\n'));
  assert.ok(logs.some((l) => /^strongbox: backup verified: /.test(l)), logs.join('\n'));
});

test('restore drills without an identity refuse to start', () => {
  assert.throws(() => startBackupScheduler(engine, { log: () => undefined, env: {} }), { code: 'ERR_CONFIG' });
});

test('a restore continues the audit chain from the restored head with a backup.restore event', async () => {
  const [newest] = await listBackups(engine);
  const target = (await freshFor('sqlite'))!;
  const { runRestore } = await import('../../src/core/backup/backup-service.ts');
  const m = await runRestore(engine.config, { path: join(dir, newest!.name), identities: [keys.identity], publicKeyFile: null, target, force: false });
  assert.ok(m.audit !== null && m.audit.seq > 0, 'the manifest names the audit head');
  const { openDatabase } = await import('../../src/db/open-database.ts');
  const db = await openDatabase(target);
  try {
    const rows = await db.kysely.selectFrom('_sb_audit').select(['seq', 'action']).orderBy('seq', 'desc').limit(1).execute() as { seq: unknown; action: string }[];
    assert.equal(rows[0]!.action, 'backup.restore');
    assert.equal(Number(rows[0]!.seq), m.audit!.seq + 1);
  } finally {
    await db.close();
  }
});
