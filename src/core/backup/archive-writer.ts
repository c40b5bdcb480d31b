import type { CollectionDef } from '../../config/schema.ts';
import { Sha256 } from '../../crypto/sha256-stream.ts';
import type { DatabaseSnapshot, SnapshotTable } from '../../db/backup/snapshot-types.ts';
import { archiveStorageOf, encoderFor, type ArchiveStorage, type Encoder } from '../../db/backup/value-coercion.ts';
import { storageOf } from '../../db/migrate/column-types.ts';
import { TAR_END, tarEntry, tarHeader, tarPadding } from '../../util/tar-stream.ts';
import {
  EXCLUDED_TABLES, FORMAT, archiveOrder, FORMAT_VERSION, HEADER_ENTRY, MANIFEST_ENTRY, PART_BYTES, SIGNATURE_ENTRY, partName,
  type ArchiveHeader, type HeaderTable, type Manifest, type ManifestTable,
} from './archive-format.ts';
import type { BackupSigningKey } from './backup-keys.ts';

export interface ArchiveWriterOptions {
  readonly snapshot: DatabaseSnapshot;
  readonly id: string;
  readonly created: Date;
  /** Signs the manifest (in a worker thread, a round trip to the thread that holds the keyring). */
  readonly signer: Pick<BackupSigningKey, 'keyId'> & { sign(data: Buffer): Buffer | Promise<Buffer> };
  /** Rows done so far and in all, after each batch. */
  readonly onProgress?: (done: number, total: number) => void;
}

const BATCH_ROWS = 2000;
const AUDIT_HEAD_TABLE = '_sb_audit_head';

/**
 * A table's data parts as they fill: pages are hashed as they come (no copy), and a part is
 * written as a tar entry once it reaches PART_BYTES.
 */
class TableParts {
  readonly #hash = new Sha256();
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  rows = 0;
  parts = 0;
  bytes = 0;

  constructor(readonly name: string, readonly mtime: number) {}

