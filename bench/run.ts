/**
 * `npm run bench`: Strongbox (started through its CLI, SQLite file in WAL mode) against a bare
 * Fastify + better-sqlite3 baseline doing the same work, both measured with autocannon over
 * 127.0.0.1. Prints a table and appends it to bench/RESULTS.md. BENCH_SECONDS sets the
 * length of each measurement (default 10). Exits 1 when a target is missed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { measure, probeLatency, rotate, type Measurement } from './measure.ts';
import { call, pool, startProcess, type Child } from './processes.ts';
import { appendResults, commit, formatTable, machine, rowOk, type Extra, type Row } from './report.ts';

const ROOT = resolve(import.meta.dirname, '..');
const TSX = import.meta.resolve('tsx');
const SECONDS = Math.min(120, Math.max(1, Number(process.env.BENCH_SECONDS ?? 10) || 10));
const WARMUP = Math.min(5, Math.ceil(SECONDS / 3)); // s of unmeasured load before each throughput run, on both servers
const OWN = 1000; // records of the measuring user: 50 titles × 20, so a title filter gives 20 rows
const OTHER = 200; // records of another user, which the owner rule must hide
const TITLES = 50;
const PASSWORD = 'bench-password-123';
const LOGIN_TARGET = 30; // logins/s
const HAMMER_MAX_RATIO = 3; // p99 of (a) under login load vs idle

const CONFIG = `database: sqlite:./data/bench.db
auth: { register: true }
collections:
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

const children: Child[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'strongbox-bench-'));
// Everything is bounded: a stuck run is killed with its servers.
const guard = setTimeout(() => {
  process.stderr.write('bench: timed out\n');
  for (const c of children) c.proc.kill('SIGKILL');
  process.exit(1);
}, (SECONDS * 12 + 300) * 1000);

async function main(): Promise<number> {
  writeFileSync(join(tmp, 'strongbox.yaml'), CONFIG);
  const sb = await startProcess(['--import', TSX, join(ROOT, 'src/cli/main.ts'), 'serve', '--dev', '--config', join(tmp, 'strongbox.yaml'), '--port', '0'], tmp);
  children.push(sb);
  const base = await startProcess(['--import', TSX, join(ROOT, 'bench/baseline-server.ts'), join(tmp, 'baseline.db')], tmp);
  children.push(base);
  log(`strongbox ${sb.url}, baseline ${base.url}; ${SECONDS} s per measurement`);

  // Setup: two users; the measuring user's records and another user's.
  const R = '/api/collections/items/records';
  for (const email of ['bench@example.com', 'other@example.com']) await call(sb.url, 'POST', '/api/auth/register', { body: { email, password: PASSWORD }, expect: 201 });
  const token = (await call(sb.url, 'POST', '/api/auth/login', { body: { email: 'bench@example.com', password: PASSWORD } })).token as string;
  const other = (await call(sb.url, 'POST', '/api/auth/login', { body: { email: 'other@example.com', password: PASSWORD } })).token as string;
  const item = (i: number) => ({ title: `t${i % TITLES}`, n: i });
  const sbIds = (await pool(OWN, 16, (i) => call(sb.url, 'POST', R, { body: item(i), token, expect: 201 }))).map((r) => r.id as string);
  const otherIds = (await pool(OTHER, 16, (i) => call(sb.url, 'POST', R, { body: item(i), token: other, expect: 201 }))).map((r) => r.id as string);
  const baseIds = (await pool(OWN + OTHER, 16, (i) => call(base.url, 'POST', R, { body: item(i), expect: 201 }))).slice(0, OWN).map((r) => r.id as string);

  // Sanity: the rule hides the other user's record, and a title filter gives 20 rows on both.
  await call(sb.url, 'GET', `${R}/${otherIds[0]}`, { token, expect: 404 });
  const filter = (t: number) => `${R}?filter=${encodeURIComponent(`title = 't${t}'`)}&perPage=20`;
  const sbList = await call(sb.url, 'GET', filter(7), { token });
  const baseList = await call(base.url, 'GET', `${R}?title=t7&perPage=20`);
  if (sbList.items.length !== 20 || baseList.items.length !== 20) throw new Error('the list scenario does not return 20 rows');

  const auth = { authorization: `Bearer ${token}` };
  const titles = Array.from({ length: TITLES }, (_, t) => t);
  const createBody = JSON.stringify({ title: 'created', n: 1 });
  const both = async (name: string, target: number, sbRun: () => Promise<Measurement>, baseRun: () => Promise<Measurement>): Promise<Row> => {
    log(`${name}…`);
    return { name, target, strongbox: await sbRun(), baseline: await baseRun() };
  };
  const common = { seconds: SECONDS, connections: 10, warmupSeconds: WARMUP };
  const rows: Row[] = [];
  const sbId = rotate(sbIds);
  const baseId = rotate(baseIds);
  const sbTitle = rotate(titles);
  const baseTitle = rotate(titles);
  rows.push(await both('(a) GET by id, owner rule', 0.5,
    () => measure({ ...common, url: sb.url, headers: auth, path: () => `${R}/${sbId()}` }),
    () => measure({ ...common, url: base.url, path: () => `${R}/${baseId()}` })));
  rows.push(await both('(b) list, indexed filter, 20 rows', 0.5,
    () => measure({ ...common, url: sb.url, headers: auth, path: () => filter(sbTitle()) }),
    () => measure({ ...common, url: base.url, path: () => `${R}?title=t${baseTitle()}&perPage=20` })));
  rows.push(await both('(c) create', 0.4,
    () => measure({ ...common, url: sb.url, method: 'POST', headers: auth, body: createBody, path: () => R }),
    () => measure({ ...common, url: base.url, method: 'POST', body: createBody, path: () => R })));

  const loginBody = JSON.stringify({ email: 'bench@example.com', password: PASSWORD });
  const hammer = () => measure({ url: sb.url, seconds: SECONDS, connections: 16, method: 'POST', body: loginBody, path: () => '/api/auth/login' });
  log('(d) login…');
  const login = hammer();
  const loginResult = await login;
  rows.push({ name: '(d) login (16 connections)', strongbox: loginResult });

  // Latency probe: (a) at a fixed 100 req/s on one keep-alive connection, timed with hrtime
  // (autocannon's whole milliseconds are too coarse for a ratio of ~1 ms values), idle and while
  // 16 connections hammer login.
  const probe = () => probeLatency({ url: sb.url, seconds: SECONDS, rate: 100, headers: auth, path: () => `${R}/${sbId()}` });
  log('(a) latency idle…');
  const idle = await probe();
  log('(a) latency under login load…');
  const [loaded, hammered] = await Promise.all([probe(), hammer()]);
  const ratio = loaded.p99 / Math.max(idle.p99, 0.001);

  const extras: Extra[] = [
    { label: `login throughput (target ≥ ${LOGIN_TARGET}/s)`, value: `${loginResult.reqPerSec.toFixed(1)}/s`, ok: loginResult.reqPerSec >= LOGIN_TARGET && loginResult.failures === 0 },
    {
      label: `(a) p99 at 100 req/s, idle vs while 16 connections hammer login (${hammered.reqPerSec.toFixed(1)} logins/s) (target < ${HAMMER_MAX_RATIO}×)`,
      value: `${idle.p99.toFixed(2)} ms → ${loaded.p99.toFixed(2)} ms = ${ratio.toFixed(2)}× (p50 ${idle.p50.toFixed(2)} → ${loaded.p50.toFixed(2)} ms)`,
      ok: ratio < HAMMER_MAX_RATIO && idle.failures + loaded.failures + hammered.failures === 0,
    },
  ];
  const fb = filterBench();
  if (fb) extras.push(fb);

  const table = formatTable(rows, extras);
  process.stdout.write(`\n${table}\n`);
  const title = `${new Date().toISOString()} · commit ${commit()}`;
  appendResults(join(ROOT, 'bench/RESULTS.md'), title, `${machine()}; BENCH_SECONDS=${SECONDS} after ${WARMUP} s of warm-up; 10 connections for (a)–(c).\n\n${table}`);
  log('appended to bench/RESULTS.md');
  const ok = rows.every(rowOk) && extras.every((e) => e.ok !== false);
  return ok ? 0 : 1;
}

/** bench/filter-bench.ts (the filter engineer's) in its own process, if it is there. */
function filterBench(): Extra | null {
  const file = join(ROOT, 'bench/filter-bench.ts');
  if (!existsSync(file)) return null;
  log('filter micro-benchmark…');
  const r = spawnSync(process.execPath, ['--import', TSX, file, '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  const line = r.stdout?.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  if (r.status !== 0 || !line) return { label: 'filter parse+check+compile', value: `failed (exit ${r.status})`, ok: false };
  const j = JSON.parse(line) as { name?: string; perSecond: number; target?: number };
  return {
    label: `${j.name ?? 'filter micro-benchmark'}${j.target ? ` (target ≥ ${j.target.toLocaleString('en-US')}/s)` : ''}`,
    value: `${Math.round(j.perSecond).toLocaleString('en-US')}/s`,
    ok: j.target ? j.perSecond >= j.target : null,
  };
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
  await Promise.all(children.map((c) => c.stop()));
  clearTimeout(guard);
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(code);
