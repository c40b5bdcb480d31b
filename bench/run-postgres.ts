/**
 * `npm run bench:postgres`: Strongbox on PostgreSQL (provisioned owner and app roles, TLS
 * verify-full, pgaudit logging the app role's writes) against a bare Fastify + pg baseline
 * doing the same work on the same throwaway cluster, loaded with wrk; then one Strongbox
 * instance against two on the same database, with the CPU each part used per request (the
 * bottleneck model). Appends to bench/RESULTS.md. BENCH_SECONDS as for `npm run bench`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { pinning, pinSelfAsClient, requireWrk, runLoad, type Load, type Measurement } from './load.ts';
import { call, pool, startProcess, unpin, type Child } from './processes.ts';
import { BENCH_LIMITS_YAML } from './bench-limits.ts';
import { appendResults, commit, formatTable, machine, type Extra, type Row } from './report.ts';
import { cpuSeconds, treeCpu } from './cpu-usage.ts';
import { APP_ROLE, startPgCluster, type StartedPgCluster } from '../test/helpers/pg-cluster.ts';
import { buildConfig } from '../src/config/build-config.ts';
import { provisionDatabase } from '../src/core/provision-database.ts';

const ROOT = resolve(import.meta.dirname, '..');
const TSX = import.meta.resolve('tsx');
const SECONDS = Math.min(120, Math.max(1, Number(process.env.BENCH_SECONDS ?? 10) || 10));
const WARMUP = Math.min(5, Math.ceil(SECONDS / 3));
const SLICES = 5;
const OWN = 1000;
const TITLES = 50;
// Passes the password policy (docs/sign-in.md): no email's local part in it, zxcvbn-ts score ≥ 3.
const PASSWORD = 'Quartz-Harbor-Lantern-62';
// For iterating on one scenario: BENCH_ONLY=a,c runs those and skips the scale run and RESULTS.md;
// BENCH_CPU_PROF=DIR writes a V8 CPU profile of the Strongbox server there (never commit one).
const ONLY = new Set((process.env.BENCH_ONLY ?? 'a,b,c,scale').split(',').map((s) => s.trim()));
const PROFILE_DIR = process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : null;

const children: Child[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'strongbox-pgbench-'));
let cluster: StartedPgCluster | null = null;
const guard = setTimeout(() => {
  process.stderr.write('bench: timed out\n');
  for (const c of children) c.proc.kill('SIGKILL');
  (cluster as StartedPgCluster | null)?.stopSync();
  process.exit(1);
}, (SECONDS * 16 + 300) * 1000);

const collections = `collections:
  items:
    fields:
      title: { type: text, index: true, max: 200 }
      n: { type: number }
    rules:
      list: "owner = @auth.id"
      view: "owner = @auth.id"
      create: "@auth.id != null"
      update: "owner = @auth.id"
      delete: "owner = @auth.id"
`;

async function admin(c: StartedPgCluster, text: string): Promise<void> {
  const u = new URL(c.adminUrl);
  const client = new pg.Client({ host: u.hostname, port: Number(u.port), database: 'postgres', user: 'postgres', password: c.password, ssl: { ca: readFileSync(c.caFile, 'utf8'), rejectUnauthorized: true } });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

async function main(): Promise<number> {
  requireWrk();
  // the cluster starts before this process is pinned, so PostgreSQL may use every CPU
  cluster = await startPgCluster();
  pinSelfAsClient();
  const c = cluster;
  const port = Number(new URL(c.adminUrl).port);
  await admin(c, 'CREATE DATABASE sbbench');
  await admin(c, `CREATE DATABASE sbbase OWNER ${APP_ROLE}`);
  const url = (role: string, db: string): string => `postgres://${role}@127.0.0.1:${port}/${db}?sslmode=verify-full&sslrootcert=${encodeURIComponent(c.caFile)}`;
  const secret = (name: string): string => {
    const file = join(tmp, name);
    writeFileSync(file, `${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
    return file;
  };
  const env = { STRONGBOX_DATABASE_PASSWORD_FILE: secret('app.pw'), STRONGBOX_MIGRATE_DATABASE_PASSWORD_FILE: secret('owner.pw') };
  Object.assign(process.env, env, { BENCH_PG: JSON.stringify({ host: '127.0.0.1', port, database: 'sbbase', user: APP_ROLE, password: c.password, ca: readFileSync(c.caFile, 'utf8') }) });
  const yaml = `database: ${url('strongbox_app', 'sbbench')}\nmigrate:\n  database: ${url('strongbox_owner', 'sbbench')}\n${BENCH_LIMITS_YAML}${collections}`;
  writeFileSync(join(tmp, 'strongbox.yaml'), yaml);
  const config = buildConfig({ database: url('strongbox_app', 'sbbench'), migrate: { database: url('strongbox_owner', 'sbbench') } }, { baseDir: tmp, env });
  const provisioned = await provisionDatabase(config, { adminUrl: c.adminUrl, adminPassword: c.password, dryRun: false, connectionLimit: 40 });
  log(`provisioned strongbox_owner and strongbox_app (pgaudit ${provisioned.pgaudit ? 'on' : 'OFF'})`);

  const profile = PROFILE_DIR === null ? [] : ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR];
  const serve = (): Promise<Child> => startProcess([...profile, '--import', TSX, join(ROOT, 'src/cli/main.ts'), 'serve', '--dev', '--unsafe-plain-http', '--config', join(tmp, 'strongbox.yaml'), '--port', '0'], tmp);
  const sb = await serve();
  children.push(sb);
  const base = await startProcess(['--import', TSX, join(ROOT, 'bench/baseline-pg-server.ts')], tmp);
  children.push(base);
  log(`strongbox ${sb.url}, baseline ${base.url}; ${SECONDS} s per server and scenario`);

  const R = '/api/collections/items/records';
  await call(sb.url, 'POST', '/api/auth/register', { body: { email: 'bench@example.com', password: PASSWORD }, expect: 201 });
  const token = (await call(sb.url, 'POST', '/api/auth/login', { body: { email: 'bench@example.com', password: PASSWORD } })).token as string;
  const item = (i: number) => ({ title: `t${i % TITLES}`, n: i });
  const sbIds = (await pool(OWN, 16, (i) => call(sb.url, 'POST', R, { body: item(i), token, expect: 201 }))).map((r) => r.id as string);
  const baseIds = (await pool(OWN, 16, (i) => call(base.url, 'POST', R, { body: item(i), expect: 201 }))).map((r) => r.id as string);
  const filter = (t: number) => `${R}?filter=${encodeURIComponent(`title = 't${t}'`)}&perPage=20`;
  if ((await call(sb.url, 'GET', filter(7), { token })).items.length !== 20) throw new Error('the list scenario does not return 20 rows');

  const postmaster = Number(readFileSync(join(dirname(c.logFile!), 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  cpuPids = { sb: sb.proc.pid!, base: base.proc.pid!, pg: postmaster };
  const auth = { authorization: `Bearer ${token}` };
  const common = { connections: 10 };
  const createBody = JSON.stringify({ title: 'created', n: 1 });
  const rows: Row[] = [];
  if (ONLY.has('a')) rows.push(await compare('(a) GET by id, owner rule [pg]', 0.5,
    { ...common, url: sb.url, headers: auth, paths: sbIds.map((id) => `${R}/${id}`) },
    { ...common, url: base.url, paths: baseIds.map((id) => `${R}/${id}`) }));
  if (ONLY.has('b')) rows.push(await compare('(b) list, indexed filter, 20 rows [pg]', 0.5,
    { ...common, url: sb.url, headers: auth, paths: Array.from({ length: TITLES }, (_, t) => filter(t)) },
    { ...common, url: base.url, paths: Array.from({ length: TITLES }, (_, t) => `${R}?title=t${t}&perPage=20`) }));
  if (ONLY.has('c')) rows.push(await compare('(c) create [pg]', 0.4,
    { ...common, url: sb.url, method: 'POST', headers: auth, body: createBody, paths: [R] },
    { ...common, url: base.url, method: 'POST', body: createBody, paths: [R] }));
  await base.stop();
  if (!ONLY.has('scale')) {
    process.stdout.write(`\n${formatTable(rows, cpuExtras())}\n`);
    return 0;
  }

  // One instance against two on the same database: (a) with 10 connections in total.
  const sb2 = await serve();
  children.push(sb2);
  unpin(sb);
  unpin(sb2);
  const paths = sbIds.map((id) => `${R}/${id}`);
  const one = (): Promise<Measurement[]> => Promise.all([runLoad({ url: sb.url, headers: auth, paths, connections: 10, seconds: slice() })]);
  const two = (): Promise<Measurement[]> => Promise.all([sb, sb2].map((s) => runLoad({ url: s.url, headers: auth, paths, connections: 5, seconds: slice() })));
  log('one instance vs two…');
  await one();
  await two();
  const acc = { one: { req: 0, s: 0, sb: 0, pg: 0 }, two: { req: 0, s: 0, sb: 0, pg: 0 } };
  for (let i = 0; i < SLICES; i++) {
    for (const [key, run] of [['one', one], ['two', two]] as const) {
      const sb0 = cpuSeconds(sb.proc.pid!) + cpuSeconds(sb2.proc.pid!);
      const pg0 = treeCpu(postmaster);
      const ms = await run();
      const a = acc[key];
      a.req += ms.reduce((n, m) => n + m.total, 0);
      a.s += slice();
      a.sb += cpuSeconds(sb.proc.pid!) + cpuSeconds(sb2.proc.pid!) - sb0;
      a.pg += treeCpu(postmaster) - pg0;
      if (ms.some((m) => m.failures > 0)) throw new Error('failed requests in the scale run');
    }
  }
  const rate = (k: 'one' | 'two'): number => acc[k].req / acc[k].s;
  const perReq = (k: 'one' | 'two', part: 'sb' | 'pg'): string => `${((acc[k][part] / acc[k].req) * 1e6).toFixed(0)} µs`;
  const extras = cpuExtras();
  extras.push(
    { label: 'two instances vs one, (a) on one database, 10 connections in total', value: `${Math.round(rate('one'))} → ${Math.round(rate('two'))} req/s = ${(rate('two') / rate('one')).toFixed(2)}×`, ok: null },
    { label: 'CPU per request, one instance: Strongbox / PostgreSQL', value: `${perReq('one', 'sb')} / ${perReq('one', 'pg')}`, ok: null },
    { label: 'CPU per request, two instances: Strongbox / PostgreSQL', value: `${perReq('two', 'sb')} / ${perReq('two', 'pg')}`, ok: null },
  );
  const table = formatTable(rows, extras);
  process.stdout.write(`\n${table}\n`);
  const how = `PostgreSQL mode (bench/run-postgres.ts): one throwaway PostgreSQL 15 cluster, TLS verify-full, Strongbox as the provisioned app role with pgaudit ${provisioned.pgaudit ? 'logging its writes' : 'not loaded'}; baseline Fastify + pg (pool 10, named statements); wrk, ${SLICES} alternating slices of ${slice()} s after ${WARMUP} s of warm-up` +
    (pinning.server.length ? `; servers pinned to CPU ${pinning.server[2]} for (a)–(c), unpinned for the scale run; load on CPU ${pinning.client[2]}; PostgreSQL unpinned` : '');
  appendResults(join(ROOT, 'bench/RESULTS.md'), `${new Date().toISOString()} · commit ${commit()} · PostgreSQL`, `${machine()}; ${how}.\n\n${table}`);
  return rows.every((r) => r.strongbox.failures === 0 && (r.baseline?.failures ?? 0) === 0 && r.baseline && r.strongbox.reqPerSec / r.baseline.reqPerSec >= (r.target ?? 0)) ? 0 : 1;
}

function cpuExtras(): Extra[] {
  const us = (sec: number, req: number): string => `${((sec / Math.max(req, 1)) * 1e6).toFixed(0)}`;
  return cpuRows.map(({ name, t }) => {
    const sbCost = (t.sbNode + t.sbPg) / Math.max(t.sbReq, 1);
    const baseCost = (t.baseNode + t.basePg) / Math.max(t.baseReq, 1);
    return {
      label: `${name.split(' ')[0]} CPU µs per request, Strongbox + PostgreSQL vs baseline + PostgreSQL`,
      value: `${us(t.sbNode, t.sbReq)} + ${us(t.sbPg, t.sbReq)} vs ${us(t.baseNode, t.baseReq)} + ${us(t.basePg, t.baseReq)}: CPU-bound ratio ${(baseCost / sbCost).toFixed(2)}`,
      ok: null,
    };
  });
}

const slice = (): number => Math.max(1, Math.round(SECONDS / SLICES));

/** CPU seconds used per request by each side (server process + PostgreSQL), summed over a comparison's slices. */
interface CpuTally { sbNode: number; sbPg: number; sbReq: number; baseNode: number; basePg: number; baseReq: number }
const cpuRows: { name: string; t: CpuTally }[] = [];
let cpuPids: { sb: number; base: number; pg: number } | null = null;