  *add(page: Buffer, rows: number): Generator<Buffer> {
    this.rows += rows;
    if (page.length === 0) return;
    this.#hash.update(page);
    this.#pending.push(page);
    this.#pendingBytes += page.length;
    if (this.#pendingBytes >= PART_BYTES) yield* this.#flush();
  }

  *end(): Generator<Buffer> {
    if (this.#pendingBytes > 0) yield* this.#flush();
  }

  sha256(): string {
    return this.#hash.hex();
  }

  *#flush(): Generator<Buffer> {
    const size = this.#pendingBytes;
    this.parts++;
    this.bytes += size;
    yield tarHeader(partName(this.name, this.parts), size, this.mtime);
    yield* this.#pending;
    yield tarPadding(size);
    this.#pending = [];
    this.#pendingBytes = 0;
  }
}

/** Logical storage: collection columns from their definitions (booleans and json on SQLite). */
function columnStorage(table: SnapshotTable, def: CollectionDef | undefined, dialect: 'sqlite' | 'postgres'): ArchiveStorage[] {
  return table.columns.map((c) => {
    const field = def?.fields.find((f) => f.name === c.name);
    if (field !== undefined) return storageOf(field, 'postgres');
    return archiveStorageOf(c.type, dialect);
  });
}

async function readCollections(snapshot: DatabaseSnapshot): Promise<CollectionDef[]> {
  const t = snapshot.tables.find((x) => x.name === '_sb_collections');
  if (t === undefined) return [];
  const nameAt = t.columns.findIndex((c) => c.name === 'name');
  const defAt = t.columns.findIndex((c) => c.name === 'definition');
  const out: CollectionDef[] = [];
  for await (const batch of snapshot.rows(t, BATCH_ROWS)) {
    for (const row of batch) {
      const raw = row[defAt];
      out.push((typeof raw === 'string' ? JSON.parse(raw) : raw) as CollectionDef);
      void row[nameAt];
    }
  }
  return out;
}

/**
 * The archive's tar bytes, table by table out of one snapshot; the signed manifest is
 * written last, once every hash is known. `result` holds the manifest when the stream ends.
 */
export function writeArchive(opts: ArchiveWriterOptions): { bytes: AsyncGenerator<Buffer>; result: Promise<Manifest> } {
  let settle!: (m: Manifest) => void;
  let fail!: (err: unknown) => void;
  const result = new Promise<Manifest>((resolve, reject) => { settle = resolve; fail = reject; });
  result.catch(() => undefined);
  const mtime = Math.floor(opts.created.getTime() / 1000);
  async function* bytes(): AsyncGenerator<Buffer> {
    try {
      const { snapshot } = opts;
      const collections = await readCollections(snapshot);
      const defs = new Map(collections.map((c) => [c.name, c]));
      const tables = archiveOrder(snapshot.tables.filter((t) => !EXCLUDED_TABLES.includes(t.name)));
      const storages = tables.map((t) => columnStorage(t, defs.get(t.name), snapshot.dialect));
      const headerTables: HeaderTable[] = [];
      for (const [i, t] of tables.entries()) {
        headerTables.push({
          name: t.name,
          kind: defs.has(t.name) ? 'collection' : 'system',
          columns: t.columns.map((c, j) => ({ name: c.name, storage: storages[i]![j]! })),
          rows: await snapshot.count(t),
        });
      }
      const migrationsTable = tables.find((t) => t.name === '_sb_migrations');
      const systemMigrations: number[] = [];
      if (migrationsTable) {
        const at = migrationsTable.columns.findIndex((c) => c.name === 'version');
        for await (const batch of snapshot.rows(migrationsTable, BATCH_ROWS)) for (const r of batch) systemMigrations.push(Number(r[at]));
      }
      systemMigrations.sort((a, b) => a - b);
      const header: ArchiveHeader = {
        format: FORMAT, version: FORMAT_VERSION, id: opts.id, created: opts.created.toISOString(),
        engine: snapshot.dialect, sessions: 'excluded', systemMigrations, collections, tables: headerTables,
      };
      const headerBytes = Buffer.from(`${JSON.stringify(header, null, 2)}\n`);
      yield* tarEntry(HEADER_ENTRY, headerBytes, mtime);
      const total = headerTables.reduce((n, t) => n + t.rows, 0);
      let done = 0;
      let audit: Manifest['audit'] = null;
      const manifestTables: ManifestTable[] = [];
      for (const [i, t] of tables.entries()) {
        const table = new TableParts(t.name, mtime);
        // the database writes the lines itself where it can; the chain head row (audit trail,
        // system migration 4) is read as values, since it names the manifest's audit head
        const lines = t.name === AUDIT_HEAD_TABLE ? null : snapshot.jsonLines?.(t, headerTables[i]!.columns) ?? null;
        if (lines !== null) {
          for await (const page of lines) {
            yield* table.add(Buffer.from(page.text, 'utf8'), page.rows);
            done += page.rows;
            opts.onProgress?.(done, total);
          }
        } else {
          // only the columns whose driver value differs from the archive form are touched
          const encoded = storages[i]!.map((st, j) => [j, encoderFor(st, snapshot.dialect)] as const).filter(([, e]) => e !== null) as [number, Encoder][];
          const seqAt = t.name === AUDIT_HEAD_TABLE ? t.columns.findIndex((c) => c.name === 'seq') : -1;
          const hashAt = t.name === AUDIT_HEAD_TABLE ? t.columns.findIndex((c) => c.name === 'hash') : -1;
          for await (const batch of snapshot.rows(t, BATCH_ROWS)) {
            let text = '';
            for (const row of batch) {
              for (const [j, enc] of encoded) row[j] = enc(row[j]);
              text += `${JSON.stringify(row)}\n`;
              if (seqAt >= 0 && hashAt >= 0) audit = { seq: Number(row[seqAt]), hash: String(row[hashAt]) };
            }
            yield* table.add(Buffer.from(text, 'utf8'), batch.length);
            done += batch.length;
            opts.onProgress?.(done, total);
          }
        }
        yield* table.end();
        manifestTables.push({ ...headerTables[i]!, rows: table.rows, parts: table.parts, bytes: table.bytes, sha256: table.sha256() });
      }
      const { tables: _t, ...rest } = header;
      const manifest: Manifest = {
        ...rest,
        headerSha256: new Sha256().update(headerBytes).hex(),
        tables: manifestTables,
        audit,
        signature: { algorithm: 'ed25519', keyId: opts.signer.keyId },
      };
      const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
      yield* tarEntry(MANIFEST_ENTRY, manifestBytes, mtime);
      yield* tarEntry(SIGNATURE_ENTRY, await opts.signer.sign(manifestBytes), mtime);
      yield TAR_END;
      settle(manifest);
    } catch (err) {
      fail(err);
      throw err;
    }
  }
  return { bytes: bytes(), result };
}
