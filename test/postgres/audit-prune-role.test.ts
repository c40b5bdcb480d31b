import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { provisionDatabase } from '../../src/core/provision-database.ts';
import { openEngine } from '../../src/core/engine.ts';
import { pruneAudit } from '../../src/core/audit/audit-prune.ts';
import { loadCheckpoints } from '../../src/core/audit/audit-checkpoints.ts';
import { postgresStatus, testCluster } from '../helpers/dialects.ts';
import { describeWithTool } from '../helpers/require-tool.ts';
import { useTestPepperEnv } from '../helpers/sign-in.ts';
import type { PgCluster } from '../helpers/pg-cluster.ts';
import { runCli } from '../cli/cli-helpers.ts';
import { roleFixture, type RoleFixture } from './pg-roles-fixture.ts';

useTestPepperEnv();

describeWithTool(postgresStatus(), 'audit prune and the PostgreSQL roles [postgres]', () => {
  let cluster: PgCluster;
  let f: RoleFixture;
  let checkpoints: string;
  before(async () => {
    cluster = await testCluster();
    f = await roleFixture(cluster);
    await provisionDatabase(f.config(), { adminUrl: cluster.adminUrl, adminPassword: cluster.password, dryRun: false });
    checkpoints = join(f.dir, 'data', 'audit-checkpoints');
    mkdirSync(checkpoints, { recursive: true });
  });
  after(async () => {
    await f?.cleanup();
  });

  const events = async (): Promise<number> => Number((await f.query('admin', 'select count(*) as n from _sb_audit')).rows[0].n);

  test('as the app role: ERR_AUDIT_PRUNE_ROLE naming the role and the fix, before any checkpoint is written', async () => {
    const engine = await openEngine(f.config());
    try {
      await engine.audit.append({ action: 'test.event', outcome: 'success', details: {} });
      const before = await events();
      assert.ok(before > 0);
      await assert.rejects(
        pruneAudit(engine.db, engine.audit, engine.config.audit, '2999-01-01T00:00:00.000Z', loadCheckpoints(engine.audit, engine.config.audit)),
        (err: { code?: string; message: string }) => {
          assert.equal(err.code, 'ERR_AUDIT_PRUNE_ROLE');
          assert.match(err.message, new RegExp(`The role ${f.app} may not delete audit events`));
          assert.match(err.message, /migrate\.database/);
          return true;
        });
      assert.equal(await events(), before, 'nothing deleted');
      assert.deepEqual(readdirSync(checkpoints).filter((n) => n.startsWith('prune-')), [], 'no prune checkpoint for a cut that did not happen');
    } finally {
      await engine.close();
    }
  });

  test('strongbox audit prune connects as the owner (migrate.database) and prunes', { timeout: 120_000 }, async () => {
    writeFileSync(join(f.dir, 'strongbox.yaml'), f.yaml());
    const env = { ...f.env, STRONGBOX_PEPPER: process.env.STRONGBOX_PEPPER! };
    const pruned = await runCli(['audit', 'prune', '--before', '2999-01-01', '--config', join(f.dir, 'strongbox.yaml')], { cwd: f.dir, env });
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.match(pruned.stdout, /pruned \d+ events up to seq \d+; signed prune checkpoint/);
    assert.equal(await events(), 1, 'only the prune\'s own event is left');
    const log = await f.query('admin', "select action from _sb_audit");
    assert.deepEqual(log.rows.map((r) => r.action), ['audit.prune']);
  });
});
