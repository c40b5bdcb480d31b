import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { provisionDatabase } from '../../src/core/provision-database.ts';
import { openEngine, type Engine } from '../../src/core/engine.ts';
import { buildServer } from '../../src/http/build-server.ts';
import { postgresStatus, testCluster } from '../helpers/dialects.ts';
import { describeWithTool, requireTool } from '../helpers/require-tool.ts';
import { PG_ENV, type PgCluster } from '../helpers/pg-cluster.ts';
import { roleFixture, type RoleFixture } from './pg-roles-fixture.ts';
import { useTestPepperEnv } from '../helpers/sign-in.ts';

// Production-mode engines in this process need a pepper (docs/sign-in.md).
useTestPepperEnv();

const pgaudit = postgresStatus().available
  ? requireTool('pgaudit', () => process.env[PG_ENV.noPgaudit] ?? (process.env[PG_ENV.url] && !process.env[PG_ENV.log] ? 'the test cluster has no log file' : null))
  : postgresStatus();

describeWithTool(pgaudit, 'pgaudit records the app role\'s writes [postgres]', () => {
  let cluster: PgCluster;
  let f: RoleFixture;
  let engine: Engine;
  before(async () => {
    cluster = await testCluster();
    f = await roleFixture(cluster);
    await provisionDatabase(f.config(), { adminUrl: cluster.adminUrl, adminPassword: cluster.password, dryRun: false });
    engine = await openEngine(f.config({ dev: true }));
  });
  after(async () => {
    await engine?.close();
    await f?.cleanup();
  });

  test('a record created through the API leaves a pgaudit WRITE line naming the table, without the values', async () => {
    assert.ok(cluster.logFile, 'the cluster has a server log');
    const app = await buildServer(engine, { logger: false });
    const title = `secret-title-${f.db}`;
    try {
      const reg = await app.inject({ method: 'POST', url: '/api/auth/register', payload: { email: 'ann@example.com', password: 'a-long-enough-password' } });
      assert.equal(reg.statusCode, 201, reg.body);
      const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'ann@example.com', password: 'a-long-enough-password' } });
      const token = login.json().token as string;
      const res = await app.inject({ method: 'POST', url: '/api/collections/notes/records', headers: { authorization: `Bearer ${token}` }, payload: { title } });
      assert.equal(res.statusCode, 201, res.body);
    } finally {
      await app.close();
    }
    const prefix = `${f.app}@${f.db} `;
    let mine: string[] = [];
    for (let i = 0; i < 50; i++) {
      mine = readFileSync(cluster.logFile, 'utf8').split('\n').filter((l) => l.includes(prefix));
      if (mine.some((l) => /AUDIT: SESSION,\d+,\d+,WRITE,INSERT,TABLE,public\.notes,/.test(l))) break;
      await sleep(100);
    }
    assert.ok(mine.some((l) => /AUDIT: SESSION,\d+,\d+,WRITE,INSERT,TABLE,public\.notes,/.test(l)),
      `no pgaudit line for the insert into notes:\n${mine.slice(-10).join('\n')}`);
    assert.ok(mine.some((l) => /WRITE,INSERT,TABLE,public\._sb_accounts,/.test(l)), 'the registration is audited too');
    const all = mine.join('\n');
    assert.ok(!all.includes(title), 'bound values (personal data) never reach the log');
    assert.ok(!all.includes('$argon2'), 'nor password hashes');
    assert.ok(!all.includes('a-long-enough-password'));
  });
});
