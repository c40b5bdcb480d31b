import { ageOpen } from '../../crypto/age-seal.ts';
import { verifySignature } from '../../crypto/signature.ts';
import { Sha256 } from '../../crypto/sha256-stream.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { readTar, TarFormatError, type TarEntry } from '../../util/tar-stream.ts';
import {
  HEADER_ENTRY, MANIFEST_ENTRY, MAX_ENTRY_BYTES, SIGNATURE_ENTRY, archiveInvalid, parseHeader, parseManifest, parsePartName,
  type ArchiveHeader, type HeaderTable, type Manifest,
} from './archive-format.ts';
import { DataPart } from './data-part.ts';

/** What a reader does with the archive as it streams; nothing it did counts until readArchive resolves. */
export interface ArchiveVisitor {
  header?(header: ArchiveHeader): Promise<void> | void;
  /** Each data part as it streams past (its rows parsed only when asked for: data-part.ts). */
  part?(part: DataPart): Promise<void> | void;
}

export interface ReadArchiveOptions {
  readonly identities: readonly string[];
  /** The server's backup-signing public keys (PEM): the only keys a manifest may be signed with. */
  readonly trustedPublicKeys: readonly string[];
  readonly onProgress?: (done: number, total: number) => void;
}

interface TableState { readonly table: HeaderTable; readonly hash: Sha256; rows: number; parts: number; bytes: number }

/**
 * Decrypts and reads a whole archive, checking as it goes (age authenticates every 64 KiB chunk)
 * and at the end: the manifest's signature by the trusted key, that the manifest belongs to
 * this archive's header, and every table's row count and SHA-256. Resolves with the manifest
 * only when everything holds; the caller commits what the visitor did only then.
 */
export async function readArchive(source: AsyncIterable<Uint8Array>, opts: ReadArchiveOptions, visitor: ArchiveVisitor = {}): Promise<Manifest> {
  const entries = readTar(ageOpen(opts.identities, source), MAX_ENTRY_BYTES);
  try {
    return await readEntries(entries, opts, visitor);
  } catch (err) {
    if (err instanceof TarFormatError) throw archiveInvalid(err.message.replace(/^tar: /, 'tar: '));
    throw err;
  }
}

async function next(entries: AsyncGenerator<TarEntry>, what: string): Promise<TarEntry> {
  const r = await entries.next();
  if (r.done) throw archiveInvalid(`it ends before ${what}`);
  return r.value;
}

async function readEntries(entries: AsyncGenerator<TarEntry>, opts: ReadArchiveOptions, visitor: ArchiveVisitor): Promise<Manifest> {
  const first = await next(entries, 'its header');
  if (first.name !== HEADER_ENTRY) throw archiveInvalid('the header is missing');
  const header = parseHeader(first.data);
  const headerSha256 = new Sha256().update(first.data).hex();
  await visitor.header?.(header);
  const states = header.tables.map((table): TableState => ({ table, hash: new Sha256(), rows: 0, parts: 0, bytes: 0 }));
  const total = header.tables.reduce((n, t) => n + t.rows, 0);
  let done = 0;
  let at = 0;
  let entry = await next(entries, 'its manifest');
  for (; entry.name !== MANIFEST_ENTRY; entry = await next(entries, 'its manifest')) {
    const part = parsePartName(entry.name);
    if (part === null) throw archiveInvalid(`it holds an unexpected entry "${entry.name}"`);
    while (at < states.length && states[at]!.table.name !== part.table) at++;
    const st = states[at];
    if (st === undefined || st.parts + 1 !== part.part) throw archiveInvalid(`the data part ${entry.name} is out of order`);
    st.parts++;
    st.bytes += entry.data.length;
    st.hash.update(entry.data);
    const data = new DataPart(st.table, entry.data);
    st.rows += data.count;
    await visitor.part?.(data);
    done += data.count;
    opts.onProgress?.(done, total);
  }
  const manifestBytes = entry.data;
  const sig = await next(entries, 'its signature');
  if (sig.name !== SIGNATURE_ENTRY) throw archiveInvalid('the manifest signature is missing');
  const end = await entries.next();
  if (!end.done) throw archiveInvalid('it holds entries after the signature');
  if (!opts.trustedPublicKeys.some((pem) => verifySignature(pem, manifestBytes, sig.data))) {
    throw new StrongboxError('ERR_BACKUP_SIGNATURE', 'The backup manifest is not signed by this server\'s backup-signing key.');
  }
  const manifest = parseManifest(manifestBytes);
  checkManifest(manifest, header, headerSha256, states);
  return manifest;
}

function checkManifest(m: Manifest, h: ArchiveHeader, headerSha256: string, states: readonly TableState[]): void {
  if (m.id !== h.id || m.headerSha256 !== headerSha256) throw archiveInvalid('the manifest belongs to another backup');
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  if (m.created !== h.created || m.engine !== h.engine || !same(m.systemMigrations, h.systemMigrations) || !same(m.collections, h.collections)) {
    throw archiveInvalid('the manifest does not match the header');
  }
  if (m.tables.length !== states.length) throw archiveInvalid('the manifest lists other tables than the archive holds');
  for (const [i, t] of m.tables.entries()) {
    const st = states[i]!;
    if (t.name !== st.table.name || !same(t.columns, st.table.columns)) throw archiveInvalid(`table ${t.name} differs between header and manifest`);
    if (t.rows !== st.rows || t.parts !== st.parts || t.bytes !== st.bytes) throw archiveInvalid(`table ${t.name} has ${st.rows} rows in the archive, the manifest says ${t.rows}`);
    if (t.sha256 !== st.hash.hex()) throw archiveInvalid(`table ${t.name} does not match its SHA-256`);
  }
}
