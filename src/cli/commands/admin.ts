import type { Command } from 'commander';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import type { CliContext } from '../context.ts';
import { ensureDataDir, loadCliConfig, resolveConfigPath } from '../config-file.ts';
import { readSecretFromStdin } from '../read-stdin.ts';
import { registerAdminAccounts } from './admin-accounts.ts';

interface AdminCreateOptions { email: string; passwordStdin?: boolean; config?: string }

export function registerAdmin(program: Command, ctx: CliContext): void {
  const admin = program.command('admin').description('manage accounts');
  registerAdminAccounts(admin, ctx);
  admin
    .command('create')
    .description('create an admin account; the password is read from stdin')
    .requiredOption('--email <email>', 'the admin\'s email address')
    .option('--password-stdin', 'read the password from stdin (required: never on the command line)')
    .option('--config <file>', 'config file (default ./strongbox.yaml)')
    .action(async (opts: AdminCreateOptions) => {
      // A password in argv would land in shell history and `ps`; only stdin is offered.
      if (!opts.passwordStdin) throw new StrongboxError('ERR_USAGE', 'pass --password-stdin and pipe the password in');
      const password = await readSecretFromStdin(ctx.stdin);
      const config = await loadCliConfig(resolveConfigPath(opts.config), { dev: false });
      ensureDataDir(config);
      const { openEngine } = await import('../../core/engine.ts');
      const engine = await openEngine(config, { reuseDevPepper: true });
      try {
        const account = await engine.accounts.createAdmin(opts.email, password);
        ctx.io.out(`strongbox: created admin ${account.email} (id ${account.id})`);
      } finally {
        await engine.close();
      }
    });
  admin
    .command('create-service')
    .description('create a service account for an mTLS client certificate (listen.tls.clients); it has no usable password')
    .requiredOption('--email <email>', 'the account\'s email address, as listen.tls.clients names it')
    .option('--role <role>', 'its role, which rules can name (never admin)', 'service')
    .option('--config <file>', 'config file (default ./strongbox.yaml)')
    .action(async (opts: { email: string; role: string; config?: string }) => {
      const config = await loadCliConfig(resolveConfigPath(opts.config), { dev: false });
      ensureDataDir(config);
      const { openEngine } = await import('../../core/engine.ts');
      const engine = await openEngine(config, { reuseDevPepper: true });
      try {
        const account = await engine.accounts.createService(opts.email, opts.role);
        ctx.io.out(`strongbox: created service account ${account.email} with role ${account.role} (id ${account.id})`);
      } finally {
        await engine.close();
      }
    });
}
