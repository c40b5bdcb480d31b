/**
 * `npx tsx bench/backup-bench.ts`: the backup numbers of docs/backups.md on 200,000 records with
 * a sensitive field (BACKUP_RECORDS changes the count): backup create and verify in records/s,
 * restore into SQLite and into PostgreSQL timed, and the bench's read scenario (a) with and
 * without backups running: `strongbox backup create` processes in a loop (alternating slices,
 * ratio of totals), and the server's own scheduled backups (a second server on the same
 * database with `backup.schedule: 1s`, which dev mode allows, against the first one's rate).
 * CPU seconds are printed beside wall times (also per 100,000 records): on a shared machine
 * the wall time says more about the neighbours than about the backup. BACKUP_SKIP_READS=1 stops
 * after the restores (no read scenario).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { loadConfig } from '../src/config/load-config.ts';
import { openEngine, type Engine } from '../src/core/engine.ts';
import { runBackup } from '../src/core/backup/backup-service.ts';
import { restoreBackup } from '../src/core/backup/restore-backup.ts';
import { verifyBackup } from '../src/core/backup/verify-backup.ts';
import { backupSigner } from '../src/core/backup/backup-keys.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { pinning, requireWrk, runLoad, type Measurement } from './load.ts';
import { BENCH_LIMITS_YAML } from './bench-limits.ts';
import { call, startProcess } from './processes.ts';
import { startPgCluster } from '../test/helpers/pg-cluster.ts';

const ROOT = resolve(import.meta.dirname, '..');
const TSX = import.meta.resolve('tsx');
const N = Number(process.env.BACKUP_RECORDS ?? 200_000);
const SECONDS = Math.max(2, Number(process.env.BENCH_SECONDS ?? 10) || 10);
const ROUNDS = Math.max(1, Number(process.env.BACKUP_ROUNDS ?? 5) || 5); // server restarts for the in-server (a)
const OWN = 1000;
const PASSWORD = 'Quartz-Harbor-Lantern-62';
const log = (s: string): void => { process.stderr.write(`backup-bench: ${s}\n`); };

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'strongbox-backup-bench-'));
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  writeFileSync(join(tmp, 'identity.txt'), `${identity}\n`, { mode: 0o600 });
  const yaml = `database: sqlite:./data/bench.db
${BENCH_LIMITS_YAML}backup: { recipients: ["${recipient}"], dir: ./data/backups, keep: 3 }
collections:
  patients:
    fields:
      name: { type: text, max: 200 }
      ssn: { type: text, sensitive: true }
      n: { type: number }
    rules: { list: "owner = @auth.id", view: "owner = @auth.id", create: "@auth.id != null" }
`;
  writeFileSync(join(tmp, 'strongbox.yaml'), yaml);
  writeFileSync(join(tmp, 'scheduled.yaml'), yaml.replace('keep: 3 }', 'keep: 3, schedule: 1s }'));
  const config = loadConfig(join(tmp, 'strongbox.yaml'), { dev: true, env: process.env });
  const engine: Engine = await openEngine(config);
  const user = await engine.accounts.register('bench@example.com', PASSWORD);
  const other = await engine.accounts.register('other@example.com', PASSWORD);
  const t0 = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < N; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, N - i) }, async (_, j) => {
      const k = i + j;
      const who = k < OWN ? user : other;
      const r = await engine.records.create({ id: who.id, role: 'user', email: who.email }, 'patients',
        { name: `patient ${k}`, ssn: `123-45-${String(k % 10000).padStart(4, '0')}`, n: k });
      if (k < OWN) ids.push(r.id as string);
    }));
  }
  log(`seeded ${N} records in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const cpuSeconds = (from: NodeJS.CpuUsage): number => { const u = process.cpuUsage(from); return (u.user + u.system) / 1e6; };
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  const made = await runBackup(engine);
  const createS = (performance.now() - t1) / 1000;
  const createCpu = cpuSeconds(c1);
  const rows = made.manifest.tables.reduce((n, t) => n + t.rows, 0);
  const signer = backupSigner(engine);
  await engine.close();

  const t2 = performance.now();
  const c2 = process.cpuUsage();
  const v = await verifyBackup({ path: made.path, identities: [identity], trustedPublicKeys: [signer.publicKeyPem], config });
  const verifyS = (performance.now() - t2) / 1000;
  const verifyCpu = cpuSeconds(c2);
  if (!v.ok) throw new Error(`verify failed: ${v.code} ${v.message}`);
  log(`create ${createS.toFixed(2)} s (${createCpu.toFixed(2)} CPU s), verify ${verifyS.toFixed(2)} s (${verifyCpu.toFixed(2)} CPU s)`);

  const restoreInto = async (cfg: Parameters<typeof openDatabase>[0]): Promise<number> => {
    const target = await openDatabase(cfg);
    const t = performance.now();
    try {
      await restoreBackup({ source: createReadStream(made.path, { highWaterMark: 1 << 20 }), identities: [identity], trustedPublicKeys: [signer.publicKeyPem], target });
    } finally {
      await target.close();
    }
    return (performance.now() - t) / 1000;
  };
  const sqliteS = await restoreInto({ kind: 'sqlite', path: join(tmp, 'restored.db') });
  log(`restore into SQLite ${sqliteS.toFixed(2)} s`);
  let pgS: number | null = null;
  try {
    const cluster = await startPgCluster();
    try {
      pgS = await restoreInto({ kind: 'postgres', url: await cluster.createDatabase(), password: cluster.password });
    } finally {
      cluster.stopSync();
    }
  } catch (err) {
    log(`PostgreSQL restore skipped: ${(err as Error).message}`);
  }

  const per100k = (cpu: number): string => (cpu * 100_000 / N).toFixed(2);
  const head = [
    `records: ${N} with a sensitive field (${rows} rows in all tables), SQLite source, archive ${(made.bytes / 1e6).toFixed(1)} MB`,
    `backup create: ${createS.toFixed(2)} s = ${Math.round(N / createS)} records/s (target ≥ 50,000); ${createCpu.toFixed(2)} CPU s (all threads), ${per100k(createCpu)} per 100k records`,
    `backup verify: ${verifyS.toFixed(2)} s = ${Math.round(N / verifyS)} records/s (target ≥ 50,000), ${v.sampled} read back; ${verifyCpu.toFixed(2)} CPU s (all threads), ${per100k(verifyCpu)} per 100k records`,
    `restore into SQLite: ${sqliteS.toFixed(2)} s; into PostgreSQL: ${pgS === null ? 'skipped' : `${pgS.toFixed(2)} s`}`,
  ];
  if (process.env.BACKUP_SKIP_READS === '1') {
    process.stdout.write(`${head.join('\n')}\n`);
    return;
  }

  // (a) GET by id with the owner rule, without and with a backup running in a loop
  requireWrk();
  const sb = await startProcess(['--import', TSX, join(ROOT, 'src/cli/main.ts'), 'serve', '--dev', '--unsafe-plain-http', '--config', join(tmp, 'strongbox.yaml'), '--port', '0'], tmp);
  const during: Measurement[] = [];
  const idle: Measurement[] = [];
  let backups = 0;
  try {
    const token = (await call(sb.url, 'POST', '/api/auth/login', { body: { email: 'bench@example.com', password: PASSWORD } })).token as string;
    const load = { url: sb.url, connections: 10, headers: { authorization: `Bearer ${token}` }, paths: ids.map((id) => `/api/collections/patients/records/${id}`) };
    await runLoad({ ...load, seconds: 2 }); // warm-up
    let looping = false;
    const loop = async (): Promise<void> => {
      while (looping) {
        await new Promise<void>((done) => {
          const p = spawn(process.execPath, ['--import', TSX, join(ROOT, 'src/cli/main.ts'), 'backup', 'create', '--config', join(tmp, 'strongbox.yaml')], { cwd: tmp, stdio: 'ignore' });
          p.on('exit', (code) => { if (code === 0) backups++; done(); });
        });
      }
    };
    const slice = Math.max(2, Math.round(SECONDS / 3));
    for (let i = 0; i < ROUNDS; i++) {
      idle.push(await runLoad({ ...load, seconds: slice }));
      looping = true;
      const running = loop();
      await new Promise((r) => setTimeout(r, 1500)); // past the CLI's start-up, into the snapshot
      during.push(await runLoad({ ...load, seconds: slice }));
      looping = false;
      await running;
    }
  } finally {
    await sb.stop();
  }
  // answered requests only: a 429 or a socket error is not a read
  const ok = (m: Measurement): number => m.total - m.failures;
  const total = (ms: Measurement[]): number => ms.reduce((n, m) => n + ok(m), 0);
  const failures = (ms: Measurement[]): number => ms.reduce((n, m) => n + m.failures, 0);
  const ratio = total(during) / Math.max(1, total(idle));
  // each slice against the one just before it, then the median: one noisy slice (another
  // process on the machine) moves it less than it moves the ratio of totals
  const median = (xs: number[]): number => { const s2 = [...xs].sort((a, b) => a - b); return s2.length % 2 ? s2[(s2.length - 1) / 2]! : (s2[s2.length / 2 - 1]! + s2[s2.length / 2]!) / 2; };
  const pairRatios = (a: Measurement[], b: Measurement[]): number[] => a.map((m, i) => ok(m) / Math.max(1, ok(b[i]!)));

  // the server's own scheduled backups (worker thread, below the event loop's priority)
  const serveArgs = (file: string): string[] => ['--import', TSX, join(ROOT, 'src/cli/main.ts'), 'serve', '--dev', '--unsafe-plain-http', '--config', join(tmp, file), '--port', '0'];
  const measureServer = async (file: string, wait: (log: () => string) => Promise<void>): Promise<{ m: Measurement; log: () => string; stop: () => Promise<unknown> }> => {
    const sb2 = await startProcess(serveArgs(file), tmp);
    let log = '';
    sb2.proc.stderr?.on('data', (d: Buffer | string) => { log += String(d); });
    const token = (await call(sb2.url, 'POST', '/api/auth/login', { body: { email: 'bench@example.com', password: PASSWORD } })).token as string;
    const load = { url: sb2.url, connections: 10, headers: { authorization: `Bearer ${token}` }, paths: ids.map((id) => `/api/collections/patients/records/${id}`) };
    await runLoad({ ...load, seconds: 2 }); // warm-up
    await wait(() => log);
    return { m: await runLoad({ ...load, seconds: SECONDS }), log: () => log, stop: () => sb2.stop() };
  };
  // alternating rounds (a server each time), so a change in the machine's other load hits both
  const plainRuns: Measurement[] = [];
  const scheduledRuns: Measurement[] = [];
  let inServerBackups = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const plain = await measureServer('strongbox.yaml', async () => undefined);
    await plain.stop();
    plainRuns.push(plain.m);
    const scheduled = await measureServer('scheduled.yaml', async (log) => {
      // backups follow each other (each is due 1 s after the last): measure once one is under way
      for (let i = 0; i < 600 && !/scheduled backup written/.test(log()); i++) await new Promise((r) => setTimeout(r, 100));
    });
    inServerBackups += (scheduled.log().match(/scheduled backup written/g) ?? []).length;
    await scheduled.stop();
    scheduledRuns.push(scheduled.m);
  }
  const inServer = total(scheduledRuns) / Math.max(1, total(plainRuns));
  const rate = (ms: Measurement[]): number => Math.round(ms.reduce((n, m) => n + m.reqPerSec * ok(m) / Math.max(1, m.total), 0) / ms.length);
  const out = [
    ...head,
    `(a) GET by id during \`backup create\` processes: ${ratio.toFixed(2)} of its rate without, median of ${during.length} slice pairs ${median(pairRatios(during, idle)).toFixed(2)} (target ≥ 0.8; ${backups} backups ran; ${failures([...during, ...idle])} failed requests; ${pinning.server.length ? 'server pinned' : 'no pinning'})`,
    `(a) GET by id during the server's scheduled backups: ${inServer.toFixed(2)} of its rate without, median of ${scheduledRuns.length} rounds ${median(pairRatios(scheduledRuns, plainRuns)).toFixed(2)} (${rate(scheduledRuns)} against ${rate(plainRuns)} req/s; ${inServerBackups} backups written by the servers, measured once the first was written; ${failures([...scheduledRuns, ...plainRuns])} failed requests)`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();
void spawnSync;
process.exit(0);
