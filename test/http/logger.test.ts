import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loggerOptions, REDACT_PATHS } from '../../src/http/logger-options.ts';

function capture(opts: Record<string, unknown>): { log: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } });
  return { log: pino(opts, stream), lines };
}

test('logging is off unless asked for', () => {
  assert.equal(loggerOptions(undefined), false);
  assert.equal(loggerOptions(false), false);
});

test('credentials and password fields are redacted, and a caller cannot switch redaction off', () => {
  const opts = loggerOptions({ level: 'info', redact: { paths: [] } });
  assert.ok(opts);
  assert.deepEqual((opts.redact as { paths: string[] }).paths, [...REDACT_PATHS]);
  const { log, lines } = capture(opts);
  log.info({
    req: { headers: { authorization: 'Bearer SECRET-TOKEN', cookie: '__Host-strongbox_session=SECRET-COOKIE' } },
    res: { headers: { 'set-cookie': '__Host-strongbox_session=SECRET-SET' } },
    body: { email: 'a@b.co', password: 'SECRET-PASSWORD' },
    account: { password_hash: '$argon2id$SECRET' },
  }, 'request');
  const text = lines.join('');
  for (const secret of ['SECRET-TOKEN', 'SECRET-COOKIE', 'SECRET-SET', 'SECRET-PASSWORD', '$argon2id$SECRET']) {
    assert.ok(!text.includes(secret), secret);
  }
  assert.ok(text.includes('[redacted]'));
  assert.ok(text.includes('a@b.co'), 'other fields still logged');
});
