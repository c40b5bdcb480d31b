/**
 * `npm test`: starts one PostgreSQL test cluster for the whole run, then runs node's test
 * runner over every test/**\/*.test.ts (or the files given), and always stops the cluster.
 * Extra arguments pass through: `npm test -- test/db/x.test.ts`, `npm test -- --test-name-pattern=tls`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPgBinDir, pgClusterEnv, PG_ENV, startPgCluster, type StartedPgCluster } from './helpers/pg-cluster.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TEST_DIR = join(ROOT, 'test');
const requireAll = process.env.STRONGBOX_REQUIRE_ALL === '1';

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== 'fixtures') out.push(...testFiles(path));
    else if (entry.isFile() && entry.name.endsWith('.test.ts')) out.push(relative(ROOT, path));
  }
  return out.sort();
}

function loud(lines: string[]): void {
  const bar = '!'.repeat(78);
  process.stderr.write(`\n${bar}\n${lines.map((l) => `!! ${l}`).join('\n')}\n${bar}\n\n`);
}

async function startCluster(env: NodeJS.ProcessEnv): Promise<StartedPgCluster | null> {
  if (process.env[PG_ENV.url]) return null; // the caller already provides one
  const found = findPgBinDir();
  let reason: string;
  if (found.dir !== null) {
    try {
      const cluster = await startPgCluster();
      Object.assign(env, pgClusterEnv(cluster));
      process.stderr.write(`PostgreSQL test cluster up in ${cluster.startupMs} ms (${new URL(cluster.adminUrl).host})\n`);
      return cluster;
    } catch (err) {
      reason = (err as Error).message;
    }
  } else {
    reason = found.reason;
  }
  if (requireAll) {
    loud(['PostgreSQL is REQUIRED (STRONGBOX_REQUIRE_ALL=1) but unavailable:', ...reason.split('\n')]);
    process.exit(1);
  }
  loud(['PostgreSQL unavailable: every [postgres] test will be SKIPPED.', ...reason.split('\n'),
    'Install postgresql-15, or set STRONGBOX_REQUIRE_ALL=1 to make this a failure.']);
  env[PG_ENV.unavailable] = reason.split('\n')[0] ?? 'unavailable';
  return null;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const files = args.filter((a) => !a.startsWith('-'));
  const flags = args.filter((a) => a.startsWith('-'));
  const targets = files.length > 0 ? files : testFiles(TEST_DIR);
  if (targets.length === 0) {
    process.stderr.write('no test files found under test/\n');
    return 1;
  }
  const env: NodeJS.ProcessEnv = { ...process.env };
  // One KEK for the whole run (test/helpers/test-engine.ts), generated fresh, never committed.
  env.STRONGBOX_TEST_KEK ??= `strongbox-kek-v1:${randomBytes(32).toString('base64url')}`;
  const cluster = await startCluster(env);
  // Test processes put their temp files here, so even a run cut short by a signal (when their
  // own exit hooks never run) leaves nothing behind.
  const runTmp = mkdtempSync(join(tmpdir(), 'strongbox-run-'));
  // traversable (not listable), so a test may start its own cluster in it as the postgres user
  chmodSync(runTmp, 0o711);
  env.TMPDIR = runTmp;
  const stopCluster = (): void => {
    try {
      cluster?.stopSync();
    } catch (err) {
      process.stderr.write(`could not stop the PostgreSQL test cluster: ${(err as Error).message}\n`);
    }
    rmSync(runTmp, { recursive: true, force: true });
  };
  process.once('exit', stopCluster);
  const reporter = flags.some((f) => f.startsWith('--test-reporter')) ? [] : ['--test-reporter=spec'];
  // Files that measure a rate under load (the SIGKILL crash tests count kills in a fixed time) run
  // last and one at a time, with the machine to themselves; everything else runs two at a time.
  const solo = targets.filter((f) => SOLO.test(f));
  const shared = targets.filter((f) => !SOLO.test(f));
  let code = 0;
  for (const [files, concurrency] of [[shared, 2], [solo, 1]] as const) {
    if (files.length === 0) continue;
    const phase = await runFiles([...reporter, ...flags], files, concurrency, env);
    if (code === 0) code = phase;
    if (phase === 130 || phase === 143) break; // interrupted: do not start the next phase
  }
  stopCluster();
  return code;
}

/** Test files that run alone, after the others. */
const SOLO = /(^|\/)audit-crash-[a-z]+\.test\.ts$/;

function runFiles(flags: readonly string[], files: readonly string[], concurrency: number, env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(process.execPath, [
    // A hung test fails after 2 minutes instead of holding CI to its limit.
    '--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=120000', ...flags, ...files,
  ], { cwd: ROOT, env, stdio: 'inherit' });
  // Ctrl-C reaches the child through the terminal; a plain SIGTERM does not, so pass both on.
  const forward = (signal: NodeJS.Signals) => (): void => {
    if (child.exitCode === null) child.kill(signal);
  };
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return new Promise((resolve) => {
    const done = (code: number): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code);
    };
    child.on('exit', (code, signal) => done(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1)));
    child.on('error', (err) => {
      process.stderr.write(`could not run the test runner: ${err.message}\n`);
      done(1);
    });
  });
}

process.exitCode = await main();
