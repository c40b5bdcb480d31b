import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { bearer, collection, field, NOTES, openTestApi } from '../helpers/test-engine.ts';

const PATIENTS = collection('patients', [field('name', 'text'), field('ssn', 'text', { sensitive: true })], {
  list: '@auth.id != null', view: '@auth.id != null', create: '@auth.id != null', update: '@auth.id != null',
  delete: "@auth.role = 'admin'",
});
const SSN = '123-45-6789';
const PASSWORD = 'correct-password';

eachDialect('audit events over HTTP', (t) => {
  test('sign-in, records, sensitive reads, denials and logout are audited; no secret is stored', async () => {
    const logs: string[] = [];
    const api = await openTestApi(await t.freshDatabase(), {
      collections: [NOTES, PATIENTS], logger: { level: 'trace', stream: { write: (line: string) => logs.push(line) } },
    });
    try {
      const { token, account } = await api.signIn('alice@example.com', PASSWORD);
      const bad = await api.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'alice@example.com', password: 'wrong-password-x' } });
      assert.equal(bad.statusCode, 401);
      const created = await api.inject({ method: 'POST', url: '/api/collections/patients/records', headers: bearer(token), payload: { name: 'Bob', ssn: SSN } });
      assert.equal(created.statusCode, 201);
      const id = created.json().id;
      const read = await api.inject({ method: 'GET', url: `/api/collections/patients/records/${id}`, headers: bearer(token) });
      assert.equal(read.json().ssn, SSN);
      await api.inject({ method: 'PATCH', url: `/api/collections/patients/records/${id}`, headers: bearer(token), payload: { name: 'Robert' } });
      const del = await api.inject({ method: 'DELETE', url: `/api/collections/patients/records/${id}`, headers: bearer(token) });
      assert.equal(del.statusCode, 404); // delete rule: admins only; the record is hidden, not "denied"
      const denied = await api.inject({ method: 'GET', url: '/api/collections/notes/records', headers: bearer(token) });
      assert.ok([200, 403].includes(denied.statusCode));
      await api.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(token) });

      const rows = await api.engine.db.kysely.selectFrom('_sb_audit').selectAll().orderBy('seq').execute();
      const actions = rows.map((r) => `${r.action}:${r.outcome}`);
      for (const a of ['schema.migrate:success', 'account.create:success', 'auth.login:success', 'auth.login:failure', 'record.create:success',
        'record.read:success', 'record.update:success', 'auth.logout:success']) assert.ok(actions.includes(a), `${a} in ${actions}`);
      const migrated = JSON.parse(String(rows.find((r) => r.action === 'schema.migrate')!.details));
      assert.ok(migrated.steps >= 2 && migrated.changes.some((c: string) => c.includes('patients')), JSON.stringify(migrated));
      const createEv = rows.find((r) => r.action === 'record.create')!;
      assert.deepEqual(JSON.parse(String(createEv.details)).fields.sort(), ['name', 'ssn']);
      assert.equal(createEv.actor_id, account.id);
      assert.equal(createEv.ip, '127.0.0.1');
      assert.ok(String(createEv.request_id).length > 0);
      assert.match(String(createEv.token_id), /^s-[0-9a-f]{16}$/);
      const readEv = rows.find((r) => r.action === 'record.read')!;
      assert.equal(readEv.target_record, id);
      assert.deepEqual(JSON.parse(String(readEv.details)).fields, ['ssn']);
      const dump = JSON.stringify(rows);
      const log = logs.join('');
      assert.ok(log.includes('"reqId"') || log.length > 0, 'the application log was captured');
      for (const secret of [SSN, PASSWORD, 'wrong-password-x', token]) {
        assert.ok(!dump.includes(secret), `audit holds ${secret}`);
        assert.ok(!log.includes(secret), `application log holds ${secret}`);
      }
      // no key material either: no PEM private key, no 32-byte hex or base64 secret next to a key name
      assert.ok(!/PRIVATE KEY|"(kek|secret|key)":"[A-Za-z0-9+/=_-]{32,}"/.test(dump + log));
      assert.ok((await api.engine.audit.verify()).ok);
    } finally {
      await api.close();
    }
  });

  test('a 403 writes an access.denied event', async () => {
    const LOCKED = collection('locked', [field('x', 'text')], { create: null, list: null });
    const api = await openTestApi(await t.freshDatabase(), { collections: [LOCKED] });
    try {
      const { token } = await api.signIn('eve@example.com');
      const res = await api.inject({ method: 'POST', url: '/api/collections/locked/records', headers: bearer(token), payload: { x: 'a' } });
      assert.equal(res.statusCode, 403);
      const rows = await api.engine.db.kysely.selectFrom('_sb_audit').selectAll().where('action', '=', 'access.denied').execute();
      assert.equal(rows.length, 1);
      assert.equal(rows[0].outcome, 'denied');
      assert.equal(rows[0].target_collection, 'locked');
    } finally {
      await api.close();
    }
  });
});
