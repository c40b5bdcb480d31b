/**
 * A throwaway SoftHSM2 token for PKCS#11 tests: its own config and token folder in a temp dir,
 * a user PIN, and an AES-256 key generated inside the token (not extractable, sensitive).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Pkcs11Module from 'pkcs11js';

export const SOFTHSM_MODULE_CANDIDATES = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so'];

export function findSoftHsm(): string | null {
  return SOFTHSM_MODULE_CANDIDATES.find((p) => existsSync(p)) ?? null;
}

export interface TestToken {
  readonly module: string;
  readonly token: string;
  readonly pin: string;
  readonly conf: string;
  readonly dir: string;
  /** generates another AES key in the token */
  addKey(label: string): void;
  cleanup(): void;
}

export function createTestToken(keyLabel = 'strongbox-kek', token = 'sbtest'): TestToken {
  const module = findSoftHsm();
  if (module === null) throw new Error('SoftHSM2 is not installed (Debian package softhsm2)');
  const dir = mkdtempSync(join(tmpdir(), 'sb-hsm-'));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const pin = '4321-test-pin';
  process.env.SOFTHSM2_CONF = conf;
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', token, '--pin', pin, '--so-pin', '9876-so-pin'], { stdio: 'ignore', env: { ...process.env, SOFTHSM2_CONF: conf } });
  const addKey = (label: string): void => generateAesKey(module, token, pin, label);
  addKey(keyLabel);
  return { module, token, pin, conf, dir, addKey, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function generateAesKey(module: string, token: string, pin: string, label: string): void {
  const lib = createRequire(import.meta.url)('pkcs11js') as typeof Pkcs11Module;
  const p11 = new lib.PKCS11();
  p11.load(module);
  p11.C_Initialize();
  try {
    const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === token);
    if (slot === undefined) throw new Error(`no token ${token}`);
    const session = p11.C_OpenSession(slot, lib.CKF_SERIAL_SESSION | lib.CKF_RW_SESSION);
    p11.C_Login(session, lib.CKU_USER, pin);
    p11.C_GenerateKey(session, { mechanism: lib.CKM_AES_KEY_GEN }, [
      { type: lib.CKA_CLASS, value: lib.CKO_SECRET_KEY },
      { type: lib.CKA_KEY_TYPE, value: lib.CKK_AES },
      { type: lib.CKA_VALUE_LEN, value: 32 },
      { type: lib.CKA_LABEL, value: label },
      { type: lib.CKA_TOKEN, value: true },
      { type: lib.CKA_SENSITIVE, value: true },
      { type: lib.CKA_EXTRACTABLE, value: false },
      { type: lib.CKA_ENCRYPT, value: true },
      { type: lib.CKA_DECRYPT, value: true },
    ]);
    p11.C_Logout(session);
    p11.C_CloseSession(session);
  } finally {
    p11.C_Finalize();
  }
}
