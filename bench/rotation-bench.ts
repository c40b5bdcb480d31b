/**
 * Online re-encryption throughput: a SQLite Strongbox with RECORDS records of three sensitive
 * fields serves GET-by-id load from wrk while `keys rotate` re-encrypts every ciphertext in the
 * same process (as a serving instance does). Prints fields/s (target ≥ 50,000) and the load's
 * failures (target 0). `tsx bench/rotation-bench.ts [records]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { openEngine } from '../src/core/engine.ts';
import { buildServer } from '../src/http/build-server.ts';
import { rotateDataKeys } from '../src/core/keys/key-admin.ts';
import { collection, field, testConfig, bearer } from '../test/helpers/test-engine.ts';
import { requireWrk, runLoad } from './load.ts';

const RECORDS = Number(process.argv[2] ?? 30_000);
const TARGET = 50_000; // fields/s
const PEOPLE = collection('people', [
  field('name', 'text'),
  field('ssn', 'text', { sensitive: true, searchable: true, mask: 'last4' }),
  field('email', 'email', { sensitive: true, mask: 'email' }),
], { list: 'owner = @auth.id', view: 'owner = @auth.id', create: '@auth.id != null' });

requireWrk();
const dir = mkdtempSync(join(tmpdir(), 'sb-rotation-bench-'));
const config = { ...testConfig({ kind: 'sqlite', path: join(dir, 'bench.db') }, { collections: [PEOPLE] }), keys: { kek: { kind: 'file' as const, path: join(dir, 'kek.key') }, rotationBatch: 1000 } };
const engine = await openEngine(config);
const app = await buildServer(engine, { logger: false });
await app.listen({ host: '127.0.0.1', port: 0 });
const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
await engine.accounts.register('bench@example.com', 'bench-password-123');
const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'bench@example.com', password: 'bench-password-123' } });
const { token, account } = login.json() as { token: string; account: { id: string; email: string; role: string } };
const me = { id: account.id, role: account.role, email: account.email };
const ids: string[] = [];
for (let i = 0; i < RECORDS; i++) {
  const r = await engine.records.create(me, 'people', { name: `p${i}`, ssn: `${100 + (i % 900)}-${String(i % 100).padStart(2, '0')}-${String(i % 10_000).padStart(4, '0')}`, email: `p${i}@example.com` });
  ids.push(String(r.id));
}
const fields = RECORDS * 4; // ssn, email and their two masks
process.stderr.write(`seeded ${RECORDS} records (${fields} ciphertexts)\n`);

const started = process.hrtime.bigint();
let doneAt = 0n;
const rotation = rotateDataKeys(engine, { graceMs: 0 }).then(() => { doneAt = process.hrtime.bigint(); });
const load = runLoad({ url, seconds: 8, connections: 4, headers: bearer(token), paths: ids.slice(0, 2000).map((id) => `/api/collections/people/records/${id}`) });
const [m] = await Promise.all([load, rotation]);
const seconds = Number(doneAt - started) / 1e9;
const rate = fields / seconds;
process.stdout.write(`re-encrypted ${fields} ciphertexts in ${seconds.toFixed(2)} s = ${Math.round(rate).toLocaleString('en-US')} fields/s (target ≥ ${TARGET.toLocaleString('en-US')}) `
  + `while serving ${m.reqPerSec.toFixed(0)} GET/s with ${m.failures} failed requests\n`);
await app.close();
await engine.close();
rmSync(dir, { recursive: true, force: true });
process.exit(rate >= TARGET && m.failures === 0 ? 0 : 1);
