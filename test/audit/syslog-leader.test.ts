import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { oneDialect } from '../helpers/dialects.ts';
import { describeWithTool } from '../helpers/require-tool.ts';
import { makeRsyslog, rsyslogStatus } from '../helpers/rsyslog.ts';
import { testConfig } from '../helpers/test-engine.ts';
import { fixedAuditKeys } from '../helpers/fixed-audit-keys.ts';
import { openEngine } from '../../src/core/engine.ts';
import { readAuditHead } from '../../src/db/audit/audit-store.ts';
import { sampleEvent } from './audit-fixture.ts';

const TSX = import.meta.resolve('tsx');
const INSTANCE = fileURLToPath(new URL('./fixtures/syslog-instance.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** [seq, sender pid] of each audit event received, in arrival order (RFC 5424: PROCID, then the SD's seq). */
function arrivals(lines: string[]): Array<[number, number]> {
  return lines.map((l) => /^<\d+>1 \S+ \S+ strongbox (\d+) \S+ \[strongbox@32473 seq="(\d+)"/.exec(l))
    .filter((m) => m !== null).map((m) => [Number(m![2]), Number(m![1])]);
}

function startInstance(config: object, seed: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', TSX, INSTANCE], {
    env: { ...process.env, SB_SYSLOG_CONFIG: JSON.stringify(config), SB_SYSLOG_SEED: seed },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => { out += d; if (out.includes('ready')) resolve(child); });
    child.once('exit', (code) => reject(new Error(`instance exited (${code}) before it was ready`)));
  });
}

describeWithTool(rsyslogStatus(), 'syslog forwarding from two instances on one PostgreSQL database', () => {
  oneDialect('postgres', 'syslog leadership', (t) => {
    test('one instance forwards, each event once; when it is killed another takes over from the stored cursor and nothing is lost', { timeout: 100_000 }, async () => {
      const rs = await makeRsyslog();
      await rs.start();
      const database = await t.freshDatabase();
      const seed = randomBytes(32).toString('hex');
      const base = testConfig(database, { collections: [] });
      const config = {
        ...base,
        audit: {
          ...base.audit,
          syslog: { host: '127.0.0.1', port: rs.port, ca: rs.caFile, cert: null, key: null, serverName: 'localhost', bufferLimit: 100_000, whenFull: 'fail-closed' as const },
        },
      };
      // the test appends through its own engine (no forwarder: background work not started)
      const writer = await openEngine(base, { auditKeys: fixedAuditKeys(seed) });
      const children: ChildProcess[] = [];
      try {
        children.push(await startInstance(config, seed), await startInstance(config, seed));
        const head = async () => (await readAuditHead(writer.db.kysely)).seq;
        for (let i = 1; i <= 40; i++) await writer.audit.append(sampleEvent(i));
        const first = await head();
        await waitFor(() => arrivals(rs.lines()).some(([s]) => s === first), `seq ${first}`);
        await sleep(1500); // a second forwarder, if there were one, has polled by now
        const before = arrivals(rs.lines());
        // exactly once each, in order, all from one instance
        assert.deepEqual(before.map(([s]) => s), Array.from({ length: first }, (_, i) => i + 1));
        const senders = new Set(before.map(([, pid]) => pid));
        assert.equal(senders.size, 1, `senders: ${[...senders].join(', ')}`);
        const leader = children.find((c) => c.pid === before[0][1]);
        const follower = children.find((c) => c !== leader)!;
        assert.ok(leader, 'the leader is one of the two instances');

        // Under a stream of appends, the leader dies without warning.
        let writing = true;
        const stream = (async () => {
          for (let i = 1000; writing; i++) {
            await writer.audit.append(sampleEvent(i));
            await sleep(10);
          }
        })();
        await sleep(700);
        const exited = new Promise((r) => leader.once('exit', r));
        leader.kill('SIGKILL');
        await exited;
        const killedAt = arrivals(rs.lines()).length;
        // where the dead leader said a successor must resend from: its last 5 s of handing over
        const cursor = await writer.db.kysely.selectFrom('_sb_audit_forward').selectAll().executeTakeFirstOrThrow();
        await sleep(1500);
        writing = false;
        await stream;
        const last = await head();
        await waitFor(() => arrivals(rs.lines()).some(([s]) => s === last), `seq ${last} after the takeover`);

        const all = arrivals(rs.lines());
        const seqs = all.map(([s]) => s);
        // nothing lost: every seq arrived, first arrivals in order
        const firstSeen = seqs.filter((s, i) => seqs.indexOf(s) === i);
        assert.deepEqual(firstSeen, Array.from({ length: last }, (_, i) => i + 1));
        // after the kill only the follower sends, and it did
        assert.ok(all.slice(killedAt).length > 0 && all.slice(killedAt).every(([, pid]) => pid === follower.pid), 'only the new leader forwards after the kill');
        // repeats only of what the dead leader handed over after the point it stored, each at most twice
        const leaderMax = Math.max(...all.filter(([, pid]) => pid === leader.pid).map(([s]) => s));
        const counts = new Map<number, number>();
        for (const s of seqs) counts.set(s, (counts.get(s) ?? 0) + 1);
        for (const [s, n] of counts) {
          if (n > 1) assert.ok(s > Number(cursor.resend_from) && s <= leaderMax && n === 2, `seq ${s} arrived ${n} times (resend from ${cursor.resend_from}, leader sent up to ${leaderMax})`);
        }
        const row = await writer.db.kysely.selectFrom('_sb_audit_forward').selectAll().executeTakeFirstOrThrow();
        assert.equal(Number(row.sent_seq), last);
        assert.match(String(row.instance), new RegExp(`:${follower.pid}$`));

        // A leader that had handed nothing over for 5 s is trusted as heard: its successor repeats nothing.
        children.push(await startInstance(config, seed));
        const third = children[2];
        await sleep(6000);
        const quiet = arrivals(rs.lines()).length;
        const gone = new Promise((r) => follower.once('exit', r));
        follower.kill('SIGKILL');
        await gone;
        for (let i = 2000; i < 2020; i++) await writer.audit.append(sampleEvent(i));
        const end = await head();
        await waitFor(() => arrivals(rs.lines()).some(([s]) => s === end), `seq ${end} after the second takeover`);
        const after = arrivals(rs.lines()).slice(quiet);
        assert.deepEqual(after.map(([s]) => s), Array.from({ length: end - last }, (_, i) => last + 1 + i), 'exactly the new events, once each');
        assert.ok(after.every(([, pid]) => pid === third.pid), 'sent by the third instance');
      } finally {
        for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
        await writer.close();
        await rs.stop();
      }
    });
  });
});
