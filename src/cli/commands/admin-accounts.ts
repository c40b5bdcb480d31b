import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { ensureDataDir, loadCliConfig, resolveConfigPath } from '../config-file.ts';
import type { Engine } from '../../core/engine.ts';

interface EmailOptions { email: string; config?: string }

async function withEngine<T>(opts: EmailOptions, work: (engine: Engine, id: string) => Promise<T>): Promise<T> {
  const config = await loadCliConfig(resolveConfigPath(opts.config), { dev: false });
  ensureDataDir(config);
  const { openEngine } = await import('../../core/engine.ts');
  const engine = await openEngine(config, { reuseDevPepper: true });
  try {
    return await work(engine, await engine.accounts.admin.idOfEmail(opts.email));
  } finally {
    await engine.close();
  }
}

/** `strongbox admin set-role|disable|enable|unlock|reset-password --email E`. */
export function registerAdminAccounts(admin: Command, ctx: CliContext): void {
  const emailCommand = (name: string, description: string) => admin.command(name).description(description)
    .requiredOption('--email <email>', 'the account\'s email address')
    .option('--config <file>', 'config file (default ./strongbox.yaml)');

  emailCommand('set-role', 'give an account a role (ends its sessions)')
    .requiredOption('--role <role>', 'a lower-case role name, e.g. doctor')
    .action(async (opts: EmailOptions & { role: string }) => {
      const a = await withEngine(opts, (e, id) => e.accounts.admin.change(id, { role: opts.role }, { id: null, keepSessionHash: null }));
      ctx.io.out(`strongbox: ${a.email} now has role ${a.role}`);
    });
  for (const [name, disabled] of [['disable', true], ['enable', false]] as const) {
    emailCommand(name, `${name} an account${disabled ? ' (ends its sessions; it cannot sign in)' : ''}`)
      .action(async (opts: EmailOptions) => {
        const a = await withEngine(opts, (e, id) => e.accounts.admin.change(id, { disabled }, { id: null, keepSessionHash: null }));
        ctx.io.out(`strongbox: ${a.email} is ${a.disabled ? 'disabled' : 'enabled'}`);
      });
  }
  emailCommand('unlock', 'end an account\'s sign-in lock (repeated failed passwords)')
    .action(async (opts: EmailOptions) => {
      await withEngine(opts, (e, id) => e.accounts.admin.unlock(id, null));
      ctx.io.out(`strongbox: sign-in lock cleared for ${opts.email.trim().toLowerCase()}`);
    });
  emailCommand('reset-password', 'print a single-use password reset token (valid 15 minutes)')
    .action(async (opts: EmailOptions) => {
      const r = await withEngine(opts, (e, id) => e.accounts.passwords.issueReset(id, null));
      // The token alone on stdout, so a script can pipe it; the rest on stderr.
      ctx.io.out(r.token);
      ctx.io.err(`strongbox: reset token for ${opts.email.trim().toLowerCase()} valid until ${r.expires}; use it with POST /api/auth/reset-password {"token","password"}`);
    });
}
