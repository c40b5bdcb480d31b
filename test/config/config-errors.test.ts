import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { configError, onlyIssue } from './write-config.ts';

/** A config with one collection `things`; field lines start on line 4, a rules block follows. */
const withFields = (fields: string, rules = '') => `collections:\n  things:\n    fields:\n${fields}\n${rules}`;
const withRule = (name: string, text: string) =>
  withFields('      a: { type: text }', `    rules:\n      ${name}: ${text}\n`);

// [what, yaml, expected start of the only issue: `file:line:col: key.path: problem`]
const cases: [string, string, string][] = [
  ['unknown top-level key', 'listen: { host: 127.0.0.1 }\nport: 80\n', 'strongbox.yaml:2:1: port: unknown key in the top level'],
  ['unknown field key', withFields('      a: { type: text, maxx: 3 }'), 'strongbox.yaml:4:24: collections.things.fields.a.maxx: unknown key in a text field'],
  ['type-specific key on another type', withFields('      a: { type: number, pattern: x }'), 'strongbox.yaml:4:26: collections.things.fields.a.pattern: unknown key in a number field'],
  ['wrong type', withFields("      a: { type: text, required: 'yes' }"), 'strongbox.yaml:4:34: collections.things.fields.a.required: expected true or false, got a string'],
  ['invalid regex', withFields("      a: { type: text, pattern: '(' }"), 'strongbox.yaml:4:33: collections.things.fields.a.pattern: invalid regular expression'],
  ['ReDoS regex', withFields("      a: { type: text, pattern: '^(a+)+$' }"), 'strongbox.yaml:4:33: collections.things.fields.a.pattern: pattern nests quantifiers'],
  ['regex in block style', withFields('      a:\n        type: text\n        pattern: "(x"'), 'strongbox.yaml:6:18: collections.things.fields.a.pattern: invalid regular expression'],
  ['rule names an unknown field', withRule('list', `"b = 'x'"`), "strongbox.yaml:6:13: collections.things.rules.list: invalid rule: unknown field 'b'"],
  ['rule syntax error', withRule('view', '"a = "'), 'strongbox.yaml:6:13: collections.things.rules.view: invalid rule:'],
  ['@body outside create/update', withRule('list', `"@body.a = 'x'"`), 'strongbox.yaml:6:13: collections.things.rules.list: invalid rule: @body'],
  ['unknown rule name', withRule('read', '"true"'), 'strongbox.yaml:6:7: collections.things.rules.read: unknown key in rules'],
  ['rule of wrong type', withRule('create', '42'), 'strongbox.yaml:6:15: collections.things.rules.create: expected a rule string or null, got a number'],
  ['bad read rule', withFields('      a: { type: text, read: "zz = 1" }'), "strongbox.yaml:4:30: collections.things.fields.a.read: invalid rule: unknown field 'zz'"],
  ['bad duration', 'auth:\n  sessionTtl: 12x\n', "strongbox.yaml:2:15: auth.sessionTtl: expected a duration such as '30m', '12h' or '7d'"],
  ['duration out of range', 'auth:\n  sessionTtl: 60d\n', 'strongbox.yaml:2:15: auth.sessionTtl: must be between 5m and 30d'],
  ['bare number as duration', 'auth:\n  sessionTtl: 3600\n', 'strongbox.yaml:2:15: auth.sessionTtl: expected a duration'],
  ['body limit too large', 'limits:\n  bodyLimit: 32mb\n', 'strongbox.yaml:2:14: limits.bodyLimit: must be between 1kb and 16mb'],
  ['perPageDefault above perPageMax', 'limits: { perPageMax: 10, perPageDefault: 20 }\n', 'strongbox.yaml:1:43: limits.perPageDefault: must not exceed limits.perPageMax'],
  ['port as string', 'listen:\n  port: "80"\n', 'strongbox.yaml:2:9: listen.port: expected an integer, got a string'],
  ['port out of range', 'listen: { port: 70000 }\n', 'strongbox.yaml:1:17: listen.port: must be between 0 and 65535'],
  ['invalid collection name', 'collections:\n  Bad:\n    fields: {}\n', 'strongbox.yaml:2:3: collections.Bad: invalid collection name'],
  ['collection name with _', 'collections:\n  _sb_accounts:\n    fields: {}\n', 'strongbox.yaml:2:3: collections._sb_accounts: collection names may not start with "_"'],
  ['collection without fields', 'collections:\n  things:\n    rules: {}\n', 'strongbox.yaml:2:3: collections.things: a collection needs "fields"'],
  ['system field name', withFields('      owner: { type: text }'), 'strongbox.yaml:4:7: collections.things.fields.owner: "owner" is a system field'],
  ['invalid field name', withFields('      first-name: { type: text }'), 'strongbox.yaml:4:7: collections.things.fields.first-name: invalid field name'],
  ['field names that differ only in case', withFields('      firstName: { type: text }\n      firstname: { type: text }'), 'strongbox.yaml:5:7: collections.things.fields.firstname: differs from field "firstName" only in case'],
  ['missing type', withFields('      a: { required: true }'), 'strongbox.yaml:4:7: collections.things.fields.a: missing key "type"'],
  ['unknown type', withFields('      a: { type: blob }'), 'strongbox.yaml:4:18: collections.things.fields.a.type: unknown field type'],
  ['relation to undeclared collection', withFields('      a: { type: relation, collection: nope }'), 'strongbox.yaml:4:40: collections.things.fields.a.collection: names a collection that is not declared'],
  ['invalid default email', withFields('      a: { type: email, default: NOT@X }'), 'strongbox.yaml:4:34: collections.things.fields.a.default: default must be a valid email address'],
  ['default breaks max', withFields('      a: { type: text, max: 2, default: abc }'), 'strongbox.yaml:4:41: collections.things.fields.a.default: default must be at most 2 characters'],
  ['searchable without sensitive', withFields('      a: { type: text, searchable: true }'), 'strongbox.yaml:4:36: collections.things.fields.a.searchable: searchable requires sensitive: true'],
  ['mask without sensitive', withFields('      a: { type: text, mask: last4 }'), 'strongbox.yaml:4:30: collections.things.fields.a.mask: mask requires sensitive: true'],
  ['sensitive and unique without searchable', withFields('      a: { type: text, sensitive: true, unique: true }'), 'strongbox.yaml:4:49: collections.things.fields.a.unique: a sensitive field can be unique only through its blind index'],
  ['duplicate select value', withFields('      a: { type: select, values: [x, x] }'), 'strongbox.yaml:4:38: collections.things.fields.a.values[1]: duplicate value'],
  ['empty select values', withFields('      a: { type: select, values: [] }'), 'strongbox.yaml:4:34: collections.things.fields.a.values: expected a non-empty list of strings'],
  ['text min > max', withFields('      a: { type: text, min: 5, max: 2 }'), 'strongbox.yaml:4:29: collections.things.fields.a.min: min must not exceed max'],
  ['negative max', withFields('      a: { type: text, max: -1 }'), 'strongbox.yaml:4:29: collections.things.fields.a.max: must be between 0 and'],
  ['rule on an unsearchable sensitive field', withFields('      a: { type: text, sensitive: true }', `    rules:\n      list: "a = 'x'"\n`), "strongbox.yaml:6:13: collections.things.rules.list: invalid rule: sensitive field 'a' is not searchable"],
  ['~ on a sensitive field', withFields('      a: { type: text, sensitive: true, searchable: true }', `    rules:\n      list: "a ~ 'x'"\n`), "strongbox.yaml:6:13: collections.things.rules.list: invalid rule: sensitive field 'a' allows only = and !="],
  ['duplicate key', 'listen:\n  port: 1\n  port: 2\n', 'strongbox.yaml:3:3: duplicate key'],
  ['password in the database URL', 'database: postgres://app:hunter2@db.example.com/sb\n', 'strongbox.yaml:1:11: database: must not contain a password'],
  ['password as a URL parameter', 'database: postgres://app@db.example.com/sb?password=hunter2\n', 'strongbox.yaml:1:11: database: must not contain a password'],
  ['unsupported database', 'database: mysql://app@db/sb\n', "strongbox.yaml:1:11: database: unsupported database"],
];

