import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { devConfigYaml } from '../../src/config/dev-config.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { writeConfig } from './write-config.ts';

test('the dev config loads and says what the CLI promises', () => {
  const file = writeConfig(devConfigYaml());
  const c = loadConfig(file, { dev: true, env: {} });
  assert.deepEqual(c.database, { kind: 'sqlite', path: `${dirname(file)}/data/strongbox.db` });
  assert.deepEqual(c.listen, { host: '127.0.0.1', port: 8090, tls: null, redirectHttp: null, trustedProxies: [], publicOrigins: [] });
  assert.equal(c.auth.register, true);
  assert.deepEqual(Object.keys(c.collections), ['notes', 'patients']);

  const notes = c.collections.notes;
  assert.deepEqual(notes.fields.map((f) => `${f.name}:${f.type}`), ['title:text', 'body:text', 'done:boolean']);
  const title = notes.fields[0];
  assert.ok(title.type === 'text' && title.required && title.index && title.max === 200);
  assert.deepEqual(notes.rules, {
    list: 'owner = @auth.id', view: 'owner = @auth.id', create: '@auth.id != null',
    update: 'owner = @auth.id', delete: 'owner = @auth.id',
  });

  const patients = c.collections.patients;
  assert.deepEqual(patients.fields.map((f) => `${f.name}:${f.type}`), ['name:text', 'email:email', 'birth:date', 'ssn:text', 'notes:text']);
  const ssn = patients.fields[3];
  assert.ok(ssn.type === 'text');
  assert.equal(ssn.pattern, String.raw`^\d{3}-\d{2}-\d{4}$`);
  assert.deepEqual([ssn.sensitive, ssn.searchable, ssn.mask], [true, true, 'last4']);
  assert.equal(new RegExp(ssn.pattern ?? '', 'u').test('123-45-6789'), true);
  const doctor = "owner = @auth.id || @auth.role = 'doctor'";
  assert.deepEqual(patients.rules, { list: doctor, view: doctor, create: '@auth.id != null', update: doctor, delete: null });
});

test('the dev config is commented for a newcomer and holds no secret', () => {
  const text = devConfigYaml();
  assert.ok(text.split('\n').filter((l) => l.trimStart().startsWith('#')).length >= 10);
  assert.doesNotMatch(text, /password\s*:|secret\s*:|:\/\/[^@\s]*:[^@\s]*@/i);
});

test('outside dev, the same file keeps what it states explicitly', () => {
  const c = loadConfig(writeConfig(devConfigYaml()), { env: {} });
  assert.equal(c.dev, false);
  assert.equal(c.auth.register, true, 'stated explicitly in the file');
});
