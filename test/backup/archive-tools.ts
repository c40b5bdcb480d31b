/** Test-side archive surgery: open an archive to its tar entries and seal edited entries again. */
import { readFileSync } from 'node:fs';
import { Decrypter, Encrypter } from 'age-encryption';
import { TAR_END, readTar, tarEntry, type TarEntry } from '../../src/util/tar-stream.ts';

export async function openEntries(path: string, identity: string): Promise<TarEntry[]> {
  const d = new Decrypter();
  d.addIdentity(identity);
  const tar = await d.decrypt(readFileSync(path));
  const out: TarEntry[] = [];
  async function* one(): AsyncGenerator<Uint8Array> { yield tar; }
  for await (const e of readTar(one(), 1 << 30)) out.push({ name: e.name, data: Buffer.from(e.data) });
  return out;
}

export async function sealEntries(entries: readonly TarEntry[], recipient: string): Promise<Buffer> {
  const tar = Buffer.concat([...entries.flatMap((e) => tarEntry(e.name, e.data, 0)), TAR_END]);
  const e = new Encrypter();
  e.addRecipient(recipient);
  return Buffer.from(await e.encrypt(tar));
}
