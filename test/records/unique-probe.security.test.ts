// Attack: a caller probes for values they may not see (INV-2024-0042 → 409, INV-2024-0041 → 201) by writing them into a unique field that a read, view or list rule hides.
import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { configError, loadText } from '../config/write-config.ts';
import { eachDialect } from '../helpers/dialects.ts';
import { openTestApi, bearer, type TestApi } from '../helpers/test-engine.ts';

const invoices = (field: string, rules: string) =>
  `collections:\n  invoices:\n    fields:\n      number: ${field}\n      amount: { type: number }\n    rules:\n${rules}`;
const OWNER = '      list: "owner = @auth.id"\n      view: "owner = @auth.id"\n      create: "@auth.id != null"\n      update: "owner = @auth.id"\n';
const OPEN = '      list: "true"\n      view: "true"\n      create: "@auth.id != null"\n';

describe('unique fields that some callers cannot see are refused at load', () => {
  test('hidden by the view/list rule: refused with a message that explains the probe', () => {
    const err = configError(invoices('{ type: text, unique: true }', OWNER));
    assert.equal(err.issues.length, 1, err.message);
    const { path, message } = err.issues[0];
    assert.equal(path, 'collections.invoices.fields.number.unique');
    assert.match(message, /the view rule can hide lets a caller probe values/);
    assert.match(message, /409 ERR_CONFLICT/);
    assert.match(message, /uniqueRevealsExistence: true/);
  });

  test('hidden by a field read rule, or by a list rule narrower than an open view rule', () => {
    assert.match(configError(invoices("{ type: text, unique: true, read: \"@auth.role = 'acct'\" }", OPEN)).message, /its read rule can hide/);
    const listOnly = '      list: "owner = @auth.id"\n      view: "true"\n      create: "true"\n';
    assert.match(configError(invoices('{ type: text, unique: true }', listOnly)).message, /the list rule can hide/);
    const adminsView = '      create: "true"\n';
    assert.match(configError(invoices('{ type: text, unique: true }', adminsView)).message, /the view rule \(admins only\)/);
  });

  test('allowed when every caller can see every value, when only admins write, or when the field opts in', () => {
    loadText(invoices('{ type: text, unique: true }', OPEN));
    loadText(invoices('{ type: text, unique: true }', '      list: "owner = @auth.id"\n      view: "owner = @auth.id"\n'));
    const c = loadText(invoices('{ type: text, unique: true, uniqueRevealsExistence: true }', OWNER));
    assert.equal(c.collections.invoices.fields[0].uniqueRevealsExistence, true);
    assert.match(configError(invoices('{ type: text, uniqueRevealsExistence: true }', OPEN)).message, /applies to unique fields only/);
    assert.match(configError(invoices('{ type: text, unique: true, uniqueRevealsExistence: "yes" }', OWNER)).message, /expected true or false/);
  });
});

eachDialect('a unique field that opted in reveals existence only, never the holder or the value', (t) => {
  let api: TestApi;
  before(async () => {
    const config = loadText(invoices('{ type: text, unique: true, uniqueRevealsExistence: true }', OWNER));
    api = await openTestApi(await t.freshDatabase(), { collections: Object.values(config.collections) });
  });
  after(async () => { await api.close(); });

  test('the documented trade: 409 naming the field, nothing about the other record', async () => {
    const alice = await api.signIn('inv-alice@example.com');
    const mallory = await api.signIn('inv-mallory@example.com');
    const url = '/api/collections/invoices/records';
    const made = await api.inject({ method: 'POST', url, headers: bearer(alice.token), payload: { number: 'INV-2024-0042', amount: 9 } });
    assert.equal(made.statusCode, 201);
    const probe = await api.inject({ method: 'POST', url, headers: bearer(mallory.token), payload: { number: 'INV-2024-0042', amount: 1 } });
    assert.equal(probe.statusCode, 409);
    assert.deepEqual(probe.json().error.fields, { number: 'must be unique' });
    for (const secret of [alice.account.id, String(made.json().id), 'INV-2024-0042', '"9"']) assert.ok(!probe.body.includes(secret), secret);
    const filtered = await api.inject({ method: 'GET', url: `${url}?filter=${encodeURIComponent("number = 'INV-2024-0042'")}`, headers: bearer(mallory.token) });
    assert.equal(filtered.json().totalItems, 0, 'filtering still reveals nothing');
  });
});
