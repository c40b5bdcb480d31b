import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { oneDialect } from '../helpers/dialects.ts';
import type { Dialect } from '../../src/db/database.ts';
import { testConfig } from '../helpers/test-engine.ts';
import { fixedAuditKeys } from '../helpers/fixed-audit-keys.ts';
import { openEngine } from '../../src/core/engine.ts';
import { PATIENTS } from './fixtures/crash-collections.ts';

const CYCLES = Number(process.env.SB_CRASH_CYCLES ?? 100);
const PARALLEL = 4; // servers alive at once
// One dialect per file (audit-crash-*.test.ts): the runner gives a test file 120 s in all, and the
// checks after the kills take up to ~15 s on a loaded machine. A cap, not a duration: where 100
// kills fit sooner (a quiet machine) the test ends sooner.
const BUDGET_MS = 80_000;
// Kills CI requires (all of them by default); SB_CRASH_FLOOR lowers it for a machine known to be shared.
const FLOOR = Number(process.env.SB_CRASH_FLOOR ?? CYCLES);
const SSN = '987-65-4321';

// Native addons stay outside the bundle (and pg's optional native binding, which is not installed).
const NATIVE = ['better-sqlite3', '@node-rs/argon2', 'pkcs11js', 'pg-native'];
const LAUNCH = fileURLToPath(new URL('./fixtures/cached-launch.mjs', import.meta.url));

/**
 * The server bundled once, its packages included (native addons excepted), and run through a
 * V8 code cache (fixtures/cached-launch.mjs): a start then neither resolves the hundreds of
 * modules of kysely, fastify and pg nor parses and compiles them. Per start, in CPU: about
 * 0.8 s with packages loaded as modules, 0.45 s bundled, 0.3 s bundled with the code cache.
 * CommonJS, because only a vm.Script takes a code cache on Node 20.
 */
