/** Shared setup for record tests: collections covering every field type, callers, a service per dialect. */
import assert from 'node:assert/strict';
import type { KyselyPlugin } from 'kysely';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';
import type { CollectionDef } from '../../src/config/schema.ts';
import type { Caller } from '../../src/core/caller.ts';
import { RecordService } from '../../src/core/records/record-service.ts';
import type { RecordStages } from '../../src/core/records/stages.ts';
import type { Database } from '../../src/db/database.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { applyMigration } from '../../src/db/migrate/apply-migration.ts';
import { planMigration } from '../../src/db/migrate/plan-migration.ts';
import { runSystemMigrations } from '../../src/db/migrate/system-migrations.ts';
import { randomId } from '../../src/crypto/random-id.ts';
import type { DialectCtx } from '../helpers/dialects.ts';
import { collection, ensureTestKek, field } from '../helpers/test-engine.ts';
import { KeyService } from '../../src/core/keys/key-service.ts';
import { fieldEncryptionStage } from '../../src/core/records/field-encryption-stage.ts';

const OWNER_RULES = {
  list: 'owner = @auth.id',
  view: 'owner = @auth.id',
  create: '@auth.id != null',
  update: 'owner = @auth.id',
  delete: 'owner = @auth.id',
};

export const NOTES = collection('notes', [
  field('title', 'text', { required: true, max: 200 }),
  field('body', 'text'),
  field('tag', 'text', { index: true }),
  field('stars', 'number', { integer: true, default: 0 }),
], OWNER_RULES);

/** One field of every type, open to any signed-in caller, for validation tests. */
export const KINDS = collection('kinds', [
  field('t', 'text', { min: 2, max: 5 }),
  field('code', 'text', { pattern: '^[A-Z]{3}$' }),
  field('free', 'text'),
  field('i', 'number', { integer: true, min: -10, max: 10 }),
  field('f', 'number', { min: 0, max: 1 }),
  field('b', 'boolean'),
  field('e', 'email'),
  field('u', 'url'),
  field('d', 'date'),
  field('dt', 'datetime'),
  field('s', 'select', { values: ['red', 'green'] }),
  field('ms', 'select', { values: ['a', 'b', 'c'], multiple: true }),
  field('j', 'json'),
  field('note', 'relation', { collection: 'notes' }),
  field('req', 'text', { required: true, default: 'dflt' }),
], { list: '@auth.id != null', view: '@auth.id != null', create: '@auth.id != null', update: '@auth.id != null', delete: '@auth.id != null' });

/** Field read rules: `salary` per record (owner only), `diagnosis` per caller (doctors only). */
export const PEOPLE = collection('people', [
  field('name', 'text'),
  field('salary', 'number', { read: 'owner = @auth.id' }),
  field('diagnosis', 'text', { read: "@auth.role = 'doctor'" }),
], { list: 'true', view: 'true', create: '@auth.id != null', update: 'owner = @auth.id', delete: 'owner = @auth.id' });

export const UNIQ = collection('uniq', [field('email', 'email', { unique: true }), field('n', 'number')], {
  list: 'true', view: 'true', create: 'true', update: 'true', delete: 'true',
});

/** A create rule that names a body field: only titles starting with "ok" may be created. */
export const GATED = collection('gated', [field('title', 'text'), field('level', 'number')], {
  list: 'true', view: 'true', create: "title ~ 'ok' && level < 5 && owner = @auth.id && @auth.id != null", update: 'level < 5', delete: null,
});

export const ALL = [NOTES, KINDS, PEOPLE, UNIQ, GATED];

export const caller = (role: string | null = 'user', email: string | null = null): Caller =>
  Object.freeze({ id: randomId(), role, email });

export const ADMIN: Caller = Object.freeze({ id: randomId(), role: 'admin', email: 'admin@example.com' });

export interface Fixture {
  readonly db: Database;
  /** Another instance on the same database, with its own connection and keyring, closed with this one. */
  peer(): Promise<{ readonly svc: RecordService; readonly keys: KeyService }>;
  readonly svc: RecordService;
  readonly keys: KeyService;
  count(table: string): Promise<number>;
  close(): Promise<void>;
}

export async function openFixture(t: DialectCtx, stages?: Partial<RecordStages>, collections: CollectionDef[] = ALL): Promise<Fixture> {
  const spec = await t.freshDatabase();
  const db = await openDatabase(spec);
  await runSystemMigrations(db);
  await applyMigration(db, await planMigration(db, collections), { allowDestructive: false });
  const map = Object.fromEntries(collections.map((c) => [c.name, c]));
  const instance = async (on: Database) => {
    const keys = await KeyService.open(on, {
      kek: { kind: 'env', name: ensureTestKek() }, dev: true,
      collections: collections.filter((c) => c.fields.some((f) => f.sensitive)).map((c) => c.name),
    });
    const svc = new RecordService({ db: on, collections: map, limits: { perPageDefault: 30, perPageMax: 500 }, stages: { sensitive: fieldEncryptionStage(keys), ...stages } });
    keys.onIndexKeysChange(() => svc.queries.clear()); // as the engine does
    return { svc, keys };
  };
  const { svc, keys } = await instance(db);
  const peers: Array<() => Promise<void>> = [];
  return {
    db,
    svc,
    keys,
    async peer() {
      const other = await openDatabase(spec);
      const p = await instance(other);
      peers.push(async () => {
        await p.keys.close();
        await other.close();
      });
      return p;
    },
    async count(table) {
      const row = await db.kysely.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async close() {
      for (const close of peers) await close();
      await keys.close();
      await db.close();
    },
  };
}

/** Awaits a rejection with `code` and returns the error for further checks (a value that is not a promise fails it). */
export async function rejectsWith(p: unknown, code: string): Promise<StrongboxError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof StrongboxError, `expected a StrongboxError, got ${String(e)}`);
    assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
    return e;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}

/** Records the root node kind of every statement the service issues (to prove "one statement"). */
export function statementLog(db: Database): { db: Database; kinds: string[] } {
  const kinds: string[] = [];
  const plugin: KyselyPlugin = {
    transformQuery(args) {
      kinds.push(args.node.kind);
      return args.node;
    },
    async transformResult(args) {
      return args.result;
    },
  };
  const kysely = db.kysely.withPlugin(plugin);
  return { db: { dialect: db.dialect, kysely, write: (work) => db.write((trx) => work(trx.withPlugin(plugin))), close: () => db.close() }, kinds };
}
