import type { CliIo } from './output.ts';
import { reportError } from './output.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';

export interface Closable { close(): Promise<unknown> }

export const SHUTDOWN_TIMEOUT_MS = 10_000; // 10 s for in-flight requests to finish

/**
 * Resolves with an exit code once SIGTERM or SIGINT has stopped the server: `server.close()`
 * stops accepting and lets in-flight requests finish, then the engine (database) closes.
 * A shutdown that takes longer than the timeout, or a second signal, ends it with exit 1.
 */
export function waitForShutdown(
  server: Closable, engine: Closable, io: CliIo, opts: { debug: boolean; timeoutMs?: number },
): Promise<ExitCode> {
  const timeoutMs = opts.timeoutMs ?? SHUTDOWN_TIMEOUT_MS;
  return new Promise((resolve) => {
    let stopping = false;
    const finish = (code: ExitCode): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve(code);
    };
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        io.err(`strongbox: ERR_UNAVAILABLE: ${signal} received again; stopping without waiting`);
        finish(EXIT.FAILURE);
        return;
      }
      stopping = true;
      io.out(`strongbox: ${signal} received; finishing in-flight requests`);
      const timer = setTimeout(() => {
        io.err(`strongbox: ERR_UNAVAILABLE: shutdown did not finish within ${timeoutMs / 1000} s; stopping anyway`);
        finish(EXIT.FAILURE);
      }, timeoutMs);
      server.close()
        .then(() => engine.close())
        .then(() => {
          clearTimeout(timer);
          io.out('strongbox: stopped');
          finish(EXIT.OK);
        }, (err: unknown) => {
          clearTimeout(timer);
          reportError(io, err, opts.debug);
          finish(EXIT.FAILURE);
        });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
