import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildConfig } from '../../src/config/build-config.ts';
import { ConfigError } from '../../src/config/config-error.ts';

const build = (audit: unknown) => buildConfig({ audit }, { baseDir: '/srv/sb' });

function issues(audit: unknown): string {
  try {
    build(audit);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  throw new Error('expected ERR_CONFIG');
}

test('audit config: safe defaults, paths from the config folder', () => {
  const c = build(undefined).audit;
  assert.deepEqual(c, { checkpoints: '/srv/sb/data/audit-checkpoints', checkpointEvery: 1000, checkpointInterval: 60, syslog: null });
  const s = build({ checkpoints: 'cp', checkpointInterval: '5m', syslog: { host: 'logs.example.com', ca: 'ca.pem' } }).audit;
  assert.equal(s.checkpoints, '/srv/sb/cp');
  assert.equal(s.checkpointInterval, 300);
  assert.deepEqual(s.syslog, {
    host: 'logs.example.com', port: 6514, ca: '/srv/sb/ca.pem', cert: null, key: null, serverName: null,
    bufferLimit: 100000, whenFull: 'fail-closed',
  });
});

test('audit config: unknown keys and bad values are ERR_CONFIG naming the key', () => {
  assert.match(issues({ checkpoint: 'x' }), /audit\.checkpoint/);
  assert.match(issues({ checkpointEvery: 0 }), /audit\.checkpointEvery/);
  assert.match(issues({ checkpointInterval: 'soon' }), /audit\.checkpointInterval/);
  assert.match(issues({ syslog: { host: 'h' } }), /audit\.syslog\.ca/);
  assert.match(issues({ syslog: { host: 'h', ca: 'c', cert: 'x.pem' } }), /audit\.syslog\.key/);
  assert.match(issues({ syslog: { host: 'h', ca: 'c', whenFull: 'drop' } }), /audit\.syslog\.whenFull/);
  assert.match(issues({ syslog: { host: 'h -oProxy', ca: 'c' } }), /audit\.syslog\.host/);
  assert.match(issues({ syslog: { host: 'h', ca: 'c', tls: false } }), /audit\.syslog\.tls/);
});
