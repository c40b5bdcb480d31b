import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { ConfigError } from '../../src/config/config-error.ts';
import { loadConfig, type LoadConfigOptions } from '../../src/config/load-config.ts';
import type { StrongboxConfig } from '../../src/config/config.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh folder holding strongbox.yaml with `text`; returns the file's path. */
export function writeConfig(text: string | Buffer, name = 'strongbox.yaml'): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-config-'));
  dirs.push(dir);
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

export function loadText(text: string, opts?: LoadConfigOptions): StrongboxConfig {
  return loadConfig(writeConfig(text), opts);
}

/** Loads `text`, expects ERR_CONFIG, and returns the ConfigError. */
export function configError(text: string, opts?: LoadConfigOptions): ConfigError {
  try {
    loadText(text, opts);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.code, 'ERR_CONFIG');
    return err;
  }
  assert.fail('expected the config to be refused');
}

/** The `file:line:col: path` of the only issue. */
export function onlyIssue(text: string, opts?: LoadConfigOptions): string {
  const err = configError(text, opts);
  assert.equal(err.issues.length, 1, err.message);
  return err.issues[0].text;
}
