import type { Kysely } from 'kysely';
import type { KeyPurpose, WrappedKey } from '../../crypto/keyring.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Executor = Kysely<any>;

export type KeyState = 'active' | 'retired';

export interface StoredKey {
  readonly purpose: KeyPurpose;
  readonly scope: string;
  readonly version: number;
  readonly state: KeyState;
  readonly kekId: string;
  /** null once retired: a retired row keeps no key material */
  readonly wrapped: Buffer | null;
  readonly created: string;
  readonly retired: string | null;
}

interface KeyRow { purpose: string; scope: string; version: number | string; state: string; kek_id: string; wrapped: string | null; created: string; retired: string | null }

const toStored = (r: KeyRow): StoredKey => ({
  purpose: r.purpose as KeyPurpose,
  scope: r.scope,
  version: Number(r.version),
  state: r.state as KeyState,
  kekId: r.kek_id,
  wrapped: r.wrapped === null ? null : Buffer.from(r.wrapped, 'base64'),
  created: r.created,
  retired: r.retired,
});

/** The `_sb_keys` table: wrapped keys only. */
export async function listKeys(exec: Executor): Promise<StoredKey[]> {
  const rows = await exec.selectFrom('_sb_keys').selectAll().orderBy('purpose').orderBy('scope').orderBy('version').execute();
  return (rows as KeyRow[]).map(toStored);
}

/** Inserts a new key version; false when another instance stored that version first. */
export async function insertKey(exec: Executor, w: WrappedKey, now: string): Promise<boolean> {
  const r = await exec.insertInto('_sb_keys')
    .values({ purpose: w.purpose, scope: w.scope, version: w.version, state: 'active', kek_id: w.kekId, wrapped: w.wrapped.toString('base64'), created: now, retired: null })
    .onConflict((oc) => oc.columns(['purpose', 'scope', 'version']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
}

export async function replaceWrapped(exec: Executor, w: WrappedKey): Promise<void> {
  await exec.updateTable('_sb_keys').set({ kek_id: w.kekId, wrapped: w.wrapped.toString('base64') })
    .where('purpose', '=', w.purpose).where('scope', '=', w.scope).where('version', '=', w.version).execute();
}

export async function retireKey(exec: Executor, purpose: KeyPurpose, scope: string, version: number, now: string): Promise<void> {
  await exec.updateTable('_sb_keys').set({ state: 'retired', wrapped: null, retired: now })
    .where('purpose', '=', purpose).where('scope', '=', scope).where('version', '=', version).execute();
}

/** The newest active version of a per-collection or server-wide key, or 0 when none. */
export async function latestVersion(exec: Executor, purpose: KeyPurpose, scope: string): Promise<number> {
  const r = await exec.selectFrom('_sb_keys').select((eb) => eb.fn.max('version').as('v'))
    .where('purpose', '=', purpose).where('scope', '=', scope).where('state', '=', 'active').executeTakeFirst();
  return r?.v == null ? 0 : Number(r.v);
}
