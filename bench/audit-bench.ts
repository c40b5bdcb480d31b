/**
 * Audit trail throughput (in process): append (one event per transaction, and group-committed
 * batches) and `verify` (its fast path on worker threads and this one, as `strongbox audit verify` runs it).
 * Usage: tsx bench/audit-bench.ts [events] [sqlite|postgres]   (postgres: a throwaway cluster)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { openEngine } from '../src/core/engine.ts';
import type { DatabaseConfig } from '../src/config/config.ts';
import { testConfig } from '../test/helpers/test-engine.ts';
import { startPgCluster } from '../test/helpers/pg-cluster.ts';

const total = Number(process.argv[2] ?? 200_000);
const dialect = process.argv[3] ?? 'sqlite';
const dir = mkdtempSync(join(tmpdir(), 'sb-audit-bench-'));
const cluster = dialect === 'postgres' ? await startPgCluster({ pgaudit: false }) : null;
const database: DatabaseConfig = cluster === null
  ? { kind: 'sqlite', path: join(dir, 'bench.db') }
  : { kind: 'postgres', url: await cluster.createDatabase(), password: cluster.password };
const engine = await openEngine(testConfig(database));
const ev = (i: number) => ({
  action: 'record.read', outcome: 'success' as const, actor: { accountId: 'acct-0123456789abcdef', role: 'doctor', tokenId: 's-0123456789abcdef' },
  request: { ip: '10.1.2.3', id: `req-${i}` }, target: { collection: 'patients', recordId: 'AbCdEfGhIjKlMnOpQrSt' }, details: { fields: ['ssn'] },
});
try {
  let t = performance.now();
  for (let i = 0; i < 2000; i++) await engine.audit.append(ev(i));
  const single = 2000 / ((performance.now() - t) / 1000);
  t = performance.now();
  const reads = [];
  for (let i = 0; i < 20_000; i++) reads.push(engine.audit.recordRead({ collection: 'patients', actor: 'a', actorRole: 'doctor', reads: [{ recordId: `r${i}`, fields: ['ssn'] }], at: '' }));
  await Promise.all(reads);
  const grouped = 20_000 / ((performance.now() - t) / 1000);
  for (let done = 22_000; done < total; done += 1000) await engine.audit.appendMany(Array.from({ length: 1000 }, (_, i) => ev(done + i)));
  const load = loadavg()[0];
  const runs = [];
  for (let run = 0; run < 3; run++) {
    t = performance.now();
    const cpu = process.cpuUsage();
    const res = await engine.audit.verify();
    const seconds = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu);
    if (!res.ok) throw new Error(`verify failed: ${res.problem}`);
    runs.push({ perSecond: Math.round(res.checked / seconds), perCpuSecond: Math.round(res.checked / ((used.user + used.system) / 1e6)), viaWorkers: res.viaWorkers, checked: res.checked });
  }
  const best = runs.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
  console.log(JSON.stringify({
    dialect,
    appendPerSecondOneTransactionEach: Math.round(single),
    appendPerSecondGroupCommitted: Math.round(grouped),
    verifyEvents: best.checked, verifyPerSecond: best.perSecond, verifyPerSecondRuns: runs.map((r) => r.perSecond),
    verifyPerCpuSecond: best.perCpuSecond, verifyPerCpuSecondRuns: runs.map((r) => r.perCpuSecond), verifyViaFastPath: best.viaWorkers,
    loadAverageBefore: Math.round(load * 10) / 10,
  }));
} finally {
  await engine.close();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}
