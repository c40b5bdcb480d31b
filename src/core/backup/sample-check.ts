import type { CollectionDef, FieldDef } from '../../config/schema.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import type { Caller } from '../caller.ts';
import type { RecordService } from '../records/record-service.ts';
import type { HeaderTable } from './archive-format.ts';
import type { DataPart } from './data-part.ts';

/** Keeps up to `perTable` rows of each collection as they stream past (evenly spread, deterministic). */
export class RowSample {
  readonly #perTable: number;
  readonly #rows = new Map<string, { table: HeaderTable; rows: unknown[][]; seen: number }>();

  constructor(perTable: number) {
    this.#perTable = perTable;
  }

  add(part: DataPart): void {
    const { table } = part;
    if (table.kind !== 'collection') return;
    let s = this.#rows.get(table.name);
    if (s === undefined) {
      s = { table, rows: [], seen: 0 };
      this.#rows.set(table.name, s);
    }
    // a stride of rows/perTable over the table's row count from the header
    const stride = Math.max(1, Math.floor(table.rows / this.#perTable));
    // the rows whose place in the table is a multiple of the stride; only they are parsed
    for (let i = (stride - (s.seen % stride)) % stride; i < part.count && s.rows.length < this.#perTable; i += stride) s.rows.push(part.rowAt(i));
    s.seen += part.count;
  }

  entries(): { table: HeaderTable; rows: unknown[][] }[] {
    return [...this.#rows.values()];
  }
}

const VERIFIER: Caller = Object.freeze({ id: 'backup-verify', role: 'admin', email: null });

function fromArchive(field: FieldDef, v: unknown): unknown {
  if (v === null) return null;
  if (field.type === 'json' || (field.type === 'select' && field.multiple)) return typeof v === 'string' ? JSON.parse(v) : v;
  return v;
}

/**
 * Reads every sampled record back through the record pipeline (rules, decoding, decryption of
 * sensitive fields) and checks it against the row in the archive. Sensitive fields are stored
 * as ciphertext, so for them the check is that the pipeline opens them.
 */
export async function checkSample(records: RecordService, collections: readonly CollectionDef[], sample: RowSample): Promise<number> {
  let checked = 0;
  for (const { table, rows } of sample.entries()) {
    const def = collections.find((c) => c.name === table.name);
    if (def === undefined) continue;
    const at = new Map(table.columns.map((c, i) => [c.name, i]));
    for (const row of rows) {
      const id = row[at.get('id')!] as string;
      const out = await records.get(VERIFIER, def.name, id) as Record<string, unknown>;
      for (const f of def.fields) {
        const i = at.get(f.name);
        if (i === undefined) continue;
        const want = fromArchive(f, row[i]);
        const got = out[f.name] ?? null;
        const ok = f.sensitive ? (want === null) === (got === null) : JSON.stringify(got) === JSON.stringify(want);
        if (!ok) {
          throw new StrongboxError('ERR_BACKUP_VERIFY_FAILED', `Record ${def.name}/${id} reads back differently from the archive (field ${f.name}).`);
        }
      }
      checked++;
    }
  }
  return checked;
}
