import type { FileHandle } from 'node:fs/promises';
import { ageSeal } from '../../crypto/age-seal.ts';
import { Sha256 } from '../../crypto/sha256-stream.ts';
import type { DatabaseSnapshot } from '../../db/backup/snapshot-types.ts';
import type { Manifest } from './archive-format.ts';
import { writeArchive, type ArchiveWriterOptions } from './archive-writer.ts';

/** Where the archive bytes go; tests swap it to simulate a full disk. */
export type OpenOutput = (path: string) => Promise<Pick<FileHandle, 'write' | 'sync' | 'close'>>;

export interface SealOptions {
  readonly snapshot: DatabaseSnapshot;
  readonly id: string;
  readonly created: Date;
  readonly recipients: readonly string[];
  readonly signer: ArchiveWriterOptions['signer'];
  readonly partial: string;
  readonly openOutput: OpenOutput;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface Sealed {
  readonly manifest: Manifest;
  readonly bytes: number;
  readonly fileSha256: string;
}

/**
 * Writes one snapshot as a sealed archive into the partial file and fsyncs it (the caller
 * renames it into place). The file is closed whatever happens; the caller removes it on failure.
 */
export async function sealSnapshot(opts: SealOptions): Promise<Sealed> {
  const archive = writeArchive({ snapshot: opts.snapshot, id: opts.id, created: opts.created, signer: opts.signer, onProgress: opts.onProgress });
  const out = await opts.openOutput(opts.partial);
  try {
    const fileHash = new Sha256();
    let bytes = 0;
    for await (const chunk of ageSeal(opts.recipients, archive.bytes)) {
      fileHash.update(chunk);
      bytes += chunk.length;
      await out.write(chunk);
    }
    const manifest = await archive.result;
    await out.sync();
    return { manifest, bytes, fileSha256: fileHash.hex() };
  } finally {
    await out.close();
  }
}
