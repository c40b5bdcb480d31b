import { StrongboxError } from '../errors/strongbox-error.ts';

export const MAX_SECRET_BYTES = 4096; // 4 KiB: far above any password, bounds what we buffer

/**
 * Reads a secret piped on stdin: everything up to EOF, minus one trailing newline (so
 * `echo pw |` and `printf '%s' pw |` both work). A terminal is refused: the secret would echo.
 */
export async function readSecretFromStdin(stdin: NodeJS.ReadableStream & { isTTY?: boolean }): Promise<string> {
  if (stdin.isTTY) {
    throw new StrongboxError('ERR_USAGE', "--password-stdin reads the password from a pipe, e.g. printf '%s' \"$PW\" | strongbox admin create …");
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > MAX_SECRET_BYTES) throw new StrongboxError('ERR_USAGE', `the password on stdin is longer than ${MAX_SECRET_BYTES} bytes`);
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (text.length === 0) throw new StrongboxError('ERR_USAGE', 'no password on stdin');
  return text;
}
