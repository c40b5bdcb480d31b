import type { Command } from 'commander';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import type { CliContext } from '../context.ts';
import { loadCliConfig, resolveConfigPath } from '../config-file.ts';
import { promptSecret, readSecretFile } from '../read-secret.ts';
import { parseDuration } from '../../config/parse-units.ts';

interface ProvisionCliOptions {
  adminUrl: string;
  dryRun?: boolean;
  config?: string;
  readerRole?: string;
  connectionLimit?: string;
  statementTimeout?: string;
  skipPgaudit?: boolean;
}

export const ADMIN_SECRET = 'STRONGBOX_ADMIN_DATABASE_PASSWORD_FILE';
export const READER_SECRET = 'STRONGBOX_READER_DATABASE_PASSWORD_FILE';

function positiveInt(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9][0-9]{0,5}$/.test(text)) throw new StrongboxError('ERR_USAGE', `${what} must be a positive integer`);
  return Number(text);
}

export function registerDb(program: Command, ctx: CliContext): void {
  const db = program.command('db').description('PostgreSQL administration');
  db
    .command('provision')
    .description('create or update the owner, app and reader roles and their grants (one transaction)')
    .requiredOption('--admin-url <url>', 'admin connection, postgres://postgres@host/ (no password: STRONGBOX_ADMIN_DATABASE_PASSWORD_FILE or a prompt)')
    .option('--dry-run', 'print the SQL (passwords redacted); change nothing')
    .option('--config <file>', 'config file (default ./strongbox.yaml)')
    .option('--reader-role <name>', `also a read-only role for backups and verification (password: ${READER_SECRET})`)
    .option('--connection-limit <n>', 'connection limit of the app role (default 50)')
    .option('--statement-timeout <duration>', 'statement_timeout of the app role, e.g. 30s (default 30s)')
    .option('--skip-pgaudit', 'provision even though the server has not loaded pgaudit')
    .action(async (opts: ProvisionCliOptions) => {
      const config = await loadCliConfig(resolveConfigPath(opts.config), { dev: false });
      const connectionLimit = positiveInt(opts.connectionLimit, '--connection-limit');
      let statementTimeoutMs: number | undefined;
      if (opts.statementTimeout !== undefined) {
        const seconds = parseDuration(opts.statementTimeout);
        if (seconds === null) throw new StrongboxError('ERR_USAGE', '--statement-timeout needs a unit, e.g. 30s or 2m');
        statementTimeoutMs = seconds * 1000;
      }
      const readerPassword = opts.readerRole ? readSecretFile(READER_SECRET) : null;
      const adminPassword = readSecretFile(ADMIN_SECRET)
        ?? await promptSecret('PostgreSQL admin password: ', ctx.stdin, (s) => process.stderr.write(s),
          `set ${ADMIN_SECRET} to a file holding the admin password, or run on a terminal to be asked for it`);
      const { provisionDatabase, PGAUDIT_CONF_HINT } = await import('../../core/provision-database.ts');
      const result = await provisionDatabase(config, {
        adminUrl: opts.adminUrl,
        adminPassword,
        readerRole: opts.readerRole ?? null,
        readerPassword,
        connectionLimit,
        statementTimeoutMs,
        skipPgaudit: opts.skipPgaudit === true,
        dryRun: opts.dryRun === true,
      });
      if (!result.pgaudit) ctx.io.err(`strongbox: warning: pgaudit is not loaded, so nothing is audited natively; ${PGAUDIT_CONF_HINT}`);
      ctx.io.out(`-- database ${result.database}: ${result.statements.length} statements in one transaction${result.applied ? '' : ' (dry run: nothing was run)'}`);
      for (const st of result.statements) ctx.io.out(`${st.shown};`);
      const roles = Object.entries(result.roles).map(([name, how]) => `${name} (${how})`).join(', ');
      ctx.io.out(result.applied
        ? `strongbox: provisioned ${roles}; pgaudit ${result.pgaudit ? 'configured' : 'NOT configured'}`
        : `strongbox: dry run; would provision ${roles}; nothing was changed`);
    });
}
