/**
 * Audit trail throughput on SQLite (in process): append (one event per transaction, and
 * group-committed batches) and `verify`. Usage: tsx bench/audit-bench.ts [events]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEngine } from '../src/core/engine.ts';
import { testConfig } from '../test/helpers/test-engine.ts';

const total = Number(process.argv[2] ?? 200_000);
const dir = mkdtempSync(join(tmpdir(), 'sb-audit-bench-'));
const engine = await openEngine(testConfig({ kind: 'sqlite', path: join(dir, 'bench.db') }));
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
  t = performance.now();
  const res = await engine.audit.verify();
  const verifySeconds = (performance.now() - t) / 1000;
  console.log(JSON.stringify({
    appendPerSecondOneTransactionEach: Math.round(single),
    appendPerSecondGroupCommitted: Math.round(grouped),
    verifyEvents: res.checked, verifyOk: res.ok, verifyPerSecond: Math.round(res.checked / verifySeconds),
  }));
} finally {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
}
