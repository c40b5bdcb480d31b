// first: lowers `backup create`'s priority before the rest loads
import './background-priority.ts';
import { Command, CommanderError } from 'commander';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isStrongboxError } from '../errors/strongbox-error.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { type CliIo, processIo, reportError } from './output.ts';
import type { CliContext } from './context.ts';
import { registerInit } from './commands/init.ts';
import { registerServe } from './commands/serve.ts';
import { registerMigrate } from './commands/migrate.ts';
import { registerAdmin } from './commands/admin.ts';
import { registerKeys } from './commands/keys.ts';
import { registerAudit } from './commands/audit.ts';
import { registerDb } from './commands/db.ts';
import { registerBackup } from './commands/backup.ts';

/** Builds the `strongbox` program. Commander never exits the process itself (exitOverride). */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('strongbox')
    .description('Self-hosted backend for sensitive data.')
    .option('--debug', 'show stack traces on errors')
    .showHelpAfterError(false)
    .configureOutput({
      writeOut: (s) => ctx.io.out(s.replace(/\n$/, '')),
      writeErr: (s) => ctx.io.err(s.replace(/\n$/, '')),
      // main() prints usage errors itself, as one `strongbox: ERR_USAGE: …` line.
      outputError: () => undefined,
    });
  registerInit(program, ctx);
  registerServe(program, ctx);
  registerMigrate(program, ctx);
  registerAdmin(program, ctx);
  registerKeys(program, ctx);
  registerAudit(program, ctx);
  registerDb(program, ctx);
  registerBackup(program, ctx);
  // exitOverride must reach every subcommand, so it is applied after they exist.
  const override = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.commands.forEach(override);
  };
  override(program);
  return program;
}

/** Runs the CLI on `argv` (process.argv shape) and returns the exit code; never exits itself. */
export async function main(
  argv: readonly string[],
  io: CliIo = processIo,
  stdin: CliContext['stdin'] = process.stdin,
): Promise<ExitCode> {
  const ctx: CliContext = { io, stdin, exitCode: EXIT.OK };
  const debug = argv.slice(2).includes('--debug');
  try {
    await buildProgram(ctx).parseAsync([...argv]);
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return commanderExit(err, io);
    reportError(io, err, debug);
    return isStrongboxError(err) && err.code === 'ERR_USAGE' ? EXIT.USAGE : EXIT.FAILURE;
  }
}

function commanderExit(err: CommanderError, io: CliIo): ExitCode {
  // --help and --version end with exitCode 0; a bare `strongbox` or `strongbox admin` prints
  // help on stderr and is a usage error.
  if (err.exitCode === 0) return EXIT.OK;
  if (err.code !== 'commander.help' && err.code !== 'commander.helpDisplayed') {
    io.err(`strongbox: ERR_USAGE: ${err.message.replace(/^error: /, '')} (see --help)`);
  }
  return EXIT.USAGE;
}

/** Entry point for the launcher and `tsx src/cli/main.ts`: runs, then exits with the code. */
export async function runCli(argv: readonly string[] = process.argv): Promise<never> {
  const code = await main(argv);
  process.exit(code);
}

function isEntryModule(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryModule()) await runCli();
