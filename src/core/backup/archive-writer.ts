import type { CollectionDef } from '../../config/schema.ts';
import { Sha256 } from '../../crypto/sha256-stream.ts';
import type { DatabaseSnapshot, SnapshotTable } from '../../db/backup/snapshot-types.ts';
import { archiveStorageOf, encoderFor, type ArchiveStorage, type Encoder } from '../../db/backup/value-coercion.ts';
import { storageOf } from '../../db/migrate/column-types.ts';
import { TAR_END, tarEntry } from '../../util/tar-stream.ts';
import {
  EXCLUDED_TABLES, FORMAT, FORMAT_VERSION, HEADER_ENTRY, MANIFEST_ENTRY, PART_BYTES, SIGNATURE_ENTRY, partName,
  type ArchiveHeader, type HeaderTable, type Manifest, type ManifestTable,
} from './archive-format.ts';
import type { BackupSigningKey } from './backup-keys.ts';

export interface ArchiveWriterOptions {
  readonly snapshot: DatabaseSnapshot;
  readonly id: string;
  readonly created: Date;
  readonly signer: BackupSigningKey;
  /** Rows done so far and in all, after each batch. */
  readonly onProgress?: (done: number, total: number) => void;
}

const BATCH_ROWS = 2000;
const AUDIT_HEAD_TABLE = '_sb_audit_head';

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
      const tables = snapshot.tables.filter((t) => !EXCLUDED_TABLES.includes(t.name));
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
        // only the columns whose driver value differs from the archive form are touched
        const encoded = storages[i]!.map((st, j) => [j, encoderFor(st, snapshot.dialect)] as const).filter(([, e]) => e !== null) as [number, Encoder][];
        const hash = new Sha256();
        let rows = 0;
        let parts = 0;
        let bytesOut = 0;
        let lines: string[] = [];
        let pending = 0;
        // the chain head row (audit trail, system migration 4) names the last seq and its hash
        const seqAt = t.name === AUDIT_HEAD_TABLE ? t.columns.findIndex((c) => c.name === 'seq') : -1;
        const hashAt = t.name === AUDIT_HEAD_TABLE ? t.columns.findIndex((c) => c.name === 'hash') : -1;
        const flush = function* (): Generator<Buffer> {
          const data = Buffer.from(lines.join(''));
          lines = [];
          pending = 0;
          parts++;
          bytesOut += data.length;
          hash.update(data);
          yield* tarEntry(partName(t.name, parts), data, mtime);
        };
        for await (const batch of snapshot.rows(t, BATCH_ROWS)) {
          for (const row of batch) {
            for (const [j, enc] of encoded) row[j] = enc(row[j]);
            const line = `${JSON.stringify(row)}\n`;
            lines.push(line);
            pending += line.length;
            if (seqAt >= 0 && hashAt >= 0) {
              const seq = Number(row[seqAt]);
              audit = { seq, hash: String(row[hashAt]) };
            }
          }
          rows += batch.length;
          done += batch.length;
          opts.onProgress?.(done, total);
          if (pending >= PART_BYTES) yield* flush();
        }
        if (pending > 0) yield* flush();
        manifestTables.push({ ...headerTables[i]!, rows, parts, bytes: bytesOut, sha256: hash.hex() });
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
      yield* tarEntry(SIGNATURE_ENTRY, opts.signer.sign(manifestBytes), mtime);
      yield TAR_END;
      settle(manifest);
    } catch (err) {
      fail(err);
      throw err;
    }
  }
  return { bytes: bytes(), result };
}
