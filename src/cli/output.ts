import { isStrongboxError } from '../errors/strongbox-error.ts';

/** Where the CLI writes; tests and the launcher pass process streams. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

// Node's system errors are worth naming to an operator (a port in use, a folder not writable).
const SYSTEM_CODES: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the address is already in use',
  EADDRNOTAVAIL: 'the address is not available on this machine',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or folder',
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
};

/**
 * The one line an error becomes on stderr: `strongbox: ERR_CODE: message`. Anything that is
 * not a StrongboxError is reported as ERR_INTERNAL; its own message may come from a library,
 * so only a known system error code is named, and the rest waits for --debug.
 */
export function formatError(err: unknown): string {
  if (isStrongboxError(err)) {
    const where = err.details?.param ? ` (${err.details.param})` : '';
    const fields = Object.entries(err.details?.fields ?? {}).map(([k, v]) => `${k} ${v}`).join('; ');
    return `strongbox: ${err.code}: ${oneLine(err.message)}${where}${fields ? ` (${oneLine(fields)})` : ''}`;
  }
  const sys = systemCode(err);
  if (sys) return `strongbox: ERR_INTERNAL: ${SYSTEM_CODES[sys]} (${sys}); run with --debug for details`;
  return 'strongbox: ERR_INTERNAL: an unexpected error occurred; run with --debug for details';
}

/** Writes the error line, and under --debug the stack and its causes. */
export function reportError(io: CliIo, err: unknown, debug: boolean): void {
  io.err(formatError(err));
  if (!debug) return;
  let cause: unknown = err;
  for (let depth = 0; cause !== undefined && depth < 5; depth++) {
    io.err(cause instanceof Error ? (cause.stack ?? String(cause)) : String(cause));
    cause = cause instanceof Error ? cause.cause : undefined;
    if (cause !== undefined) io.err('caused by:');
  }
}

function systemCode(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && Object.hasOwn(SYSTEM_CODES, code) ? code : null;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
