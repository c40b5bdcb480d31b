import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DEFAULT_POOL_SIZE, poolConfig } from '../../src/db/postgres/connection-options.ts';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';

const dir = mkdtempSync(join(tmpdir(), 'strongbox-pgopts-'));
const ca = join(dir, 'ca.pem');
writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nnot-really\n-----END CERTIFICATE-----\n');
after(() => rmSync(dir, { recursive: true, force: true }));

function configErr(url?: string, secret?: string): (err: unknown) => true {
  return (err) => {
    assert.ok(err instanceof StrongboxError);
    assert.equal(err.code, 'ERR_CONFIG');
    if (secret !== undefined) assert.ok(!err.message.includes(secret), `message leaks ${secret}: ${err.message}`);
    if (url !== undefined) assert.ok(!err.message.includes(url), `message echoes the URL: ${err.message}`);
    return true;
  };
}

describe('postgres poolConfig', () => {
  test('verify-full with a CA file: full verification, UTC session, defaults', () => {
    const cfg = poolConfig(`postgres://app@db.example:6543/prod?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`, 'pw');
    assert.equal(cfg.host, 'db.example');
    assert.equal(cfg.port, 6543);
    assert.equal(cfg.database, 'prod');
    assert.equal(cfg.user, 'app');
    assert.equal(cfg.password, 'pw');
    assert.equal(cfg.max, DEFAULT_POOL_SIZE);
    assert.equal(cfg.options, '-c timezone=UTC');
    assert.ok(typeof cfg.ssl === 'object' && cfg.ssl !== null);
    assert.equal(cfg.ssl.rejectUnauthorized, true);
    assert.equal(cfg.ssl.checkServerIdentity, undefined, 'host name is checked');
    assert.match(String(cfg.ssl.ca), /BEGIN CERTIFICATE/);
  });

  test('without sslmode every TCP connection is verified in full, loopback too; a Unix socket has no TLS', () => {
    for (const host of ['db.example', '127.0.0.1', 'localhost', '[::1]']) {
      const cfg = poolConfig(`postgres://app@${host}/prod`, undefined);
      assert.ok(typeof cfg.ssl === 'object' && cfg.ssl.rejectUnauthorized === true && cfg.ssl.checkServerIdentity === undefined, host);
    }
    const socket = poolConfig('postgres://app@%2Fvar%2Frun%2Fpostgresql/prod', undefined, { requireVerifiedTls: true });
    assert.equal(socket.host, '/var/run/postgresql');
    assert.equal(socket.ssl, false);
  });

  test('production (requireVerifiedTls) refuses anything less than verify-full over TCP', () => {
    for (const mode of ['disable', 'require', 'verify-ca']) {
      const url = `postgres://app@127.0.0.1/prod?sslmode=${mode}&sslrootcert=${encodeURIComponent(ca)}`;
      assert.throws(() => poolConfig(url, undefined, { requireVerifiedTls: true }), (err) => {
        assert.ok(err instanceof StrongboxError && err.code === 'ERR_DB_TLS_REQUIRED', String(err));
        assert.match(err.message, /verify-full/);
        return true;
      }, mode);
      assert.doesNotThrow(() => poolConfig(url, undefined), 'dev mode may choose less');
    }
    assert.doesNotThrow(() => poolConfig('postgres://app@127.0.0.1/prod', undefined, { requireVerifiedTls: true }), 'the default is verify-full');
  });

  test('require encrypts without verifying; verify-ca checks the CA but not the name', () => {
    const req = poolConfig('postgres://app@db.example/prod?sslmode=require', undefined);
    assert.ok(typeof req.ssl === 'object' && req.ssl.rejectUnauthorized === false);
    const vca = poolConfig(`postgres://app@db.example/prod?sslmode=verify-ca&sslrootcert=${encodeURIComponent(ca)}`, undefined);
    assert.ok(typeof vca.ssl === 'object' && vca.ssl.rejectUnauthorized === true && typeof vca.ssl.checkServerIdentity === 'function');
    assert.throws(() => poolConfig('postgres://app@db.example/prod?sslmode=verify-ca', undefined), configErr());
  });

  test('the configured password wins over one in the URL; pool size is configurable', () => {
    const cfg = poolConfig('postgres://app:inurl@db.example/prod', 'fromfile', { poolSize: 3 });
    assert.equal(cfg.password, 'fromfile');
    assert.equal(cfg.max, 3);
    assert.equal(poolConfig('postgres://app:in%40url@db.example/prod', undefined).password, 'in@url');
  });

  test('bad URLs are ERR_CONFIG and never echo the URL or its password', () => {
    const secret = 'hunter2secret';
    const bad = [
      `mysql://app:${secret}@db.example/prod`,
      `postgres://app:${secret}@db.example/prod?sslmode=allow`,
      `postgres://app:${secret}@db.example/prod?sslmode=verify-full&sslrootcert=/nonexistent/${secret}`,
      `postgres://app:${secret}@db.example/prod?host=evil`,
      `postgres://app:${secret}@db.example/`,
      `postgres://app:${secret}@db.example/prod?connect_timeout=-1`,
      `not a url ${secret}`,
    ];
    for (const url of bad) assert.throws(() => poolConfig(url, undefined), configErr(url, secret), url);
    assert.throws(() => poolConfig('postgres://app@db.example/prod', undefined, { poolSize: 0 }), configErr());
  });
});
