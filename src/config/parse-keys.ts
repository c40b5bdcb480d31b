import { isAbsolute, resolve } from 'node:path';
import { IssueSink, unlocatedSource, type KeyPath } from './config-error.ts';
import { checkKeys, expectMap, own } from './read-value.ts';

/**
 * Where the key-encryption key comes from (`keys.kek`). The PKCS#11 PIN is not here: it is read
 * from STRONGBOX_PKCS11_PIN_FILE when the token is opened, so the frozen config holds no secret.
 */
export type KekConfig =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'pkcs11'; readonly module: string; readonly token: string; readonly key: string };

export interface KeysConfig {
  readonly kek: KekConfig;
  /** Records re-encrypted per batch by the rotation job (default 500). */
  readonly rotationBatch: number;
}

/** Where dev mode keeps its KEK when the config names none. */
export const DEV_KEK_PATH = './data/kek.key';

const ENV_NAME = /^[A-Z_][A-Z0-9_]{0,127}$/;
const PKCS11_KEYS = ['module', 'token', 'key'] as const;
const LABEL = /^[\x20-\x7e]{1,32}$/;

/**
 * keys: { kek: "file:PATH" | "env:NAME" | "pkcs11:module=/path/lib.so;token=LABEL;key=LABEL" }
 * Absent: file:./data/kek.key, created when the database holds no keys yet (marked as a dev key
 * in dev mode, which production `serve` refuses).
 */
export function parseKeys(raw: unknown, baseDir: string, sink: IssueSink): KeysConfig {
  const path: KeyPath = ['keys'];
  const fallback: KeysConfig = { kek: { kind: 'file', path: resolve(baseDir, DEV_KEK_PATH) }, rotationBatch: 500 };
  let map: Record<string, unknown> = {};
  if (raw !== undefined && raw !== null) {
    const m = expectMap(raw, path, sink);
    if (!m) return fallback;
    checkKeys(m, ['kek', 'rotationBatch'], path, sink, 'keys');
    map = m;
  }
  const batch = own(map, 'rotationBatch');
  let rotationBatch = 500;
  if (batch !== undefined) {
    if (typeof batch === 'number' && Number.isInteger(batch) && batch >= 10 && batch <= 10_000) rotationBatch = batch;
    else sink.add([...path, 'rotationBatch'], 'expected an integer from 10 to 10000 (records per batch)');
  }
  const text = own(map, 'kek');
  if (text === undefined) return { ...fallback, rotationBatch };
  const kek = parseKek(text, baseDir, [...path, 'kek'], sink);
  return { kek: kek ?? fallback.kek, rotationBatch };
}

function parseKek(text: unknown, baseDir: string, path: KeyPath, sink: IssueSink): KekConfig | null {
  if (typeof text !== 'string' || text.length > 1024 || /[\u0000-\u001f\u007f]/.test(text)) {
    sink.add(path, "expected 'file:PATH', 'env:NAME' or 'pkcs11:module=…;token=…;key=…'");
    return null;
  }
  if (text.startsWith('file:')) {
    const p = text.slice(5);
    if (p === '') sink.add(path, 'file: needs a path');
    else return { kind: 'file', path: resolve(baseDir, p) };
    return null;
  }
  if (text.startsWith('env:')) {
    const name = text.slice(4);
    if (ENV_NAME.test(name)) return { kind: 'env', name };
    sink.add(path, 'env: needs an environment variable name such as STRONGBOX_KEK');
    return null;
  }
  if (text.startsWith('pkcs11:')) return parsePkcs11(text.slice(7), path, sink);
  sink.add(path, "expected 'file:PATH', 'env:NAME' or 'pkcs11:module=…;token=…;key=…'");
  return null;
}

function parsePkcs11(text: string, path: KeyPath, sink: IssueSink): KekConfig | null {
  const parts = new Map<string, string>();
  for (const item of text.split(';')) {
    const eq = item.indexOf('=');
    const name = eq < 0 ? item : item.slice(0, eq);
    if (!(PKCS11_KEYS as readonly string[]).includes(name) || eq < 0) {
      sink.add(path, `pkcs11: accepts only module=, token= and key= (separated by ';'); got '${name.slice(0, 40)}'`);
      return null;
    }
    if (parts.has(name)) {
      sink.add(path, `pkcs11: ${name}= is given twice`);
      return null;
    }
    parts.set(name, item.slice(eq + 1));
  }
  const module = parts.get('module') ?? '';
  const token = parts.get('token') ?? '';
  const key = parts.get('key') ?? '';
  if (!isAbsolute(module)) sink.add(path, 'pkcs11: module= must be the absolute path of the PKCS#11 library');
  else if (!LABEL.test(token)) sink.add(path, 'pkcs11: token= must be the token label (1-32 printable characters)');
  else if (!LABEL.test(key)) sink.add(path, 'pkcs11: key= must be the key label (1-32 printable characters)');
  else return { kind: 'pkcs11', module, token, key };
  return null;
}

/** Parses a KEK spec given on the command line (`keys rotate --kek --to SPEC`); ERR_USAGE on error. */
export function parseKekSpec(text: string, baseDir: string): KekConfig {
  const sink = new IssueSink(unlocatedSource('--to'));
  const kek = parseKek(text, baseDir, ['--to'], sink);
  sink.throwIfAny();
  if (kek === null) throw new TypeError('parseKekSpec: no KEK and no issue'); // a bug
  return kek;
}
