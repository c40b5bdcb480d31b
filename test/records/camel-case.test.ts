import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { collection, field } from '../helpers/test-engine.ts';
import { buildConfig } from '../../src/config/build-config.ts';
import { caller, openFixture } from './records-fixture.ts';

const CONTACTS = collection('contacts', [
  field('firstName', 'text', { index: true }),
  field('lastName', 'text', { unique: true }),
  field('taxId', 'text', { sensitive: true, searchable: true }),
], { list: 'true', view: 'true', create: 'true', update: 'true' });

test('the config accepts camelCase field names', () => {
  const c = buildConfig({ collections: { contacts: { fields: { firstName: { type: 'text' }, home_town: { type: 'text' } } } } }, { baseDir: '/srv', env: {} });
  assert.deepEqual(c.collections.contacts.fields.map((f) => f.name), ['firstName', 'home_town']);
});

eachDialect('camelCase field names', (t) => {
  test('stored, filtered, sorted and unique with their exact case; the column keeps the case', async () => {
    const fx = await openFixture(t, undefined, [CONTACTS]);
    const who = caller();
    await fx.svc.create(who, 'contacts', { firstName: 'Ada', lastName: 'Lovelace', taxId: 'T-1' });
    await fx.svc.create(who, 'contacts', { firstName: 'Alan', lastName: 'Turing', taxId: 'T-2' });
    const l = await fx.svc.list(who, 'contacts', { filter: 'firstName ~ "A" && taxId = "T-2"', sort: '-lastName' });
    assert.deepEqual(l.items.map((i) => [i.firstName, i.lastName, i.taxId]), [['Alan', 'Turing', 'T-2']]);
    const sorted = await fx.svc.list(who, 'contacts', { sort: '-firstName' });
    assert.deepEqual(sorted.items.map((i) => i.firstName), ['Alan', 'Ada']);
    await assert.rejects(fx.svc.create(who, 'contacts', { lastName: 'Turing' }), (e: Error & { code?: string; details?: { fields?: Record<string, string> } }) =>
      e.code === 'ERR_CONFLICT' && e.details?.fields?.lastName === 'must be unique');
    const row = await fx.db.kysely.selectFrom('contacts').select(['firstName', 'lastName']).where('lastName', '=', 'Lovelace').executeTakeFirstOrThrow();
    assert.equal(row.firstName, 'Ada');
    await fx.close();
  });
});