describe('each config error names file:line:col and the key path', () => {
  for (const [what, yaml, expected] of cases) {
    test(what, () => {
      const text = onlyIssue(yaml);
      assert.ok(text.startsWith(expected), `got:      ${text}\nexpected: ${expected}…`);
    });
  }
});

test('the message of a single error is exactly the located line', () => {
  const err = configError(withFields("      a: { type: text, pattern: '(' }"));
  assert.equal(err.message, 'strongbox.yaml:4:33: collections.things.fields.a.pattern: invalid regular expression');
  assert.deepEqual(
    { line: err.issues[0].line, col: err.issues[0].col, path: err.issues[0].path, file: err.issues[0].file },
    { line: 4, col: 33, path: 'collections.things.fields.a.pattern', file: 'strongbox.yaml' },
  );
  assert.equal(err.details?.param, 'collections.things.fields.a.pattern');
});

test('all errors are collected, in file order, in one ERR_CONFIG', () => {
  const yaml = [
    'listen: { port: -1 }',
    'auth: { sessionTtl: forever }',
    'collections:',
    '  things:',
    '    fields:',
    "      a: { type: text, pattern: '[' }",
    '      b: { type: nope }',
    '    rules:',
    '      list: "c = 1"',
  ].join('\n');
  const err = configError(yaml);
  assert.deepEqual(err.issues.map((i) => `${i.line}:${i.col} ${i.path}`), [
    '1:17 listen.port',
    '2:21 auth.sessionTtl',
    '6:33 collections.things.fields.a.pattern',
    '7:18 collections.things.fields.b.type',
    '9:13 collections.things.rules.list',
  ]);
  assert.match(err.message, /^strongbox\.yaml: 5 configuration errors:\n {2}strongbox\.yaml:1:17: listen\.port: /);
  for (const issue of err.issues) assert.ok(err.message.includes(issue.text));
});

test('a secret in the URL is never echoed back', () => {
  const err = configError('database: postgres://app:hunter2@db.example.com/sb?sslpassword=s3cr3t\n');
  assert.doesNotMatch(err.message, /hunter2|s3cr3t/);
});

test('messages never contain the server path of the config file', () => {
  const err = configError('nope: 1\n');
  assert.doesNotMatch(err.message, /\/tmp|sb-config-/);
});
