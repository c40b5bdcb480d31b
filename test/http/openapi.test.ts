import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { openTestApi, collection, field, NOTES, type TestApi } from '../helpers/test-engine.ts';
import { ERRORS } from '../../src/errors/registry.ts';
import { ROUTE_ERRORS } from '../../src/http/openapi/route-errors.ts';

const PATIENTS = collection('patients', [
  field('name', 'text', { required: true, max: 200 }),
  field('age', 'number', { integer: true, min: 0, max: 150 }),
  field('ssn', 'text', { sensitive: true, searchable: true, mask: 'last4', pattern: '^\\d{3}-\\d{2}-\\d{4}$' }),
  field('status', 'select', { values: ['new', 'seen'] }),
  field('born', 'date'),
  field('meta', 'json'),
]);

eachDialect('GET /api/openapi.json', (t) => {
  let api: TestApi;
  let doc: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  before(async () => {
    api = await openTestApi(await t.freshDatabase(), { collections: [NOTES, PATIENTS] });
    const res = await api.inject({ method: 'GET', url: '/api/openapi.json' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    doc = res.json();
  });
  after(async () => { await api.close(); });

  test('is OpenAPI 3.1 with a path per live collection', () => {
    assert.equal(doc.openapi, '3.1.0');
    for (const p of ['/api/health', '/api/auth/login', '/api/auth/register', '/api/auth/logout', '/api/auth/me',
      '/api/collections/notes/records', '/api/collections/notes/records/{id}',
      '/api/collections/patients/records', '/api/collections/patients/records/{id}']) {
      assert.ok(doc.paths[p], p);
    }
    assert.deepEqual(Object.keys(doc.paths['/api/collections/patients/records/{id}']).sort(), ['delete', 'get', 'patch']);
  });

  test('record schemas follow the field types', () => {
    const rec = doc.components.schemas.Record_patients;
    assert.deepEqual(rec.properties.name, { type: 'string', maxLength: 200 });
    assert.deepEqual(rec.properties.age, { type: ['integer', 'null'], minimum: 0, maximum: 150 });
    assert.deepEqual(rec.properties.status, { type: ['string', 'null'], enum: ['new', 'seen'] });
    assert.deepEqual(rec.properties.born, { type: ['string', 'null'], format: 'date' });
    assert.equal(rec.properties.ssn.type[0], 'string');
    assert.ok(!JSON.stringify(rec.properties.ssn).includes('\\d{3}'), 'no validation detail of a sensitive field');
    assert.deepEqual(doc.components.schemas.Create_patients.required, ['name']);
    assert.equal(doc.components.schemas.Create_patients.additionalProperties, false);
    assert.equal(doc.components.schemas.Update_patients.required, undefined);
    for (const sys of ['id', 'created', 'updated', 'owner']) {
      assert.ok(rec.properties[sys], sys);
      assert.equal(doc.components.schemas.Create_patients.properties[sys], undefined, `${sys} is not writable`);
    }
  });

  test('each route lists its error codes under the registry status', () => {
    const patch = doc.paths['/api/collections/notes/records/{id}'].patch;
    for (const code of ROUTE_ERRORS['PATCH /api/collections/{name}/records/{id}']) {
      const status = String(ERRORS[code].status);
      assert.ok(patch.responses[status]['x-error-codes'].includes(code), `${code} under ${status}`);
    }
    const login = doc.paths['/api/auth/login'].post;
    assert.deepEqual(login.responses['401']['x-error-codes'], ['ERR_INVALID_CREDENTIALS']);
    assert.ok(login.responses['405']['x-error-codes'].includes('ERR_METHOD_NOT_ALLOWED'));
    assert.deepEqual(doc.components.schemas.Error.properties.error.properties.code.enum, Object.keys(ERRORS));
  });

  test('every route key in the table exists in the document', () => {
    for (const key of Object.keys(ROUTE_ERRORS)) {
      const [method, generic] = key.split(' ');
      const concrete = generic.replace('{name}', 'notes');
      assert.ok(doc.paths[concrete]?.[method.toLowerCase()], key);
    }
  });
});
