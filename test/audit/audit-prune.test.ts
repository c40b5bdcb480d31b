import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { eachDialect } from '../helpers/dialects.ts';
import { testConfig } from '../helpers/test-engine.ts';
import { openEngine } from '../../src/core/engine.ts';
import { randomBytes } from 'node:crypto';
import { fixedAuditKeys } from '../helpers/fixed-audit-keys.ts';
import { loadCheckpoints } from '../../src/core/audit/audit-checkpoints.ts';
import { pruneAudit } from '../../src/core/audit/audit-prune.ts';
import { AuditService } from '../../src/core/audit/audit-service.ts';
import { sampleEvent } from './audit-fixture.ts';

eachDialect('audit prune', (t) => {
  test('prune removes old events, signs the cut, and the rest still verifies; a forged cut does not', async () => {
    const config = testConfig(await t.freshDatabase(), { collections: [] });
    const keys = fixedAuditKeys(randomBytes(32).toString('hex'));
    const engine = await openEngine(config, { auditKeys: keys });
    mkdirSync(config.audit.checkpoints, { recursive: true });
    try {
      // Two eras of events on a controlled clock: January and March.
      let now = new Date('2026-01-15T00:00:00Z');
      const audit = new AuditService({ db: engine.db, keys, now: () => now });
      for (let i = 0; i < 8; i++) await audit.append(sampleEvent(i));
      now = new Date('2026-03-01T00:00:00Z');
      for (let i = 0; i < 5; i++) await audit.append(sampleEvent(i));
      const cps = () => loadCheckpoints(engine.audit, config.audit);
      const res = await pruneAudit(engine.db, audit, config.audit, '2026-02-01T00:00:00.000Z', cps(), () => now);
      assert.deepEqual([res.removed, res.uptoSeq], [8, 8]);
      const left = await engine.db.kysely.selectFrom('_sb_audit').select(['seq', 'action']).orderBy('seq').execute();
      assert.deepEqual(left.map((r) => Number(r.seq)), [9, 10, 11, 12, 13, 14]);
      assert.equal(left.at(-1)!.action, 'audit.prune');
      const ok = await engine.audit.verify({ checkpoints: cps() });
      assert.deepEqual([ok.ok, ok.checked, ok.problem], [true, 6, null]);
      // Without its signed prune checkpoint the cut is not accepted.
      const bare = await engine.audit.verify({ checkpoints: cps().filter((c) => !c.pruned) });
      assert.equal(bare.ok, false);
      assert.equal(bare.firstBadSeq, 9);
      assert.match(String(bare.problem), /prune checkpoint/);
      // Pruning again before the same date removes nothing.
      assert.equal((await pruneAudit(engine.db, audit, config.audit, '2026-02-01T00:00:00.000Z', cps())).removed, 0);
    } finally {
      await engine.close();
    }
  });
});
