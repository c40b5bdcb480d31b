import type { FieldDef } from '../../config/schema.ts';
import type { SensitiveMatcher } from '../../db/filter-compile.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import type { KeyService } from '../keys/key-service.ts';
import { maskValue } from './masks.ts';
import { blindIndexColumn, hasBlindIndex, hasMaskColumn, maskColumn, REVISION_COLUMN } from './sensitive-columns.ts';
import type { RecordLocation, SensitiveStage, SensitiveView } from './stages.ts';

/**
 * What a blind index is computed over: NFKC-normalized text (emails also lower-cased), or the
 * JSON of any other scalar, prefixed with the field name so equal values in two fields of one
 * collection do not share an index.
 */
export function normalizeForIndex(field: FieldDef, value: unknown): string {
  let norm: string;
  if (typeof value === 'string') {
    norm = value.normalize('NFKC');
    if (field.type === 'email') norm = norm.toLowerCase();
  } else {
    norm = JSON.stringify(value);
  }
  return `${field.name}\u0000${norm}`;
}

/**
 * `unique` during an index-key rotation: the unique index compares stored strings, and a row
 * not yet re-indexed holds the same value's index under the older key, so the write looks for
 * those too (inside its transaction). ERR_CONFLICT as the unique index would answer.
 */
async function refuseOlderDuplicate(loc: RecordLocation, f: FieldDef, older: readonly string[]): Promise<void> {
  if (!loc.exec) throw new StrongboxError('ERR_INTERNAL', `a unique blind index of ${loc.collection.name}.${f.name} checked outside its write transaction`);
  const clash = await loc.exec.selectFrom(loc.collection.name).select('id')
    .where(blindIndexColumn(f.name), 'in', older).where('id', '!=', loc.recordId).limit(1).executeTakeFirst();
  if (clash) throw new StrongboxError('ERR_CONFLICT', `another record already has this ${f.name}`, { fields: { [f.name]: 'must be unique' } });
}

/**
 * Field encryption: a sensitive value is stored only as AES-256-GCM ciphertext bound to its
 * collection, field and record id (src/crypto/field-cipher.ts), plus its blind index and
 * encrypted mask when the field has them. Decryption happens only for fields the reader may see
 * in full; a masked reader gets the mask column decrypted, never the value.
 */
export function fieldEncryptionStage(keys: KeyService): SensitiveStage {
  // While an index key is being rotated, rows hold the index under either live key: a filter
  // looks for all of them (one value otherwise, the common case).
  const matcher: SensitiveMatcher = (field, collection) => ({
    column: blindIndexColumn(field.name),
    index: (value) => {
      const all = keys.blindIndexes(collection.name, normalizeForIndex(field, value));
      return all.length === 1 ? all[0] : all;
    },
  });

  const open = async (loc: RecordLocation, field: string, revision: unknown, stored: unknown): Promise<Buffer> => {
    try {
      return await keys.openField(loc.collection.name, field, loc.recordId, revision, stored, loc.exec);
    } catch (err) {
      // The message reaches the log only (a 5xx answers with the registry text): it names the
      // place and the reason, never a key or a value.
      throw new StrongboxError('ERR_INTERNAL',
        `sensitive field ${loc.collection.name}.${field} of record ${loc.recordId} did not decrypt: ${(err as Error).message}`);
    }
  };

  return {
    matcher,
    prepare: () => keys.fresh(),
    async encode(loc, values) {
      const out: Record<string, unknown> = Object.create(null);
      const name = loc.collection.name;
      const rev = loc.revision;
      if (rev === undefined) throw new StrongboxError('ERR_INTERNAL', 'a sensitive write without a revision');
      out[REVISION_COLUMN] = rev;
      for (const f of loc.collection.fields) {
        if (!f.sensitive || !Object.hasOwn(values, f.name)) continue;
        const v = values[f.name];
        const present = v !== null && v !== undefined;
        out[f.name] = present ? keys.sealField(name, f.name, loc.recordId, rev, Buffer.from(JSON.stringify(v), 'utf8')) : null;
        if (hasBlindIndex(f)) {
          if (!present) out[blindIndexColumn(f.name)] = null;
          else {
            const [current, ...older] = keys.blindIndexes(name, normalizeForIndex(f, v));
            out[blindIndexColumn(f.name)] = current;
            if (f.unique && older.length > 0) await refuseOlderDuplicate(loc, f, older);
          }
        }
        if (hasMaskColumn(f)) {
          const m = present ? maskValue(f.mask ?? 'full', v) : null;
          out[maskColumn(f.name)] = m === null ? null : keys.sealField(name, `${f.name}#mask`, loc.recordId, rev, Buffer.from(m, 'utf8'));
        }
      }
      return out;
    },
    async decode(loc, row, view: SensitiveView) {
      const out: Record<string, unknown> = Object.create(null);
      for (const f of view.reveal) {
        const stored = row[f.name];
        if (stored === null || stored === undefined) {
          out[f.name] = null;
          continue;
        }
        const plain = await open(loc, f.name, row[REVISION_COLUMN], stored);
        try {
          out[f.name] = JSON.parse(plain.toString('utf8'));
        } finally {
          plain.fill(0);
        }
      }
      for (const f of view.mask) {
        const stored = row[maskColumn(f.name)];
        if (stored === null || stored === undefined) continue;
        out[f.name] = (await open(loc, `${f.name}#mask`, row[REVISION_COLUMN], stored)).toString('utf8');
      }
      return out;
    },
  };
}
