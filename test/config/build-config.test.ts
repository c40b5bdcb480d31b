import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { defaultEdge } from '../../src/config/parse-edge.ts';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig } from '../../src/config/build-config.ts';
import { ConfigError } from '../../src/config/config-error.ts';
import type { StrongboxConfig } from '../../src/config/config.ts';

const baseDir = '/srv/app';
const build = (raw: unknown, extra: { dev?: boolean; env?: NodeJS.ProcessEnv } = {}): StrongboxConfig =>
  buildConfig(raw, { baseDir, env: {}, ...extra });
const issuesOf = (raw: unknown, extra: { dev?: boolean; env?: NodeJS.ProcessEnv } = {}): string[] => {
  try {
    build(raw, extra);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  return assert.fail('expected ERR_CONFIG');
};

test('defaults are the safe ones', () => {
  const c = build({});
  assert.deepEqual(c.database, { kind: 'sqlite', path: '/srv/app/data/strongbox.db' });
  assert.deepEqual(c.listen, { host: '127.0.0.1', port: 8443, tls: null, redirectHttp: null, trustedProxies: [], publicOrigins: [] });
  assert.deepEqual(c.auth, {
    register: false, sessionTtl: 12 * 3600, sessionIdle: 30 * 60, maxSessions: 20,
    passwordMinLength: 12, passwordMaxBytes: 4096, throttleStore: 'auto', registerPerIp: 10, mfa: {},
  });
  assert.deepEqual(c.limits, { bodyLimit: 1024 * 1024, perPageMax: 500, perPageDefault: 30, cacheMemory: 64 * 1024 * 1024, readTimeout: 2, ...defaultEdge().limits });
  // The edge's safe defaults (docs/edge.md): HSTS two years, rate limiting on, CORS off, admin unrestricted but warned about.
  assert.deepEqual(c.hsts, { maxAge: 2 * 365 * 86_400, includeSubDomains: true, preload: false });
  assert.equal(c.rateLimit.enabled, true);
  assert.deepEqual(c.cors.origins, []);
  assert.deepEqual(c.limits.headersTimeout, 10_000);
  assert.deepEqual(Object.keys(c.collections), []);
  assert.equal(c.dev, false);
  assert.equal(c.configPath, null);
  assert.equal(build({}, { dev: true }).auth.register, true, 'registration is open by default in dev only');
  assert.equal(build({ auth: { register: false } }, { dev: true }).auth.register, false);
});

test('units: durations to seconds, sizes to bytes', () => {
  assert.equal(build({ auth: { sessionTtl: '30m' } }).auth.sessionTtl, 1800);
  assert.equal(build({ auth: { sessionTtl: '7d' } }).auth.sessionTtl, 7 * 86_400);
  assert.equal(build({ auth: { sessionTtl: '5m' } }).auth.sessionTtl, 300);
  assert.deepEqual(issuesOf({ auth: { sessionTtl: '4m' } }), ['auth.sessionTtl: must be between 5m and 30d']);
  assert.equal(build({ limits: { bodyLimit: '512kb' } }).limits.bodyLimit, 512 * 1024);
  assert.equal(build({ limits: { bodyLimit: '16mb' } }).limits.bodyLimit, 16 * 1024 * 1024);
  assert.equal(issuesOf({ limits: { bodyLimit: 1048576 } }).length, 1, 'a bare number has no visible unit');
  assert.equal(build({ limits: { cacheMemory: '16mb', readTimeout: '5s' } }).limits.cacheMemory, 16 * 1024 * 1024);
  assert.equal(build({ limits: { readTimeout: '1m' } }).limits.readTimeout, 60);
  for (const bad of [{ cacheMemory: '1mb' }, { cacheMemory: '2048mb' }, { readTimeout: '0s' }, { readTimeout: '2m' }, { readTimeout: 2 }]) {
    assert.equal(issuesOf({ limits: bad }).length, 1, JSON.stringify(bad));
  }
});

test('a full config: every field type, declaration order kept, defaults normalized', () => {
  const c = build({
    collections: {
      zebra: { fields: { z: { type: 'text' } } },
      things: {
        fields: {
          title: { type: 'text', required: true, min: 1, max: 200, index: true, pattern: '^[A-Z]', default: 'Hello' },
          qty: { type: 'number', integer: true, min: 0, max: 10, default: 3 },
          done: { type: 'boolean', default: false },
          mail: { type: 'email', default: '  Ann@Example.COM ' },
          site: { type: 'url', default: 'https://example.com/' },
          day: { type: 'date', default: '2024-02-29' },
          at: { type: 'datetime', default: '2024-01-01T01:00:00+01:00' },
          kind: { type: 'select', values: ['a', 'b'], default: 'a' },
          tags: { type: 'select', values: ['x', 'y'], multiple: true, default: ['y'] },
          meta: { type: 'json', default: { a: [1, 2] } },
          parent: { type: 'relation', collection: 'zebra' },
          ssn: { type: 'text', sensitive: true, searchable: true, mask: 'last4', read: "@auth.role = 'doctor'" },
        },
        rules: { list: 'owner = @auth.id', view: 'true', create: '@body.qty > 0', update: null },
      },
    },
  });
  assert.deepEqual(Object.keys(c.collections), ['zebra', 'things']);
  const t = c.collections.things;
  assert.deepEqual(t.fields.map((f) => f.name), ['title', 'qty', 'done', 'mail', 'site', 'day', 'at', 'kind', 'tags', 'meta', 'parent', 'ssn']);
  assert.deepEqual(t.fields[0], {
    name: 'title', type: 'text', required: true, unique: false, index: true, default: 'Hello', sensitive: false,
    searchable: false, mask: null, read: null, min: 1, max: 200, pattern: '^[A-Z]',
  });
  const byName = Object.fromEntries(t.fields.map((f) => [f.name, f]));
  assert.equal(byName.mail.default, 'ann@example.com');
  assert.equal(byName.at.default, '2024-01-01T00:00:00.000Z');
  assert.deepEqual(byName.tags.default, ['y']);
  assert.deepEqual(byName.meta.default, { a: [1, 2] });
  assert.equal(byName.qty.type === 'number' && byName.qty.integer, true);
  assert.equal(byName.parent.type === 'relation' && byName.parent.collection, 'zebra');
  assert.equal(byName.ssn.read, "@auth.role = 'doctor'");
  assert.deepEqual(t.rules, { list: 'owner = @auth.id', view: 'true', create: '@body.qty > 0', update: null, delete: null });
  assert.deepEqual(c.collections.zebra.rules, { list: null, view: null, create: null, update: null, delete: null }, 'absent = admins only');
});

describe('defaults are validated against their field', () => {
  const cases: [string, unknown][] = [
    ['number not integer', { type: 'number', integer: true, default: 1.5 }],
    ['number below min', { type: 'number', min: 0, default: -1 }],
    ['text not matching pattern', { type: 'text', pattern: '^a', default: 'b' }],
    ['impossible date', { type: 'date', default: '2023-02-29' }],
    ['datetime without zone', { type: 'datetime', default: '2024-01-01T00:00:00' }],
    ['url with javascript:', { type: 'url', default: 'javascript:alert(1)' }],
    ['select not in values', { type: 'select', values: ['a'], default: 'b' }],
    ['boolean as string', { type: 'boolean', default: 'true' }],
    ['json too deep', { type: 'json', default: JSON.parse('['.repeat(30) + ']'.repeat(30)) }],
    ['relation not an id', { type: 'relation', collection: 'c', default: 'x' }],
  ];
  for (const [what, field] of cases) {
    test(what, () => {
      const issues = issuesOf({ collections: { c: { fields: { f: field } } } });
      assert.equal(issues.length, 1, issues.join('\n'));
      assert.match(issues[0], /^collections\.c\.fields\.f\.default: default /);
    });
  }
});

describe('database', () => {
  test('sqlite paths resolve from the config folder', () => {
    assert.deepEqual(build({ database: 'sqlite:./x/y.db' }).database, { kind: 'sqlite', path: '/srv/app/x/y.db' });
    assert.deepEqual(build({ database: 'sqlite:/var/lib/sb.db' }).database, { kind: 'sqlite', path: '/var/lib/sb.db' });
    assert.deepEqual(build({ database: 'sqlite::memory:' }).database, { kind: 'sqlite', path: ':memory:' });
    assert.equal(issuesOf({ database: 'sqlite:' }).length, 1);
    assert.equal(issuesOf({ database: 'sqlite://host/x.db' }).length, 1);
  });

  test('postgres: URL kept, ssl file paths resolved, no password from the file', () => {
    const c = build({ database: 'postgres://app@db.example.com:5433/sb?sslmode=verify-full&sslrootcert=certs/ca.pem' });
    assert.deepEqual(c.database, {
      kind: 'postgres',
      url: 'postgres://app@db.example.com:5433/sb?sslmode=verify-full&sslrootcert=%2Fsrv%2Fapp%2Fcerts%2Fca.pem',
    });
    assert.equal(new URL(c.database.kind === 'postgres' ? c.database.url : '').searchParams.get('sslrootcert'), '/srv/app/certs/ca.pem');
    assert.equal(issuesOf({ database: 'postgres://app@db/sb?sslmode=sometimes' }).length, 1);
    // modes that fall back to plain text, and parameters the driver would not honour, are refused at load
    for (const q of ['sslmode=prefer', 'sslmode=allow', 'sslcrl=/x.pem', 'options=-c%20x']) {
      assert.equal(issuesOf({ database: `postgres://app@db/sb?${q}` }).length, 1, q);
    }
    assert.equal(issuesOf({ database: 'postgres://app@db.example.com' }).length, 1, 'a database name is required');
  });

  test('secrets in the URL are refused', () => {
    for (const url of ['postgres://app:pw@db/sb', 'postgresql://app:@db/sb?password=pw', 'postgres://app@db/sb?sslpassword=pw']) {
      const issues = issuesOf({ database: url });
      assert.ok(issues.some((i) => i.includes('must not contain a password')), url);
      assert.ok(issues.every((i) => !i.includes('pw')), 'the secret is not echoed');
    }
  });

  test('password: STRONGBOX_DATABASE_PASSWORD_FILE first, then STRONGBOX_DATABASE_PASSWORD', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-pw-'));
    try {
      const file = join(dir, 'pw');
      writeFileSync(file, 'from-file\n', { mode: 0o600 });
      const database = 'postgres://app@db/sb';
      const both = build({ database }, { env: { STRONGBOX_DATABASE_PASSWORD_FILE: file, STRONGBOX_DATABASE_PASSWORD: 'from-env' } });
      assert.equal(both.database.kind === 'postgres' && both.database.password, 'from-file');
      const envOnly = build({ database }, { env: { STRONGBOX_DATABASE_PASSWORD: 'from-env' } });
      assert.equal(envOnly.database.kind === 'postgres' && envOnly.database.password, 'from-env');
      const none = build({ database }, { env: {} });
      assert.equal(none.database.kind === 'postgres' && none.database.password, undefined);
      const missing = issuesOf({ database }, { env: { STRONGBOX_DATABASE_PASSWORD_FILE: join(dir, 'nope'), STRONGBOX_DATABASE_PASSWORD: 'x' } });
      assert.deepEqual(missing, ['database: the file named by STRONGBOX_DATABASE_PASSWORD_FILE cannot be read'], 'no silent fallback');
      assert.ok(missing.every((m) => !m.includes(dir)), 'no server path in the message');
      writeFileSync(join(dir, 'empty'), '');
      assert.equal(issuesOf({ database }, { env: { STRONGBOX_DATABASE_PASSWORD_FILE: join(dir, 'empty') } }).length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('the result is deep-frozen', () => {
  const c = build({ collections: { notes: { fields: { t: { type: 'select', values: ['a'] } }, rules: { list: 'true' } } } });
  const notes = c.collections.notes;
  const mutations: [string, () => void][] = [
    ['top-level', () => { (c as { dev: boolean }).dev = true; }],
    ['listen.port', () => { (c.listen as { port: number }).port = 1; }],
    ['auth.register', () => { (c.auth as { register: boolean }).register = true; }],
    ['add a collection', () => { (c.collections as Record<string, unknown>).evil = notes; }],
    ['delete a collection', () => { delete (c.collections as Record<string, unknown>).notes; }],
    ['field list', () => { (notes.fields as unknown[]).push({}); }],
    ['field property', () => { (notes.fields[0] as { sensitive: boolean }).sensitive = true; }],
    ['select values', () => { (notes.fields[0] as unknown as { values: string[] }).values.push('b'); }],
    ['rules', () => { (notes.rules as { list: string | null }).list = 'true || true'; }],
  ];
  for (const [what, mutate] of mutations) assert.throws(mutate, TypeError, what);
  assert.equal(c.listen.port, 8443);
  assert.equal(notes.rules.list, 'true');
  assert.deepEqual(notes.fields.map((f) => f.name), ['t']);
});

test('collections never resolve names through Object.prototype', () => {
  const c = build({ collections: { constructor: { fields: {} }, notes: { fields: {} } } });
  assert.equal(Object.getPrototypeOf(c.collections), null);
  assert.equal(c.collections.toString, undefined);
  assert.equal(c.collections.constructor?.name, 'constructor');
  assert.equal((c.collections as Record<string, unknown>).__proto__, undefined);
});

test('the rules a collection declares reach the parser: a valid write rule needs @body in create/update', () => {
  assert.ok(issuesOf({ collections: { c: { fields: { a: { type: 'text' } }, rules: { delete: '@body.a = "x"' } } } })[0]
    .startsWith('collections.c.rules.delete: invalid rule'));
  build({ collections: { c: { fields: { a: { type: 'text' } }, rules: { update: '@body.a = "x"' } } } });
});
