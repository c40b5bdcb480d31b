import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { ensureDataDir, loadCliConfig, resolveConfigPath } from '../config-file.ts';

interface MigrateOptions { dryRun?: boolean; allowDestructive?: boolean; config?: string }

export function registerMigrate(program: Command, ctx: CliContext): void {
  program
    .command('migrate')
    .description('bring the database schema in line with strongbox.yaml')
    .option('--dry-run', 'print the plan and its SQL; change nothing')
    .option('--allow-destructive', 'also apply drops, type changes and new constraints')
    .option('--config <file>', 'config file (default ./strongbox.yaml)')
    .action(async (opts: MigrateOptions) => {
      const config = await loadCliConfig(resolveConfigPath(opts.config), { dev: false });
      if (!opts.dryRun) ensureDataDir(config);
      const { migrateSchema } = await import('../../core/migrate-schema.ts');
      const result = await migrateSchema(config, {
        dryRun: opts.dryRun === true,
        allowDestructive: opts.allowDestructive === true,
        // The plan goes out before a refusal, so the operator sees what would be dropped.
        onPlan: (text) => { if (text.trim()) ctx.io.out(text.replace(/\n$/, '')); },
      });
      if (!result.pending) ctx.io.out('strongbox: the schema is up to date');
      else if (opts.dryRun) ctx.io.out('strongbox: dry run; nothing was changed');
      else ctx.io.out('strongbox: migration applied');
    });
}
