/**
 * One Strongbox instance for test/postgres/job-leader.test.ts: opens the engine on SB_TEST_DB
 * and registers the job `tick`, which records its start and end in job_runs; with
 * SB_MODE=exclusive it also holds `exclusive('backup')` forever. Runs until killed.
 */
import { sql } from 'kysely';
import type { DatabaseConfig } from '../../src/config/config.ts';
import { openEngine } from '../../src/core/engine.ts';
import { testConfig } from '../helpers/test-engine.ts';

const cfg = JSON.parse(process.env.SB_TEST_DB ?? '') as DatabaseConfig;
const instance = process.env.SB_INSTANCE ?? String(process.pid);
const engine = await openEngine(testConfig(cfg));
const { JobRunner } = await import('../../src/core/jobs/job-runner.ts');
const runner = new JobRunner(engine.db, cfg, { pollMs: 100, instance });
if (process.env.SB_MODE === 'exclusive') {
  // holds the backup lock until killed, as a backup in progress would
  void runner.exclusive('backup', () => {
    process.stdout.write('holding\n');
    return new Promise<void>(() => undefined);
  });
}
runner.register({
  name: 'tick',
  everyMs: 1,
  async run() {
    const run = `${instance}-${Date.now()}`;
    await sql`insert into job_runs (run, instance, at, phase) values (${run}, ${instance}, clock_timestamp(), 'start')`.execute(engine.db.kysely);
    await new Promise((r) => setTimeout(r, 120));
    await sql`insert into job_runs (run, instance, at, phase) values (${run}, ${instance}, clock_timestamp(), 'end')`.execute(engine.db.kysely);
  },
});
setInterval(() => undefined, 1000); // the runner's timer is unref'd; this process lives until killed
process.stdout.write('ready\n');
