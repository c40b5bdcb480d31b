import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FLUSH_MS } from '../../src/core/limits/database-counter-store.ts';
import { DEFAULT_POLL_MS } from '../../src/core/jobs/job-runner.ts';
import { BACKGROUND_LEASE_MS } from '../../src/core/keys/background-reencrypt.ts';

const doc = readFileSync('docs/postgres.md', 'utf8');

test('docs/postgres.md states the numbers the code has: flush interval, job poll', () => {
  assert.ok(doc.includes(`every **${FLUSH_MS} ms**`), 'the rate-limit flush interval');
  assert.ok(doc.includes(`within one flush interval (${FLUSH_MS} ms)`));
  assert.ok(doc.includes(`polls every ${DEFAULT_POLL_MS / 1000} s`), 'the job runner poll');
  assert.ok(readFileSync('docs/keys.md', 'utf8').includes(`${BACKGROUND_LEASE_MS / 1000} s for a serving instance`));
});
