import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeWithTool } from '../helpers/require-tool.ts';
import { makeRsyslog, rsyslogStatus } from '../helpers/rsyslog.ts';
import { tempSqlite, testConfig } from '../helpers/test-engine.ts';
import { openEngine } from '../../src/core/engine.ts';
import { randomBytes } from 'node:crypto';
import { fixedAuditKeys } from '../helpers/fixed-audit-keys.ts';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';
import { sampleEvent } from './audit-fixture.ts';

const BOUND = 15;

async function waitFor(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** seqs of the audit events received, in arrival order (RFC 5424 SD carries seq). */
function seqs(lines: string[]): number[] {
  return lines.map((l) => /^<\d+>1 \S+ \S+ strongbox \d+ \S+ \[strongbox@32473 seq="(\d+)"/.exec(l)).filter((m) => m !== null).map((m) => Number(m![1]));
}

describeWithTool(rsyslogStatus(), 'syslog sink (RFC 5424 over TLS to rsyslog)', () => {
  test('events arrive in order; while the receiver is down they wait on disk, fail-closed past the bound; a reconnect delivers the backlog', async () => {
    const rs = await makeRsyslog();
    await rs.start();
    const base = testConfig(tempSqlite(), { collections: [] });
    const config = {
      ...base,
      audit: {
        ...base.audit,
        syslog: {
          host: '127.0.0.1', port: rs.port, ca: rs.caFile, cert: null, key: null, serverName: 'localhost',
          bufferLimit: BOUND, whenFull: 'fail-closed' as const,
        },
      },
    };
    const engine = await openEngine(config, { auditKeys: fixedAuditKeys(randomBytes(32).toString('hex')) });
    const errors: unknown[] = [];
    engine.startBackgroundJobs((e) => errors.push(e));
    try {
      for (let i = 1; i <= 10; i++) await engine.audit.append(sampleEvent(i));
      await waitFor(() => seqs(rs.lines()).includes(10));
      assert.deepEqual(seqs(rs.lines()), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      const first = rs.lines()[0];
      assert.match(first, /^<109>1 \d{4}-\d\d-\d\dT[\d:.]+Z \S+ strongbox \d+ test\.event \[strongbox@32473 seq="1" outcome="success" hash="[0-9a-f]{64}"\] /);

      await rs.stop();
      // Down: events still commit until the backlog reaches the bound, then appends fail.
      let written = 10;
      let refused: unknown = null;
      for (let i = 0; i < BOUND + 5 && refused === null; i++) {
        try {
          await engine.audit.append(sampleEvent(100 + i));
          written++;
        } catch (err) {
          refused = err;
        }
      }
      assert.ok(refused instanceof StrongboxError && refused.code === 'ERR_AUDIT_UNAVAILABLE', String(refused));
      assert.ok(written >= 10 + BOUND - 1 && written <= 10 + BOUND + 1, `written ${written}`);

      await rs.start();
      await waitFor(() => seqs(rs.lines()).includes(written));
      const got = seqs(rs.lines());
      // every seq 1..written arrived, first arrivals in order (a resent batch may repeat some)
      const firstSeen = got.filter((s, i) => got.indexOf(s) === i);
      assert.deepEqual(firstSeen, Array.from({ length: written }, (_, i) => i + 1));
      // drained: appends work again
      let ok = false;
      for (let i = 0; i < 100 && !ok; i++) {
        try {
          await engine.audit.append(sampleEvent(1000));
          ok = true;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      assert.ok(ok, 'appends resume once the backlog drains');
      // signed checkpoints go to the sink too
      await waitFor(() => rs.lines().some((l) => / audit\.checkpoint \[strongbox@32473 size="\d+"\] /.test(l) && l.includes('strongbox.audit/')));
    } finally {
      await engine.close();
      await rs.stop();
    }
  });
});