async function bundle(): Promise<string> {
  // inside the repository, so the native packages resolve from its node_modules
  const dir = fileURLToPath(new URL('../../node_modules/.cache/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const out = join(mkdtempSync(join(dir, 'sb-crash-')), 'crash-server.cjs');
  await build({
    entryPoints: [fileURLToPath(new URL('./fixtures/crash-server.ts', import.meta.url))],
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: NATIVE, outfile: out, logLevel: 'silent',
    // modules that find files beside themselves (worker scripts) see the bundle's own URL
    define: { 'import.meta.url': '__sbBundleUrl' },
    banner: { js: "const __sbBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    absWorkingDir: fileURLToPath(new URL('../..', import.meta.url)),
  });
  return out;
}

/** One start that writes the code cache once it has served (its functions compiled), then is stopped. */
async function warmCodeCache(script: string, env: NodeJS.ProcessEnv): Promise<void> {
  const child = spawn(process.execPath, [LAUNCH, script], { env: { ...env, SB_WRITE_CODE_CACHE: '1000' }, stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve) => {
    let err = '';
    child.stderr.on('data', (d) => { err += d; if (err.includes('code cache written')) resolve(); });
    child.once('exit', () => resolve()); // no cache: the lives below compile as usual
  });
  child.kill('SIGKILL');
}

/** The crash test on one dialect; each dialect has its own file so each gets the runner's whole per-file time. */
export function crashSuite(dialect: Dialect): void {
oneDialect(dialect, 'audit under SIGKILL', (t) => {
  test(`${CYCLES} kills at random moments under write and audited-read load: every acknowledged operation has its event, verify passes`, { timeout: BUDGET_MS + 60_000 }, async () => {
    const database = await t.freshDatabase();
    const seed = randomBytes(32).toString('hex');
    const keys = fixedAuditKeys(seed);
    const setup = await openEngine(testConfig(database, { collections: [PATIENTS] }), { auditKeys: keys });
    await setup.accounts.register('crash@example.com', 'correct-password');
    const { token } = await setup.accounts.login('crash@example.com', 'correct-password');
    await setup.close();
    const script = await bundle();
    const env = { ...process.env, SB_CRASH_DB: JSON.stringify(database), SB_CRASH_SEED: seed };
    await warmCodeCache(script, env);
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const ackedCreates: string[] = [];
    const ackedReads = new Map<string, number>();
    const started = Date.now();
    let cycles = 0;
    // One server life: start, serve load, SIGKILL at a random moment.
    const life = async (): Promise<void> => {
      const child = spawn(process.execPath, [LAUNCH, script], { env, cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      const port = await new Promise<number | null>((resolve) => {
        let buf = '';
        child.stdout.on('data', (d) => { buf += d; const m = /ready (\d+)/.exec(buf); if (m) resolve(Number(m[1])); });
        child.once('exit', () => resolve(null));
      });
      if (port === null) throw new Error('a server exited before it was ready');
      const base = `http://127.0.0.1:${port}/api/collections/patients/records`;
      let alive = true;
      let answered: () => void = () => undefined;
      const firstAnswer = new Promise<void>((r) => { answered = r; });
      const worker = async (): Promise<void> => {
        while (alive) {
          try {
            const known = ackedCreates.length > 0 && randomInt(2) === 0 ? ackedCreates[randomInt(ackedCreates.length)] : null;
            if (known === null) {
              const res = await fetch(base, { method: 'POST', headers, body: JSON.stringify({ name: 'p', ssn: SSN }) });
              if (res.status === 201) ackedCreates.push((await res.json()).id);
              answered();
            } else {
              const res = await fetch(`${base}/${known}`, { headers });
              if (res.status === 200 && (await res.json()).ssn === SSN) ackedReads.set(known, (ackedReads.get(known) ?? 0) + 1);
              answered();
            }
          } catch {
            // the server died mid-request: not acknowledged
          }
        }
      };
      const workers = Array.from({ length: 4 }, worker);
      // A random moment once load flows: the first answer (at most 1 s: on a loaded machine a new server's first
      // requests, which open its pool's connections, can outlast the whole window), then 50-450 ms.
      await Promise.race([firstAnswer, new Promise((r) => setTimeout(r, 1000))]);
      await new Promise((r) => setTimeout(r, randomInt(50, 450)));
      child.kill('SIGKILL');
      await exited;
      cycles++;
      alive = false;
      await Promise.all(workers);
    };
    // Several servers live at once on the same database (so restarts overlap), each killed in turn.
    const lane = async (): Promise<void> => {
      while (cycles < CYCLES && Date.now() - started < BUDGET_MS) await life();
    };
    await Promise.all(Array.from({ length: PARALLEL }, lane));
    // What bounds the rate is the CPU of a server start (module loading, compiling, the engine's
    // open), not readiness or the checks: with the bundle and code cache a start costs about 0.3 s
    // of CPU (it was 0.8 s). Measured with the machine at load 8-12 (other sessions' benchmarks on
    // both cores), one file at a time: SQLite 100-103 kills in 50-82 s, PostgreSQL 103 in 64 s
    // (before: 74-92 in 80 s). Both files at once on that machine (as --test-concurrency=2 may run
    // them) at load 12-17: 49-86. Not every busy machine fits 100: SB_CRASH_FLOOR says what CI requires.
    // CI fails short of the full count; elsewhere the shortfall is only loud.
    if (cycles < CYCLES) {
      const why = `only ${cycles} of ${CYCLES} kills within ${BUDGET_MS} ms`;
      if (process.env.CI === 'true' && cycles < FLOOR) assert.fail(why);
      process.stderr.write(`\n!!!!! audit crash test: ${why} (machine overloaded)\n\n`);
    }
    assert.ok(ackedCreates.length > 0 && ackedReads.size > 0, `too little load: ${ackedCreates.length} writes, ${ackedReads.size} reads`);

    const engine = await openEngine(testConfig(database, { collections: [PATIENTS] }), { auditKeys: keys });
    try {
      const rows = await engine.db.kysely.selectFrom('_sb_audit').select(['action', 'target_record']).execute();
      const created = new Set(rows.filter((r) => r.action === 'record.create').map((r) => String(r.target_record)));
      const reads = new Map<string, number>();
      for (const r of rows) if (r.action === 'record.read') reads.set(String(r.target_record), (reads.get(String(r.target_record)) ?? 0) + 1);
      for (const id of ackedCreates) assert.ok(created.has(id), `acknowledged write ${id} has no event`);
      for (const [id, n] of ackedReads) assert.ok((reads.get(id) ?? 0) >= n, `acknowledged reads of ${id}: ${n}, events: ${reads.get(id) ?? 0}`);
      const res = await engine.audit.verify();
      assert.equal(res.ok, true, String(res.problem));
    } finally {
      await engine.close();
    }
  });
});
}
