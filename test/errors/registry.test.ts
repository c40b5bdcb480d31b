import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ERRORS } from '../../src/errors/registry.ts';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

test('every ERR_ code used in src/ is registered', () => {
  const unknown = new Set<string>();
  for (const file of sourceFiles('src')) {
    for (const m of readFileSync(file, 'utf8').matchAll(/['"`](ERR_[A-Z0-9_]+)['"`]/g)) {
      if (!Object.hasOwn(ERRORS, m[1])) unknown.add(`${m[1]} (${file})`);
    }
  }
  assert.deepEqual([...unknown], []);
});

test('every registered code is documented in the README with its status', () => {
  const readme = readFileSync('README.md', 'utf8');
  const missing = Object.entries(ERRORS)
    .filter(([code, { status }]) => !new RegExp(`\\|\\s*\`${code}\`\\s*\\|\\s*${status}\\s*\\|`).test(readme))
    .map(([code]) => code);
  assert.deepEqual(missing, []);
});

test('every code has a client-safe public message', () => {
  for (const [code, { status, message }] of Object.entries(ERRORS)) {
    assert.match(code, /^ERR_[A-Z0-9_]+$/);
    assert.ok(status >= 400 && status < 600, code);
    assert.ok(message.length > 5 && !/[{}<>]|SELECT|\/work\//.test(message), code);
  }
});
