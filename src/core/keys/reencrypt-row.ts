import type { CollectionDef, FieldDef } from '../../config/schema.ts';
import { storedKeyId } from '../../crypto/field-cipher.ts';
import type { RowRewrite } from '../../db/reencrypt-batch.ts';
import { normalizeForIndex } from '../records/field-encryption-stage.ts';
import { blindIndexColumn, hasBlindIndex, hasMaskColumn, maskColumn, REVISION_COLUMN } from '../records/sensitive-columns.ts';
import type { KeyService } from './key-service.ts';

/** Where one sensitive field's columns sit in the job's column list. */
interface FieldSlots {
  readonly def: FieldDef;
  readonly value: number;
  readonly mask: number; // -1: none
  readonly index: number; // -1: not searchable
}

/** The columns the job reads and writes for one collection, in a fixed order. */
export interface RowPlan {
  readonly columns: readonly string[];
  /** the ciphertext columns (values and masks) */
  readonly cipherColumns: readonly string[];
  readonly fields: readonly FieldSlots[];
  readonly indexed: boolean;
}

export function rowPlan(def: CollectionDef): RowPlan {
  const columns: string[] = [];
  const cipherColumns: string[] = [];
  const fields: FieldSlots[] = [];
  const add = (c: string): number => columns.push(c) - 1;
  for (const f of def.fields) {
    if (!f.sensitive) continue;
    const value = add(f.name);
    cipherColumns.push(f.name);
    let mask = -1;
    if (hasMaskColumn(f)) {
      mask = add(maskColumn(f.name));
      cipherColumns.push(maskColumn(f.name));
    }
    fields.push({ def: f, value, mask, index: hasBlindIndex(f) ? add(blindIndexColumn(f.name)) : -1 });
  }
  return { columns, cipherColumns, fields, indexed: fields.some((f) => f.index >= 0) };
}

export interface RowContext {
  readonly keys: KeyService;
  readonly collection: string;
  /** the data-key version every ciphertext should name */
  readonly target: number;
  /** the index-key version every blind index should be under */
  readonly indexTarget: number;
  /** true while several index keys are live: every index is recomputed and compared */
  readonly reindex: boolean;
}

/** A ciphertext names a data-key version this process has not loaded (another instance rotated). */
export class UnknownKeyVersion extends Error {}

/** The key id a stored value names, read from its base64 head; UnknownKeyVersion for one not loaded here. */
function version(ctx: RowContext, stored: string): number | null {
  const v = storedKeyId(stored);
  if (v !== null && v !== ctx.target && !ctx.keys.hasFieldKey(ctx.collection, v)) throw new UnknownKeyVersion();
  return v;
}

const asText = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/**
 * What one row needs: ciphertexts under an older data key re-sealed (same place, same revision,
 * so the associated data is unchanged), blind indexes that are missing or under an older index
 * key recomputed from the plaintext in hand. Null when the row is already current.
 */
export function rewriteRow(ctx: RowContext, plan: RowPlan, row: Readonly<Record<string, unknown>>): RowRewrite | null {
  const id = String(row.id);
  const revision = String(row[REVISION_COLUMN]);
  const { columns } = plan;
  const from: (string | null)[] = new Array(columns.length);
  for (let i = 0; i < columns.length; i++) from[i] = asText(row[columns[i]]);
  let to: (string | null)[] | null = null;
  for (const f of plan.fields) {
    const stored = from[f.value];
    const name = f.def.name;
    if (stored !== null) {
      const current = version(ctx, stored) === ctx.target;
      const index = f.index >= 0 ? from[f.index] : null;
      const needIndex = f.index >= 0 && (index === null || ctx.reindex);
      if (!current || needIndex) {
        // a foreign or truncated value fails here (FieldDecryptError), as on a read
        const place = { collection: ctx.collection, field: name, recordId: id, revision };
        const plain = ctx.keys.openAt(place, Buffer.from(stored, 'base64'));
        try {
          if (!current) (to ??= from.slice())[f.value] = ctx.keys.sealAt(place, plain);
          if (needIndex) {
            const want = ctx.keys.blindIndexAt(ctx.collection, ctx.indexTarget, normalizeForIndex(f.def, JSON.parse(plain.toString('utf8'))));
            if (want !== index) (to ??= from.slice())[f.index] = want;
          }
        } finally {
          plain.fill(0);
        }
      }
    } else if (f.index >= 0 && from[f.index] !== null) {
      (to ??= from.slice())[f.index] = null; // no value, no index
    }
    const mask = f.mask >= 0 ? from[f.mask] : null;
    if (mask !== null && version(ctx, mask) !== ctx.target) {
      const place = { collection: ctx.collection, field: `${name}#mask`, recordId: id, revision };
      const m = ctx.keys.openAt(place, Buffer.from(mask, 'base64'));
      try {
        (to ??= from.slice())[f.mask] = ctx.keys.sealAt(place, m);
      } finally {
        m.fill(0);
      }
    }
  }
  return to === null ? null : { id, revision, from, to };
}
