import type { CollectionDef } from '../../config/schema.ts';
import type { ArchiveStorage } from '../../db/backup/value-coercion.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';

/**
 * Backup archive format v1 (docs/backups.md): an age file whose plaintext is a POSIX tar of
 *   strongbox-backup.json        the header: what a reader needs before the rows
 *   data/<table>/<n>.jsonl       each table's rows, JSON Lines, one array per row, ≤ 4 MiB per part
 *   manifest.json                the header again plus every table's row count and SHA-256
 *   manifest.sig                 Ed25519 signature of manifest.json's exact bytes (64 bytes)
 */
export const FORMAT = 'strongbox-backup';
export const FORMAT_VERSION = 1;
export const HEADER_ENTRY = 'strongbox-backup.json';
export const MANIFEST_ENTRY = 'manifest.json';
export const SIGNATURE_ENTRY = 'manifest.sig';
export const PART_BYTES = 4 * 1024 * 1024; // a data part closes once it reaches 4 MiB
export const MAX_ENTRY_BYTES = 64 * 1024 * 1024; // no entry of a valid archive is larger (one row ≤ 60 MiB)
export const ARCHIVE_SUFFIX = '.tar.age';

/** Session tokens are credentials, and the backup list is about the source's own store. */
export const EXCLUDED_TABLES: readonly string[] = ['_sb_sessions', '_sb_backups'];

/** The audit trail's tables: the chain, its forwarding state, its head. */
export const isAuditTable = (name: string): boolean => name === '_sb_audit' || name.startsWith('_sb_audit_');

/**
 * The order of the tables in an archive: parents first, as the snapshot lists them, except that
 * the audit trail's tables (which no table references) come last. A verify checks the keyring
 * and each collection while the rest streams in, but the chain only once it is whole, so the
 * chain arriving last lets the two checks overlap the restore (readers accept any order).
 */
export function archiveOrder<T extends { readonly name: string; readonly parents: readonly string[] }>(tables: readonly T[]): T[] {
  const referenced = new Set(tables.flatMap((t) => t.parents));
  const late = (t: T): boolean => isAuditTable(t.name) && !referenced.has(t.name);
  return [...tables.filter((t) => !late(t)), ...tables.filter(late)];
}

export const partName = (table: string, n: number): string => `data/${table}/${String(n).padStart(6, '0')}.jsonl`;
const PART_PATTERN = /^data\/([A-Za-z_][A-Za-z0-9_]{0,62})\/(\d{6})\.jsonl$/;

export function parsePartName(name: string): { table: string; part: number } | null {
  const m = PART_PATTERN.exec(name);
  return m ? { table: m[1]!, part: Number(m[2]) } : null;
}

export interface ArchiveColumn { readonly name: string; readonly storage: ArchiveStorage }

export interface HeaderTable {
  readonly name: string;
  readonly kind: 'system' | 'collection';
  readonly columns: readonly ArchiveColumn[];
  /** Rows the snapshot counted (the manifest's count is the one that is checked). */
  readonly rows: number;
}

export interface ArchiveHeader {
  readonly format: typeof FORMAT;
  readonly version: number;
  readonly id: string;
  /** ISO 8601 UTC: when the snapshot was taken. */
  readonly created: string;
  readonly engine: 'sqlite' | 'postgres';
  readonly sessions: 'excluded';
  readonly systemMigrations: readonly number[];
  /** The collections' definitions (schema snapshot), from `_sb_collections`. */
  readonly collections: readonly CollectionDef[];
  readonly tables: readonly HeaderTable[];
}

export interface ManifestTable extends HeaderTable {
  readonly parts: number;
  readonly bytes: number;
  readonly sha256: string;
}

export interface Manifest extends Omit<ArchiveHeader, 'tables'> {
  readonly headerSha256: string;
  readonly tables: readonly ManifestTable[];
  /** The audit chain's head in the snapshot; null when the database has no audit trail. */
  readonly audit: { readonly seq: number; readonly hash: string } | null;
  readonly signature: { readonly algorithm: 'ed25519'; readonly keyId: string };
}

const invalid = (why: string): StrongboxError => new StrongboxError('ERR_BACKUP_INVALID', `The backup archive is invalid: ${why}.`);

