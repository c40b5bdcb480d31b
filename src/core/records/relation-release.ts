import type { Kysely } from 'kysely';
import type { CollectionDef } from '../../config/schema.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Executor = Kysely<any>;

/**
 * When a record is deleted, no relation may keep its id as if it were still valid. Inside the
 * delete's transaction, on both dialects alike:
 * - an optional relation field that names it is set to null (and its record's `updated` moves),
 *   each such change reported to `changed` for the audit trail;
 * - a required relation field that names it refuses the delete (ERR_CONFLICT), since null is
 *   not a value it may hold.
 */
export async function releaseReferences(
  trx: Executor,
  collections: Readonly<Record<string, CollectionDef>>,
  target: string,
  id: string,
  now: string,
  changed: (def: CollectionDef, recordId: string, field: string) => Promise<void>,
): Promise<void> {
  for (const def of Object.values(collections)) {
    for (const f of def.fields) {
      if (f.type !== 'relation' || f.collection !== target) continue;
      if (f.required) {
        const used = await trx.selectFrom(def.name).select('id').where(f.name, '=', id).limit(1).executeTakeFirst();
        if (used) throw new StrongboxError('ERR_CONFLICT', `the record is still named by the required relation ${def.name}.${f.name}`);
        continue;
      }
      const rows = await trx.updateTable(def.name).set({ [f.name]: null, updated: now }).where(f.name, '=', id).returning('id').execute();
      for (const r of rows) await changed(def, String(r.id), f.name);
    }
  }
}
