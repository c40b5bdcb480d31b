// Two Strongbox processes on one PostgreSQL database share their rate-limit counters (rateLimit.store: auto → database).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithTool } from '../helpers/require-tool.ts';
import { postgresStatus, testCluster } from '../helpers/dialects.ts';
import { api, startServe, tempDir } from '../cli/cli-helpers.ts';

describeWithTool(postgresStatus(), 'rate limits shared by two processes [postgres]', () => {
  test('sign-in attempts from one address are counted across both instances', async () => {
    const cluster = await testCluster();
    const url = await cluster.createDatabase();
    const tmp = tempDir('strongbox-shared-');
    writeFileSync(join(tmp.dir, 'strongbox.yaml'), [
      `database: "${url}"`,
      'auth: { register: true }',
      // an hour's window: on a slow machine the 8 sign-ins must not straddle a window's end
      'rateLimit: { window: 3600s, auth: { ip: 6 } }',
      'collections: {}',
      '',
    ].join('\n'));
    const env = { STRONGBOX_DATABASE_PASSWORD: cluster.password };
    const args = ['--dev', '--unsafe-plain-http', '--port', '0'];
    const a = await startServe(args, { cwd: tmp.dir, env });
    const b = await startServe(args, { cwd: tmp.dir, env });
    try {
      // a new email each time, so sign-in's per-account throttle (docs/sign-in.md) stays out of the count
      let n = 0;
      const login = (server: { url: string }) => api(server.url, 'POST', '/api/auth/login', { email: `nobody${n++}@example.com`, password: 'wrong-password' });
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        statuses.push((await login(a)).status, (await login(b)).status);
      }
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 429, 429], 'six attempts in all, whichever instance took them');
      assert.equal((await api(a.url, 'GET', '/api/health')).status, 200, 'reads have their own budget');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      tmp.cleanup();
    }
  });
});
