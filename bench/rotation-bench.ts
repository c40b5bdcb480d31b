/**
 * Online re-encryption throughput: a SQLite Strongbox with RECORDS records of two sensitive
 * fields (four ciphertexts each: values and masks) serves GET-by-id load from wrk while
 * `keys rotate` re-encrypts every ciphertext in the same process (as a serving instance does).
 *
 * Prints fields/s (target ≥ 50,000), the GET/s answered *during* the re-encryption (counted in
 * the server, so a job that starves the event loop shows as 0), the longest time one batch held
 * the loop, and the failures (target 0). Exits 1 when the target is missed, when no request was
 * answered during the job, or when any request failed.
 *
 * Also prints the CPU time per field, of the event-loop thread and of the whole process (Linux:
 * from /proc), which a loaded machine changes far less than the wall-clock rate: the
 * re-encryption thread moves the crypto off the event loop, so compare the two with `thread=off`.
 *
 * `tsx bench/rotation-bench.ts [records=20000] [wrk seconds=10] [thread=on|off]`
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { openEngine } from '../src/core/engine.ts';
import { buildServer } from '../src/http/build-server.ts';
import { sensitiveCollections } from '../src/core/keys/key-admin.ts';
import { ReencryptJob } from '../src/core/keys/reencrypt-job.ts';
import { collection, field, testConfig, bearer } from '../test/helpers/test-engine.ts';
import { requireWrk, runLoad } from './load.ts';

const RECORDS = Number(process.argv[2] ?? 20_000);
const SECONDS = Number(process.argv[3] ?? 10);
const THREAD = (process.argv[4] ?? 'thread=on') !== 'thread=off';
const TARGET = 50_000; // fields/s

/** CPU ms (user + system) of this thread so far; null where /proc is not there. */
function threadCpuMs(): number | null {
  if (!existsSync('/proc/thread-self/stat')) return null;
  const stat = readFileSync('/proc/thread-self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // clock ticks of 10 ms (USER_HZ 100)
}
const processCpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const PEOPLE = collection('people', [
  field('name', 'text'),
  field('ssn', 'text', { sensitive: true, searchable: true, mask: 'last4' }),
  field('email', 'email', { sensitive: true, mask: 'email' }),
], { list: 'owner = @auth.id', view: 'owner = @auth.id', create: '@auth.id != null' });

requireWrk();
const dir = mkdtempSync(join(tmpdir(), 'sb-rotation-bench-'));
const config = { ...testConfig({ kind: 'sqlite', path: join(dir, 'bench.db') }, { collections: [PEOPLE] }), keys: { kek: { kind: 'file' as const, path: join(dir, 'kek.key') }, rotationBatch: 2000 } };
const engine = await openEngine(config);
const app = await buildServer(engine, { logger: false });
await app.listen({ host: '127.0.0.1', port: 0 });
const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
await engine.accounts.register('bench@example.com', 'rotation-load-pw-4821');
const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'bench@example.com', password: 'rotation-load-pw-4821' } });
if (login.statusCode !== 200) throw new Error(`bench login failed: ${login.statusCode} ${login.body}`);
const { token, account } = login.json() as { token: string; account: { id: string; email: string; role: string } };
const me = { id: account.id, role: account.role, email: account.email };
const ids: string[] = [];
for (let i = 0; i < RECORDS; i++) {
  const r = await engine.records.create(me, 'people', { name: `p${i}`, ssn: `${100 + (i % 900)}-${String(i % 100).padStart(2, '0')}-${String(i % 10_000).padStart(4, '0')}`, email: `p${i}@example.com` });
  ids.push(String(r.id));
}
const fields = RECORDS * 4; // ssn, email and their two masks
process.stderr.write(`seeded ${RECORDS} records (${fields} ciphertexts)\n`);
const paths = ids.slice(0, 2000).map((id) => `/api/collections/people/records/${id}`);
const probe = await app.inject({ method: 'GET', url: paths[0], headers: bearer(token) });
if (probe.statusCode !== 200) throw new Error(`the load's request fails before the bench: ${probe.statusCode} ${probe.body}`);

// Every answer the server sends, counted where it is sent: wrk's own count covers its whole run.
let answered = 0;
let failed = 0;
app.server.on('request', (_req, res) => {
  res.on('finish', () => {
    answered++;
    if (res.statusCode >= 400) failed++;
  });
});

const load = runLoad({ url, seconds: SECONDS, connections: 4, headers: bearer(token), paths });
await new Promise((r) => setTimeout(r, 1000)); // the load is running before the rotation starts
const before = { answered, failed };
const started = process.hrtime.bigint();
const cpu0 = { loop: threadCpuMs(), all: processCpuMs() };
const collections = sensitiveCollections(engine);
await engine.keys.rotateDataKeys(collections);
const job = new ReencryptJob(engine.db, engine.keys, engine.config.collections, { batch: engine.config.keys.rotationBatch, graceMs: 0, thread: THREAD });
await job.start(collections);
// The first pass rewrites every ciphertext; the second (graceMs 0 lets it start at once) proves
// that none is left under v1 and retires it. Both are timed: the rate counts the whole job.
let firstPassAt = 0n;
await job.runAll((p) => { if (firstPassAt === 0n && p.done >= p.total) firstPassAt = process.hrtime.bigint(); });
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const loopCpu = cpu0.loop === null ? null : (threadCpuMs() as number) - cpu0.loop;
const allCpu = processCpuMs() - cpu0.all;
const firstPass = Number(firstPassAt - started) / 1e9;
const during = { answered: answered - before.answered, failed: failed - before.failed };
const m = await load;
const rate = fields / seconds;
const sorted = [...job.stats.batchMs].sort((a, b) => a - b);
const pct = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;
const getPerSec = during.answered / seconds;
process.stdout.write(`re-encrypted ${fields} ciphertexts in ${seconds.toFixed(2)} s = ${Math.round(rate).toLocaleString('en-US')} fields/s (target ≥ ${TARGET.toLocaleString('en-US')}; `
  + `the rewriting pass alone ${firstPass.toFixed(2)} s = ${Math.round(fields / firstPass).toLocaleString('en-US')} fields/s); `
  + `${job.stats.batches} batches holding the event loop p50 ${pct(0.5).toFixed(1)} ms, p99 ${pct(0.99).toFixed(1)} ms, max ${job.stats.maxBatchMs.toFixed(1)} ms; `
  + `during it the server answered ${during.answered} GETs (${getPerSec.toFixed(0)}/s, ${during.failed} failed); `
  + `wrk over ${SECONDS} s: ${m.total} requests, ${m.reqPerSec.toFixed(0)}/s, ${m.failures} failed; `
  + `re-encryption thread ${THREAD ? 'on' : 'off'}, CPU per field during the job (request handling included): `
  + `event loop ${loopCpu === null ? 'n/a' : `${((loopCpu * 1000) / fields).toFixed(1)} µs`}, whole process ${((allCpu * 1000) / fields).toFixed(1)} µs\n`);
await app.close();
await engine.close();
rmSync(dir, { recursive: true, force: true });
const ok = rate >= TARGET && during.answered > 0 && during.failed === 0 && m.total > 0 && m.failures === 0;
process.exit(ok ? 0 : 1);
