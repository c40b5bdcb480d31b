import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { openDatabase } from '../../src/db/open-database.ts';
import { runSystemMigrations } from '../../src/db/migrate/system-migrations.ts';
import type { Database } from '../../src/db/database.ts';
import { postgresStatus, testCluster } from '../helpers/dialects.ts';
import { describeWithTool } from '../helpers/require-tool.ts';

const script = fileURLToPath(new URL('./job-instance.ts', import.meta.url));

interface Run { run: string; instance: string; start: number; end: number | null }

async function runs(db: Database): Promise<Run[]> {
  const { rows } = await sql<{ run: string; instance: string; phase: string; at: Date }>`select run, instance, phase, at from job_runs order by at`.execute(db.kysely);
  const byRun = new Map<string, Run>();
  for (const r of rows) {
    const at = new Date(r.at).getTime();
    const run = byRun.get(r.run) ?? { run: r.run, instance: r.instance, start: at, end: null };
    if (r.phase === 'start') run.start = at;
    else run.end = at;
    byRun.set(r.run, run);
  }
  return [...byRun.values()].sort((a, b) => a.start - b.start);
}

function assertNoOverlap(list: Run[], killedAt: number): void {
  for (let i = 1; i < list.length; i++) {
    const prev = list[i - 1]!;
    const end = prev.end ?? killedAt;
    assert.ok(list[i]!.start >= end, `run ${list[i]!.run} started before ${prev.run} ended: two instances ran the job at once`);
  }
}

describeWithTool(postgresStatus(), 'scheduled-job leadership across instances [postgres]', () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });

  test('three instances: the job runs on one at a time, and moves when the leader is killed', async () => {
    const cluster = await testCluster();
    const cfg = { kind: 'postgres' as const, url: await cluster.createDatabase(), password: cluster.password };
    const db = await openDatabase(cfg);
    try {
      await runSystemMigrations(db);
      await sql`create table job_runs (run text, instance text, at timestamptz, phase text)`.execute(db.kysely);
      const start = (name: string): Promise<ChildProcess> => new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, SB_TEST_DB: JSON.stringify(cfg), SB_INSTANCE: name }, stdio: ['ignore', 'pipe', 'inherit'] });
        children.push(child);
        child.stdout!.on('data', (d: Buffer) => { if (String(d).includes('ready')) resolve(child); });
        child.on('exit', (code) => reject(new Error(`instance ${name} exited early (${code})`)));
      });
      const named = new Map<string, ChildProcess>();
      await Promise.all(['a', 'b', 'c'].map(async (n) => named.set(n, await start(n))));
      let seen: Run[] = [];
      for (let i = 0; i < 100 && seen.filter((r) => r.end !== null).length < 4; i++) {
        await sleep(100);
        seen = await runs(db);
      }
      const leaders = new Set(seen.map((r) => r.instance));
      assert.equal(leaders.size, 1, `one leader while all three live, saw ${[...leaders].join(',')}`);
      const leader = [...leaders][0]!;
      assertNoOverlap(seen, Date.now());
      const state = await db.kysely.selectFrom('_sb_jobs').selectAll().where('name', '=', 'tick').executeTakeFirstOrThrow();
      assert.equal(state.instance, leader);

      const { rows: [{ now: killedAtDb }] } = await sql<{ now: Date }>`select clock_timestamp() as now`.execute(db.kysely) as { rows: [{ now: Date }] };
      named.get(leader)!.kill('SIGKILL');
      let after: Run[] = [];
      for (let i = 0; i < 100; i++) {
        await sleep(100);
        after = (await runs(db)).filter((r) => r.instance !== leader && r.end !== null);
        if (after.length >= 2) break;
      }
      assert.ok(after.length >= 2, 'another instance took the job over');
      assert.equal(new Set(after.map((r) => r.instance)).size, 1, 'exactly one new leader');
      const all = await runs(db);
      assertNoOverlap(all, new Date(killedAtDb).getTime());
      assert.ok(after[0]!.start >= new Date(killedAtDb).getTime(), 'the new leader started only after the old one died');
    } finally {
      await db.close();
    }
  });
  test('a backup in progress holds exclusive(\'backup\') against other instances until its process is killed', async () => {
    const cluster = await testCluster();
    const cfg = { kind: 'postgres' as const, url: await cluster.createDatabase(), password: cluster.password };
    const db = await openDatabase(cfg);
    await runSystemMigrations(db);
    await sql`create table job_runs (run text, instance text, at timestamptz, phase text)`.execute(db.kysely);
    const { JobRunner } = await import('../../src/core/jobs/job-runner.ts');
    const here = new JobRunner(db, cfg, { instance: 'here' });
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, SB_TEST_DB: JSON.stringify(cfg), SB_INSTANCE: 'holder', SB_MODE: 'exclusive' }, stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => { if (String(d).includes('holding')) resolve(); });
        child.on('exit', (code) => reject(new Error(`the holder exited early (${code})`)));
      });
      assert.equal(await here.exclusive('backup', async () => undefined), false, 'skipped while another instance holds it');
      child.kill('SIGKILL');
      let ran = false;
      for (let i = 0; i < 100 && !ran; i++) {
        await sleep(100);
        ran = await here.exclusive('backup', async () => undefined);
      }
      assert.ok(ran, 'the lock went with the killed process');
    } finally {
      await here.stop();
      await db.close();
    }
  });
});
