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

  // The message reaches the log only (a 5xx answers with the registry text): it names the place
  // and the reason, never a key or a value.
  const failed = (loc: RecordLocation, field: string, err: unknown): StrongboxError => new StrongboxError('ERR_INTERNAL',
    `sensitive field ${loc.collection.name}.${field} of record ${loc.recordId} did not decrypt: ${(err as Error).message}`);
  /** Opens one stored value now; null when its key must be loaded first. */
  const openNow = (loc: RecordLocation, field: string, revision: unknown, stored: unknown): Buffer | null => {
    try {
      return keys.openFieldNow(loc.collection.name, field, loc.recordId, revision, stored);
    } catch (err) {
      throw failed(loc, field, err);
    }
  };
  const open = async (loc: RecordLocation, field: string, revision: unknown, stored: unknown): Promise<Buffer> => {
    try {
      return await keys.openField(loc.collection.name, field, loc.recordId, revision, stored, loc.exec);
    } catch (err) {
      throw failed(loc, field, err);
    }
  };
  /** Both ways of decoding: `opener` gives a value's plaintext, or null to give up (decodeNow). */
  const decodeWith = (loc: RecordLocation, row: Readonly<Record<string, unknown>>, view: SensitiveView,
    opener: (field: string, stored: unknown) => Buffer | null): Record<string, unknown> | null => {
    const out: Record<string, unknown> = Object.create(null);
    for (const f of view.reveal) {
      const stored = row[f.name];
      if (stored === null || stored === undefined) {
        out[f.name] = null;
        continue;
      }
      const plain = opener(f.name, stored);
      if (plain === null) return null;
      try {
        out[f.name] = JSON.parse(plain.toString('utf8'));
      } finally {
        plain.fill(0);
      }
    }
    for (const f of view.mask) {
      const stored = row[maskColumn(f.name)];
      if (stored === null || stored === undefined) continue;
      const plain = opener(`${f.name}#mask`, stored);
      if (plain === null) return null;
      out[f.name] = plain.toString('utf8');
    }
    return out;
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
    decode(loc, row, view: SensitiveView) {
      const now = decodeWith(loc, row, view, (field, stored) => openNow(loc, field, row[REVISION_COLUMN], stored));
      if (now !== null) return now;
      // A key version this process does not hold yet: load the keys, then open every value.
      return (async () => {
        const opened = new Map<string, Buffer>();
        for (const [field, stored] of sensitiveValues(row, view)) opened.set(field, await open(loc, field, row[REVISION_COLUMN], stored));
        return decodeWith(loc, row, view, (field) => opened.get(field) ?? null) as Record<string, unknown>;
      })();
    },
  };
}

/** The stored values a view decrypts, by the field name their associated data uses. */
function sensitiveValues(row: Readonly<Record<string, unknown>>, view: SensitiveView): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const f of view.reveal) if (row[f.name] !== null && row[f.name] !== undefined) out.push([f.name, row[f.name]]);
  for (const f of view.mask) {
    const stored = row[maskColumn(f.name)];
    if (stored !== null && stored !== undefined) out.push([`${f.name}#mask`, stored]);
  }
  return out;
}
