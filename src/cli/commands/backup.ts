import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { ensureDataDir, loadCliConfig, resolveConfigPath } from '../config-file.ts';
import { progressBar } from '../progress-bar.ts';
import { BACKGROUND_NICE } from '../background-priority.ts';

interface ConfigOpt { config?: string }
interface KeyOpts extends ConfigOpt { identity?: string; publicKey?: string }
interface RestoreOpts extends KeyOpts { to?: string; force?: boolean }

async function engineFor(opts: ConfigOpt) {
  const config = await loadCliConfig(resolveConfigPath(opts.config), { dev: false });
  ensureDataDir(config);
  const { openEngine } = await import('../../core/engine.ts');
  return openEngine(config, { reuseDevPepper: true });
}

function identitiesFrom(opts: KeyOpts, service: typeof import('../../core/backup/backup-service.ts')): string[] {
  if (!opts.identity) throw new StrongboxError('ERR_USAGE', 'pass --identity FILE (the age identity that opens the backup)');
  return service.readIdentities(resolve(opts.identity), (p) => readFileSync(p, 'utf8'));
}

export function registerBackup(program: Command, ctx: CliContext): void {
  const backup = program.command('backup').description('encrypted backups: create, verify, restore, list (docs/backups.md)');
  const configOpt = ['--config <file>', 'config file (default ./strongbox.yaml)'] as const;
  const publicKeyOpt = ['--public-key <file>', 'the backup-signing public key to trust (default: the keys exported in backup.dir)'] as const;

  backup.command('create')
    .description('take an online snapshot, seal it to backup.recipients and sign it; prints the archive path last')
    .option(...configOpt)
    .action(async (opts: ConfigOpt) => {
      // a backup is never urgent: it yields the CPU to a server on the same machine
      const { lowerProcessPriority } = await import('../../core/backup/backup-thread.ts');
      lowerProcessPriority(BACKGROUND_NICE);
      const service = await import('../../core/backup/backup-service.ts');
      const engine = await engineFor(opts);
      const bar = progressBar('backup');
      try {
        // this process is the background: no thread of its own to start (create-backup.ts)
        const made = await service.runBackup(engine, { onProgress: bar.update, onThisThread: true });
        bar.end();
        const records = made.manifest.tables.reduce((n, t) => n + t.rows, 0);
        for (const o of made.offsite) ctx.io.out(`strongbox: copied offsite to ${o}`);
        if (made.pruned.length > 0) ctx.io.out(`strongbox: pruned ${made.pruned.length} old archive(s)`);
        ctx.io.out(`strongbox: backup of ${records} rows in ${made.manifest.tables.length} tables, ${made.bytes} bytes, sealed to ${engine.config.backup.recipients.length} recipient(s)`);
        ctx.io.out(made.path);
      } finally {
        bar.end();
        await engine.close();
      }
    });

  backup.command('verify')
    .description('restore a backup into a scratch database and check everything; one-line verdict, exit 0 or 1')
    .argument('<file>', 'the archive')
    .option('--identity <file>', 'age identity file that opens the backup')
    .option(...publicKeyOpt)
    .option(...configOpt)
    .action(async (file: string, opts: KeyOpts) => {
      const service = await import('../../core/backup/backup-service.ts');
      const { verdictLine } = await import('../../core/backup/verify-backup.ts');
      const identities = identitiesFrom(opts, service);
      const engine = await engineFor(opts);
      const bar = progressBar('verify');
      try {
        const r = await service.runVerify(engine, {
          path: resolve(file), identities, publicKeyFile: opts.publicKey ? resolve(opts.publicKey) : null, onProgress: bar.update,
        });
        bar.end();
        if (r.ok) ctx.io.out(verdictLine(r));
        else {
          ctx.io.err(verdictLine(r));
          ctx.exitCode = EXIT.FAILURE;
        }
      } finally {
        bar.end();
        await engine.close();
      }
    });

  backup.command('restore')
    .description('restore a backup into an empty database (the config\'s, or --to); --force backs up what is there first')
    .argument('<file>', 'the archive')
    .option('--identity <file>', 'age identity file that opens the backup')
    .option('--to <url>', 'target database URL (default: the config\'s database)')
    .option('--force', 'replace a non-empty target, after backing it up')
    .option(...publicKeyOpt)
    .option(...configOpt)
    .action(async (file: string, opts: RestoreOpts) => {
      const service = await import('../../core/backup/backup-service.ts');
      const identities = identitiesFrom(opts, service);
      const config = await loadCliConfig(resolveConfigPath(opts.config), { dev: false });
      let target = config.database;
      if (opts.to !== undefined) {
        const { parseDatabaseUrl } = await import('../../config/database-url.ts');
        target = parseDatabaseUrl(opts.to, process.cwd(), process.env);
      } else {
        ensureDataDir(config);
      }
      const bar = progressBar('restore');
      try {
        const m = await service.runRestore(config, {
          path: resolve(file), identities, publicKeyFile: opts.publicKey ? resolve(opts.publicKey) : null,
          target, force: opts.force === true, onProgress: bar.update, say: (l) => { bar.end(); ctx.io.out(l); },
        });
        bar.end();
        const records = m.tables.reduce((n, t) => n + t.rows, 0);
        ctx.io.out(`strongbox: restored ${records} rows in ${m.tables.length} tables from the ${m.engine} backup of ${m.created}`);
      } finally {
        bar.end();
      }
    });

  backup.command('list')
    .description('the archives in backup.dir, newest first, with when each was last verified')
    .option(...configOpt)
    .action(async (opts: ConfigOpt) => {
      const service = await import('../../core/backup/backup-service.ts');
      const engine = await engineFor(opts);
      try {
        const rows = await service.listBackups(engine);
        if (rows.length === 0) ctx.io.out('strongbox: no backups yet');
        for (const r of rows) {
          const verified = r.verified === null ? 'never verified' : `${r.verifyOk ? 'verified' : 'FAILED verification'} ${r.verified}`;
          ctx.io.out(`${r.name}  ${r.bytes} bytes  ${r.records ?? '?'} rows  ${verified}`);
        }
      } finally {
        await engine.close();
      }
    });
}