function parseJson(data: Buffer, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(data.toString('utf8'));
  } catch {
    throw invalid(`${what} is not JSON`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalid(`${what} is not an object`);
  return v as Record<string, unknown>;
}

/** Checks the format and version first, so a newer archive gets its own clear refusal. */
function checkVersion(o: Record<string, unknown>, what: string): void {
  if (o.format !== FORMAT) throw invalid(`${what} is not a Strongbox backup`);
  if (typeof o.version !== 'number' || !Number.isInteger(o.version) || o.version < 1) throw invalid(`${what} has no valid format version`);
  if (o.version > FORMAT_VERSION) {
    throw new StrongboxError('ERR_BACKUP_VERSION',
      `The backup uses format version ${o.version}; this Strongbox reads up to version ${FORMAT_VERSION}. Upgrade Strongbox to restore it.`);
  }
}

const STORAGES = new Set(['text', 'integer', 'real', 'boolean', 'json', 'blob']);
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function checkTables(v: unknown, withHashes: boolean): void {
  if (!Array.isArray(v)) throw invalid('tables is not a list');
  const seen = new Set<string>();
  for (const t of v as Record<string, unknown>[]) {
    if (t === null || typeof t !== 'object' || typeof t.name !== 'string' || !TABLE_NAME.test(t.name) || seen.has(t.name)) throw invalid('a table entry is malformed');
    seen.add(t.name);
    if (t.kind !== 'system' && t.kind !== 'collection') throw invalid(`table ${t.name} has no kind`);
    if (!Array.isArray(t.columns) || t.columns.length === 0) throw invalid(`table ${t.name} has no columns`);
    for (const c of t.columns as Record<string, unknown>[]) {
      if (c === null || typeof c !== 'object' || typeof c.name !== 'string' || typeof c.storage !== 'string' || !STORAGES.has(c.storage)) throw invalid(`table ${t.name} has a malformed column`);
    }
    if (!Number.isSafeInteger(t.rows) || (t.rows as number) < 0) throw invalid(`table ${t.name} has no row count`);
    if (withHashes) {
      if (typeof t.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(t.sha256)) throw invalid(`table ${t.name} has no SHA-256`);
      if (!Number.isSafeInteger(t.parts) || !Number.isSafeInteger(t.bytes)) throw invalid(`table ${t.name} has no part count`);
    }
  }
}

function checkCommon(o: Record<string, unknown>, what: string): void {
  if (typeof o.id !== 'string' || !/^[0-9a-f]{32}$/.test(o.id)) throw invalid(`${what} has no id`);
  if (typeof o.created !== 'string' || Number.isNaN(Date.parse(o.created))) throw invalid(`${what} has no time`);
  if (o.engine !== 'sqlite' && o.engine !== 'postgres') throw invalid(`${what} names no engine`);
  if (!Array.isArray(o.systemMigrations) || !o.systemMigrations.every((n) => Number.isSafeInteger(n))) throw invalid(`${what} has no migration list`);
  if (!Array.isArray(o.collections)) throw invalid(`${what} has no collections`);
}

export function parseHeader(data: Buffer): ArchiveHeader {
  const o = parseJson(data, 'the header');
  checkVersion(o, 'the header');
  checkCommon(o, 'the header');
  checkTables(o.tables, false);
  return o as unknown as ArchiveHeader;
}

export function parseManifest(data: Buffer): Manifest {
  const o = parseJson(data, 'the manifest');
  checkVersion(o, 'the manifest');
  checkCommon(o, 'the manifest');
  checkTables(o.tables, true);
  if (typeof o.headerSha256 !== 'string') throw invalid('the manifest has no header hash');
  const sig = o.signature as Record<string, unknown> | null;
  if (sig === null || typeof sig !== 'object' || sig.algorithm !== 'ed25519' || typeof sig.keyId !== 'string') throw invalid('the manifest names no signing key');
  const audit = o.audit as Record<string, unknown> | null;
  if (audit !== null && (typeof audit !== 'object' || !Number.isSafeInteger(audit.seq) || typeof audit.hash !== 'string')) throw invalid('the manifest has a malformed audit head');
  return o as unknown as Manifest;
}

export const archiveInvalid = invalid;
