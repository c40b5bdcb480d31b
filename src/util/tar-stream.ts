/**
 * A minimal POSIX ustar writer and reader: regular files only, names under 100 bytes. Enough for
 * backup archives that any `tar` can list and extract.
 */

const BLOCK = 512;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** The 512-byte header of one regular file. */
export function tarHeader(name: string, size: number, mtimeSeconds: number): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length === 0 || nameBytes.length >= 100) throw new RangeError(`tar: name too long: ${name}`);
  const h = Buffer.alloc(BLOCK, 0);
  nameBytes.copy(h, 0);
  h.write(octal(0o600, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(Math.floor(mtimeSeconds), 12), 136, 'ascii');
  h.write('        ', 148, 'ascii'); // checksum counted as spaces
  h.write('0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

/** Zero bytes that pad an entry of `size` bytes to a whole block. */
export function tarPadding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest, 0);
}

/** The two zero blocks that end an archive. */
export const TAR_END = Buffer.alloc(2 * BLOCK, 0);

/** One whole entry (header, data, padding). */
export function tarEntry(name: string, data: Buffer, mtimeSeconds: number): Buffer[] {
  return [tarHeader(name, data.length, mtimeSeconds), data, tarPadding(data.length)];
}

export interface TarEntry {
  readonly name: string;
  readonly data: Buffer;
}

export class TarFormatError extends Error {}

function readOctal(h: Buffer, offset: number, width: number): number {
  const text = h.subarray(offset, offset + width).toString('ascii').replace(/[\0 ]+$/g, '').trim();
  if (!/^[0-7]{1,12}$/.test(text)) throw new TarFormatError('tar: malformed number field');
  return parseInt(text, 8);
}

/** Accumulates bytes and hands out exact-length slices. */
class ByteQueue {
  #chunks: Buffer[] = [];
  #length = 0;

  get length(): number { return this.#length; }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.#length += chunk.length;
  }

  take(n: number): Buffer {
    const first = this.#chunks[0];
    let out: Buffer;
    if (first !== undefined && first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
    } else {
      const all = Buffer.concat(this.#chunks, this.#length);
      out = all.subarray(0, n);
      this.#chunks = all.length > n ? [all.subarray(n)] : [];
    }
    this.#length -= n;
    return out;
  }
}

/**
 * Reads entries from a tar byte stream, each entry whole (at most maxEntryBytes). Anything but
 * regular files, a bad header checksum, or an archive that ends without its end blocks throws
 * TarFormatError.
 */
export async function* readTar(source: AsyncIterable<Uint8Array>, maxEntryBytes: number): AsyncGenerator<TarEntry> {
  const q = new ByteQueue();
  const it = source[Symbol.asyncIterator]();
  let done = false;
  const fill = async (n: number): Promise<boolean> => {
    while (q.length < n && !done) {
      const r = await it.next();
      if (r.done) done = true;
      else q.push(r.value);
    }
    return q.length >= n;
  };
  for (;;) {
    if (!await fill(BLOCK)) throw new TarFormatError('tar: the archive is truncated');
    const h = q.take(BLOCK);
    if (h.every((b) => b === 0)) {
      if (!await fill(BLOCK) || !q.take(BLOCK).every((b) => b === 0)) throw new TarFormatError('tar: the archive end is damaged');
      // read to the very end, so the source checks its own end too (an age file's last chunk)
      for (;;) {
        if (q.length > 0 && !q.take(q.length).every((b) => b === 0)) throw new TarFormatError('tar: data after the archive end');
        const r = await it.next();
        if (r.done) return;
        q.push(r.value);
      }
    }
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    if (readOctal(h, 148, 8) !== sum) throw new TarFormatError('tar: header checksum mismatch');
    const type = String.fromCharCode(h[156]!);
    if (type !== '0' && type !== '\0') throw new TarFormatError('tar: only regular files are allowed');
    const nul = h.indexOf(0, 0);
    const name = h.subarray(0, nul < 0 || nul > 100 ? 100 : nul).toString('utf8');
    const size = readOctal(h, 124, 12);
    if (size > maxEntryBytes) throw new TarFormatError(`tar: entry ${name} is too large`);
    const padded = size + tarPadding(size).length;
    if (!await fill(padded)) throw new TarFormatError('tar: the archive is truncated');
    const body = q.take(padded);
    yield { name, data: body.subarray(0, size) };
  }
}
