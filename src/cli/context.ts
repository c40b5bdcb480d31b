import type { CliIo } from './output.ts';
import type { ExitCode } from './exit-codes.ts';

/** What commands get besides their options: where to write, what to read, how they ended. */
export interface CliContext {
  readonly io: CliIo;
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Set by a command that ends without throwing but not successfully (e.g. a shutdown timeout). */
  exitCode: ExitCode;
}