async function measured(load: Load, node: number, add: (n: number, p: number, req: number) => void): Promise<Measurement> {
  const pids = cpuPids!;
  const n0 = cpuSeconds(node);
  const p0 = treeCpu(pids.pg);
  const m = await runLoad(load);
  add(cpuSeconds(node) - n0, treeCpu(pids.pg) - p0, m.total);
  return m;
}

async function compare(name: string, target: number, sb: Omit<Load, 'seconds'>, base: Omit<Load, 'seconds'>): Promise<Row> {
  log(`${name}…`);
  await runLoad({ ...sb, seconds: WARMUP });
  await runLoad({ ...base, seconds: WARMUP });
  const s: Measurement[] = [];
  const b: Measurement[] = [];
  const t: CpuTally = { sbNode: 0, sbPg: 0, sbReq: 0, baseNode: 0, basePg: 0, baseReq: 0 };
  for (let i = 0; i < SLICES; i++) {
    s.push(await measured({ ...sb, seconds: slice() }, cpuPids!.sb, (n, p, r) => { t.sbNode += n; t.sbPg += p; t.sbReq += r; }));
    b.push(await measured({ ...base, seconds: slice() }, cpuPids!.base, (n, p, r) => { t.baseNode += n; t.basePg += p; t.baseReq += r; }));
  }
  cpuRows.push({ name, t });
  const combine = (ms: Measurement[]): Measurement => {
    const total = ms.reduce((n, m) => n + m.total, 0);
    const median = (xs: number[]): number => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    return { reqPerSec: total / ms.reduce((n, m) => n + m.total / m.reqPerSec, 0), p50: median(ms.map((m) => m.p50)), p99: median(ms.map((m) => m.p99)), total, failures: ms.reduce((n, m) => n + m.failures, 0) };
  };
  return { name, target, strongbox: combine(s), baseline: combine(b), sliceRatios: s.map((m, i) => m.reqPerSec / b[i]!.reqPerSec) };
}

function log(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

let code = 1;
try {
  code = await main();
} catch (err) {
  process.stderr.write(`bench: failed: ${err instanceof Error ? err.stack : String(err)}\n`);
} finally {
  await Promise.all(children.map((ch) => ch.stop()));
  (cluster as StartedPgCluster | null)?.stopSync();
  clearTimeout(guard);
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(code);
