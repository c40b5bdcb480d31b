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
  /** the mask's place name in its associated data */
  readonly maskPlace: string;
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
    fields.push({ def: f, value, mask, index: hasBlindIndex(f) ? add(blindIndexColumn(f.name)) : -1, maskPlace: `${f.name}#mask` });
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
      const place = { collection: ctx.collection, field: f.maskPlace, recordId: id, revision };
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

/**
 * The ciphertexts of a page that go to the re-encryption thread (ResealPage's parallel arrays),
 * and where each sealed result goes back: column `column` of the rewrite it came from.
 */
export class ResealBatch {
  readonly fields: string[] = [];
  readonly ids: string[] = [];
  readonly revisions: string[] = [];
  readonly stored: string[] = [];
  readonly field: number[] = [];
  readonly row: number[] = [];
  private readonly into: (string | null)[][] = [];
  private readonly column: number[] = [];
  private readonly fieldAt = new Map<string, number>();

  constructor(readonly collection: string) {}

  get size(): number {
    return this.stored.length;
  }

  /** Item: `stored` of `field` in the row just added, sealed result to `to[column]`. */
  add(field: string, stored: string, to: (string | null)[], column: number): void {
    let f = this.fieldAt.get(field);
    if (f === undefined) this.fieldAt.set(field, (f = this.fields.push(field) - 1));
    this.stored.push(stored);
    this.field.push(f);
    this.row.push(this.ids.length - 1);
    this.into.push(to);
    this.column.push(column);
  }

  /** Puts each sealed value where its item came from. */
  fill(sealed: readonly string[]): void {
    if (sealed.length !== this.stored.length) throw new Error(`the re-encryption thread returned ${sealed.length} values for ${this.stored.length}`);
    for (let i = 0; i < sealed.length; i++) this.into[i][this.column[i]] = sealed[i];
  }
}

/** Whether the row needs its blind indexes recomputed or cleared (done here, from the plaintext). */
function needsIndexWork(ctx: RowContext, plan: RowPlan, from: readonly (string | null)[]): boolean {
  for (const f of plan.fields) {
    if (f.index < 0) continue;
    if (from[f.value] !== null ? from[f.index] === null || ctx.reindex : from[f.index] !== null) return true;
  }
  return false;
}

/**
 * `rewriteRow` with the re-sealing left to the re-encryption thread: the row's ciphertexts under
 * an older key are added to `batch`, and the returned rewrite is complete once `batch.fill` has
 * run. A row that needs blind-index work is rewritten here at once (rewriteRow). Null when the
 * row is already current.
 */
export function deferRow(ctx: RowContext, plan: RowPlan, row: Readonly<Record<string, unknown>>, batch: ResealBatch): RowRewrite | null {
  const { columns } = plan;
  const from: (string | null)[] = new Array(columns.length);
  for (let i = 0; i < columns.length; i++) from[i] = asText(row[columns[i]]);
  if (plan.indexed && needsIndexWork(ctx, plan, from)) return rewriteRow(ctx, plan, row);
  const id = String(row.id);
  const revision = String(row[REVISION_COLUMN]);
  let to: (string | null)[] | null = null;
  const defer = (column: number, field: string): void => {
    const stored = column >= 0 ? from[column] : null;
    if (stored === null || version(ctx, stored) === ctx.target) return;
    if (to === null) {
      to = from.slice();
      batch.ids.push(id);
      batch.revisions.push(revision);
    }
    batch.add(field, stored, to, column);
  };
  for (const f of plan.fields) {
    defer(f.value, f.def.name);
    defer(f.mask, f.maskPlace);
  }
  return to === null ? null : { id, revision, from, to };
}
