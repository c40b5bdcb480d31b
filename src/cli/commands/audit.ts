import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { loadCliConfig, resolveConfigPath } from '../config-file.ts';
import { progressBar } from '../progress.ts';

interface VerifyOptions { checkpoint?: string; config?: string }

export function registerAudit(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description('check, read and prune the tamper-evident audit trail');
  audit
    .command('verify')
    .description('check the whole HMAC chain and compare it with the signed checkpoints; exit 1 if anything is wrong')
    .option('--checkpoint <file>', 'compare with this checkpoint (default: every checkpoint in audit.checkpoints)')
    .option('--config <file>', 'config file (default ./strongbox.yaml)')
    .action(async (opts: VerifyOptions) => {
      const config = await loadCliConfig(resolveConfigPath(opts.config), { dev: false });
      const { openEngine } = await import('../../core/engine.ts');
      const { loadCheckpoints } = await import('../../core/audit/audit-checkpoints.ts');
      const engine = await openEngine(config);
      try {
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
        ctx.io.out(`strongbox: audit trail intact: ${res.checked} events checked up to seq ${res.headSeq} in ${seconds.toFixed(2)} s`
          + (cp ? `; matches the signed checkpoint at seq ${cp.size} (${cp.time})` : '; no checkpoint to compare with yet'));
      } finally {
        await engine.close();
      }
    });
}
