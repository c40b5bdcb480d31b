import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { eachDialect } from '../helpers/dialects.ts';
import { openAuditFixture, sampleEvent } from './audit-fixture.ts';
import { PARALLEL_MIN_EVENTS } from '../../src/core/audit/audit-verify.ts';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';

eachDialect('audit chain', (t) => {
  test('a long chain is verified on worker threads; a worker that cannot read leaves it to the exact check', { timeout: 120_000 }, async () => {
    const fx = await openAuditFixture(t);
    try {
      const { audit } = fx.engine;
      for (let done = 0; done < PARALLEL_MIN_EVENTS; done += 1000) await audit.appendMany(Array.from({ length: 1000 }, (_, i) => sampleEvent(done + i)));
      const total = (await fx.engine.db.kysely.selectFrom('_sb_audit').select('seq').execute()).length;
      const res = await audit.verify();
      assert.deepEqual([res.ok, res.checked, res.viaWorkers, res.problem], [true, total, total, null]);
      const unreadable = await audit.verify({ parallel: { source: { dialect: 'sqlite', path: '/nonexistent/strongbox.db' }, minEvents: 0 } });
      assert.deepEqual([unreadable.ok, unreadable.checked, unreadable.viaWorkers], [true, total, 0]);
    } finally {
      await fx.close();
    }
  });

  test('appends form one linear chain, also under many concurrent writers', async () => {
    const fx = await openAuditFixture(t);
    try {
      const { audit, records } = fx.engine;
      const before = (await fx.engine.db.kysely.selectFrom('_sb_audit').select('seq').execute()).length;
      await audit.append(sampleEvent(0));
      const owner = { id: 'o1', role: 'user', email: null };
      await Promise.all([
        ...Array.from({ length: 40 }, (_, i) => audit.append(sampleEvent(i + 1))),
        ...Array.from({ length: 20 }, (_, i) => records.create(owner, 'notes', { title: `t${i}` })),
        ...Array.from({ length: 60 }, (_, i) => audit.recordRead({ collection: 'notes', reads: [{ recordId: `r${i}`, fields: ['body'] }], actor: 'o1', actorRole: 'user', at: new Date().toISOString() })),
      ]);
      const rows = await fx.engine.db.kysely.selectFrom('_sb_audit').select(['seq', 'action']).orderBy('seq').execute();
      assert.equal(rows.length, before + 121);
      assert.deepEqual(rows.map((r) => Number(r.seq)), Array.from({ length: before + 121 }, (_, i) => i + 1));
      assert.equal(rows.filter((r) => r.action === 'record.create').length, 20);
      const res = await fx.engine.audit.verify();
      assert.deepEqual({ ok: res.ok, checked: res.checked, problem: res.problem }, { ok: true, checked: before + 121, problem: null });
    } finally {
      await fx.close();
    }
  });

  test('a refused batch of read events fails every read of it and stores none; the next batch commits', async () => {
    const fx = await openAuditFixture(t);
    try {
      const { audit } = fx.engine;
      let refuse = true;
      audit.addGate(() => {
        if (refuse) throw new StrongboxError('ERR_AUDIT_UNAVAILABLE');
      });
      const read = (i: number) => audit.recordRead({ collection: 'notes', reads: [{ recordId: `r${i}`, fields: ['body'] }], actor: 'o1', actorRole: 'user', at: new Date().toISOString() });
      const refused = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => read(i)));
      assert.deepEqual(refused.map((r) => r.status), Array(5).fill('rejected'));
      for (const r of refused) assert.equal(((r as PromiseRejectedResult).reason as StrongboxError).code, 'ERR_AUDIT_UNAVAILABLE');
      const reads = () => fx.engine.db.kysely.selectFrom('_sb_audit').select('target_record').where('action', '=', 'record.read').orderBy('seq').execute();
      assert.deepEqual(await reads(), []);
      refuse = false;
      await Promise.all([read(7), read(8), read(9)]);
      assert.deepEqual((await reads()).map((r) => r.target_record), ['r7', 'r8', 'r9']);
      assert.equal((await audit.verify()).ok, true);
    } finally {
      await fx.close();
    }
  });

  test('the table refuses UPDATE and DELETE (a bug cannot edit history)', async () => {
    const fx = await openAuditFixture(t);
    try {
      await fx.engine.audit.append(sampleEvent(1));
      const k = fx.engine.db.kysely;
      await assert.rejects(k.updateTable('_sb_audit').set({ outcome: 'success' }).execute(), /append-only/);
      await assert.rejects(k.deleteFrom('_sb_audit').execute(), /append-only/);
      if (t.dialect === 'postgres') await assert.rejects(sql`truncate _sb_audit`.execute(k), /append-only/);
      assert.equal((await k.selectFrom('_sb_audit').selectAll().where('action', '=', 'test.event').execute()).length, 1);
    } finally {
      await fx.close();
    }
  });

  test('a failing append fails the write it belongs to, and nothing is stored', async () => {
    const fx = await openAuditFixture(t);
    try {
      const bad = { ...sampleEvent(1), action: 'Not Dotted' };
      await assert.rejects(fx.engine.audit.append(bad), TypeError);
      await assert.rejects(fx.engine.audit.append({ ...sampleEvent(1), details: { 'a b': 1 } }), TypeError);
      assert.equal((await fx.engine.db.kysely.selectFrom('_sb_audit').selectAll().where('action', '!=', 'schema.migrate').execute()).length, 0);
    } finally {
      await fx.close();
    }
  });

  test('free text is neutralized: no CR, LF or other control character is stored', async () => {
    const fx = await openAuditFixture(t);
    try {
      await fx.engine.audit.append({
        action: 'auth.login', outcome: 'failure',
        request: { ip: '1.2.3.4\r\nFAKE 200 ok', id: 'r\u0000\u001b[31m' },
        details: { email: 'eve@example.com\nseq=99 action=auth.login outcome=success', agent: '\u202eevil\u2028x\\' },
      });
      const [row] = await fx.engine.db.kysely.selectFrom('_sb_audit').selectAll().where('action', '=', 'auth.login').execute();
      const text = JSON.stringify(row);
      assert.ok(!/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202e]/.test(`${row.ip}${row.request_id}${JSON.parse(String(row.details)).email}${JSON.parse(String(row.details)).agent}`), text);
      assert.equal(row.ip, '1.2.3.4\\u000d\\u000aFAKE 200 ok');
      assert.equal(JSON.parse(String(row.details)).agent, '\\u202eevil\\u2028x\\\\');
    } finally {
      await fx.close();
    }
  });
});

