import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERRORS } from '../../src/errors/registry.ts';
import { DEV_KEK_PATH, parseKeys } from '../../src/config/parse-keys.ts';
import { IssueSink, unlocatedSource } from '../../src/config/config-error.ts';
import { KEY_PURPOSES } from '../../src/crypto/keyring.ts';
import { FIELD_OVERHEAD_BYTES } from '../../src/crypto/field-cipher.ts';
import { REENCRYPT_POLL_MS } from '../../src/core/keys/background-reencrypt.ts';

const doc = readFileSync('docs/keys.md', 'utf8');

test('docs/keys.md names every key-related error code that exists', () => {
  for (const code of Object.keys(ERRORS).filter((c) => /^ERR_(KEK|KEY)_|SENSITIVE/.test(c))) assert.ok(doc.includes(`\`${code}\``), code);
});

test('docs/keys.md lists every key purpose, the defaults and the layout as the code has them', () => {
  for (const p of KEY_PURPOSES) assert.ok(doc.includes(`| \`${p}\` |`), p);
  const defaults = parseKeys(undefined, '/srv', new IssueSink(unlocatedSource()));
  assert.ok(doc.includes(`rotationBatch: ${defaults.rotationBatch} `));
  assert.ok(doc.includes(`file:${DEV_KEK_PATH}`));
  assert.equal(FIELD_OVERHEAD_BYTES, 1 + 4 + 12 + 16);
  assert.match(doc, /\| 17\+n \| 16 \| GCM tag \|/);
  assert.ok(doc.includes(`every ${REENCRYPT_POLL_MS / 1000} seconds`));
});
