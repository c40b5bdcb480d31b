import type { Command } from 'commander';
import type { StrongboxConfig } from '../../config/config.ts';
import type { Engine } from '../../core/engine.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { loadCliConfig, resolveConfigPath } from '../config-file.ts';
import { progressBar } from '../progress.ts';

interface ConfigOption { config?: string }
interface VerifyOptions extends ConfigOption { checkpoint?: string }
interface ExportOptions extends ConfigOption { since?: string; until?: string }
interface TailOptions extends ConfigOption { follow?: boolean; lines?: string }
interface PruneOptions extends ConfigOption { before: string }

const DATE = /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d{1,3})?)?Z)?$/;

/** A date or UTC date-time from the command line, as the ISO text stored in `time`. */
function isoArg(value: string, flag: string): string {
  const d = new Date(value.length === 10 ? `${value}T00:00:00Z` : value);
  if (!DATE.test(value) || Number.isNaN(d.getTime())) {
    throw new StrongboxError('ERR_USAGE', `${flag} must be a date (2026-01-31) or UTC date-time (2026-01-31T12:00:00Z)`);
  }
  return d.toISOString();
}

/** `asOwner`: connect as the owner role (migrate.database) when one is configured: the app role may not delete audit events. */
async function withEngine<T>(opts: ConfigOption, fn: (engine: Engine, config: StrongboxConfig) => Promise<T>, o: { asOwner?: boolean } = {}): Promise<T> {
  const loaded = await loadCliConfig(resolveConfigPath(opts.config), { dev: false });
  const owner = o.asOwner === true ? loaded.migrate?.database ?? null : null;
  const config: StrongboxConfig = owner === null ? loaded : Object.freeze({ ...loaded, database: owner });
  const { openEngine } = await import('../../core/engine.ts');
  const engine = await openEngine(config, { reuseDevPepper: true });
  try {
    return await fn(engine, config);
  } finally {
    await engine.close();
  }
}

export function registerAudit(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description('check, read and prune the tamper-evident audit trail');
  audit
    .command('verify')
    .description('check the whole HMAC chain and compare it with the signed checkpoints; exit 1 if anything is wrong')
    .option('--checkpoint <file>', 'compare with this checkpoint (default: every checkpoint in audit.checkpoints)')
    .option('--config <file>', 'config file (default ./strongbox.yaml)')
    .action((opts: VerifyOptions) => withEngine(opts, async (engine) => {
      const { loadCheckpoints } = await import('../../core/audit/audit-checkpoints.ts');
      const checkpoints = loadCheckpoints(engine.audit, engine.config.audit, opts.checkpoint);
      const bar = progressBar('strongbox: verifying');
      const started = performance.now();
      const res = await engine.audit.verify({ checkpoints, onProgress: (d, t) => bar.update(d, t) });
      bar.end();
      const seconds = (performance.now() - started) / 1000;
      if (!res.ok) {
        ctx.io.err(`strongbox: ERR_AUDIT_VERIFY: the audit trail is broken at seq ${res.firstBadSeq}: ${res.problem}`);
        ctx.exitCode = EXIT.FAILURE;
        return;
      }
      const cp = res.checkpoint;
      const rate = seconds > 0 ? ` (${Math.round(res.checked / seconds)} events/s)` : '';
      ctx.io.out(`strongbox: audit trail intact: ${res.checked} events checked up to seq ${res.headSeq} in ${seconds.toFixed(2)} s${rate}`
        + (cp ? `; matches the signed checkpoint at seq ${cp.size} (${cp.time})` : '; no checkpoint to compare with yet'));
    }));

  audit
    .command('export')
    .description('write events as JSON Lines to stdout')
    .option('--since <date>', 'from this date or UTC date-time (inclusive)')
    .option('--until <date>', 'up to this date or UTC date-time (exclusive)')
    .option('--config <file>', 'config file (default ./strongbox.yaml)')
    .action((opts: ExportOptions) => {
      const since = opts.since === undefined ? undefined : isoArg(opts.since, '--since');
      const until = opts.until === undefined ? undefined : isoArg(opts.until, '--until');
      return withEngine(opts, async (engine) => {
        const { readEntries } = await import('../../core/audit/audit-entries.ts');
        for await (const e of readEntries(engine.db.kysely, { since, until })) ctx.io.out(JSON.stringify(e));
      });
    });

  audit
    .command('tail')
    .description('print the last events as JSON Lines; with -f, keep printing new ones until interrupted')
    .option('-f, --follow', 'follow the trail')
    .option('-n, --lines <n>', 'how many past events to print first (default 10)')
    .option('--config <file>', 'config file (default ./strongbox.yaml)')
    .action((opts: TailOptions) => {
      const n = opts.lines === undefined ? 10 : Number(opts.lines);
      if (!Number.isSafeInteger(n) || n < 0 || n > 100_000) throw new StrongboxError('ERR_USAGE', '--lines must be a whole number from 0 to 100000');
      return withEngine(opts, async (engine) => {
        const { lastEntries, readEntries } = await import('../../core/audit/audit-entries.ts');
        let after = 0;
        for (const e of await lastEntries(engine.db.kysely, n)) {
          ctx.io.out(JSON.stringify(e));
          after = e.seq;
        }
        if (!opts.follow) return;
        if (after === 0) after = (await lastEntries(engine.db.kysely, 1))[0]?.seq ?? 0;
        const stop = new AbortController();
        const onSignal = (): void => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          while (!stop.signal.aborted) {
            for await (const e of readEntries(engine.db.kysely, { afterSeq: after })) {
              ctx.io.out(JSON.stringify(e));
              after = e.seq;
            }
            await new Promise<void>((r) => { const t = setTimeout(r, 250); stop.signal.addEventListener('abort', () => { clearTimeout(t); r(); }, { once: true }); });
          }
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      });
    });

  audit
    .command('prune')
    .description('remove events older than a date, after verifying the chain; writes a signed prune checkpoint')
    .requiredOption('--before <date>', 'remove events before this date or UTC date-time')
    .option('--config <file>', 'config file (default ./strongbox.yaml)')
    .action((opts: PruneOptions) => {
      const before = isoArg(opts.before, '--before');
      return withEngine(opts, async (engine) => {
        const { loadCheckpoints } = await import('../../core/audit/audit-checkpoints.ts');
        const { pruneAudit } = await import('../../core/audit/audit-prune.ts');
        const checkpoints = loadCheckpoints(engine.audit, engine.config.audit);
        const res = await pruneAudit(engine.db, engine.audit, engine.config.audit, before, checkpoints);
        ctx.io.out(res.uptoSeq === null
          ? `strongbox: no events before ${before}; nothing pruned`
          : `strongbox: pruned ${res.removed} events up to seq ${res.uptoSeq}; signed prune checkpoint ${res.checkpointFile}`);
      }, { asOwner: true });
    });

  audit
    .command('public-key')
    .description('print the checkpoint signing public key (PEM); a verifier needs nothing else')
    .option('--config <file>', 'config file (default ./strongbox.yaml)')
    .action((opts: ConfigOption) => withEngine(opts, async (engine) => {
      ctx.io.out(engine.audit.publicKey().publicKeyPem.trimEnd());
    }));
}
