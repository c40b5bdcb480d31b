import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { StrongboxConfig } from '../../config/config.ts';
import type { buildServer as BuildServer } from '../../http/build-server.ts';
import { StrongboxError, isStrongboxError } from '../../errors/strongbox-error.ts';
import type { CliContext } from '../context.ts';
import { display, ensureDataDir, loadCliConfig, resolveConfigPath, writeDevConfig } from '../config-file.ts';
import { httpUrl, isLoopbackHost } from '../loopback.ts';
import { parsePort } from '../parse-port.ts';
import { waitForShutdown } from '../graceful-shutdown.ts';
import type { ExitCode } from '../exit-codes.ts';

interface ServeOptions { dev?: boolean; config?: string; host?: string; port?: number }

export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('run the HTTP server (stops gracefully on SIGTERM/SIGINT)')
    .option('--dev', 'development mode; creates strongbox.yaml and data/ on first run')
    .option('--config <file>', 'config file (default ./strongbox.yaml)')
    .option('--host <host>', 'listen host (overrides listen.host)')
    .option('--port <port>', 'listen port, 0 for any free one (overrides listen.port)', parsePort)
    .action(async (opts: ServeOptions, cmd: Command) => {
      const debug = cmd.optsWithGlobals<{ debug?: boolean }>().debug === true;
      ctx.exitCode = await serve(opts, ctx, debug);
    });
}

async function serve(opts: ServeOptions, ctx: CliContext, debug: boolean): Promise<ExitCode> {
  const { io } = ctx;
  const path = resolveConfigPath(opts.config);
  const dev = opts.dev === true;
  const firstRun = dev && !existsSync(path);
  if (firstRun) {
    await writeDevConfig(path);
    io.out(`strongbox: first run in dev mode; wrote ${display(path)} and a data folder`);
  }
  const config = withListen(await loadCliConfig(path, { dev }), opts);
  const { host, port } = config.listen;
  // TLS is the issue "HTTPS and the HTTP edge"; until then plain HTTP only where nobody can listen in.
  if (!(config.dev && isLoopbackHost(host))) {
    throw new StrongboxError('ERR_TLS_REQUIRED', config.dev
      ? `TLS is not configured; in dev mode plain HTTP is allowed only on a loopback host, not ${host}`
      : 'TLS is not configured; plain HTTP is allowed only with --dev on a loopback host');
  }
  ensureDataDir(config);
  // Loaded on demand so `--help` and usage errors stay fast.
  const { openEngine } = await import('../../core/engine.ts');
  const { buildServer } = await import('../../http/build-server.ts');
  const engine = await openEngine(config, { serving: true, refuseUnsafeRole: !config.dev }).catch((err: unknown) => { throw withMigrateHint(err); });
  let app: Awaited<ReturnType<typeof BuildServer>> | undefined;
  let backups: { stop(): Promise<void> } | undefined;
  try {
    // scheduled backups and restore drills (docs/backups.md); off unless backup.schedule / backup.verify
    const { startBackupScheduler } = await import('../../core/backup/backup-scheduler.ts');
    backups = startBackupScheduler(engine, { log: (line) => io.err(line) });
    // warn and above: failed requests reach the operator; per-request lines would cost throughput.
    app = await buildServer(engine, { logger: { level: 'warn' } });
    await app.listen({ host, port });
  } catch (err) {
    await backups?.stop().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await engine.close();
    throw err;
  }
  engine.startBackgroundJobs((err) => io.err(`strongbox: audit checkpoint not written: ${err instanceof Error ? err.message : 'unknown error'}`));
  // Handlers go in before the URL is printed: a script may signal as soon as it reads it.
  const stopped = waitForShutdown(app, engine, io, { debug });
  void stopped.finally(() => backups?.stop());
  if (firstRun) printFirstAdminHint(ctx, opts.config);
  // Last line of startup: scripts wait for it, so everything else is printed before.
  const address = app.server.address() as AddressInfo;
  io.out(`strongbox: listening on ${httpUrl(host, address.port)}${config.dev ? ' (dev mode, plain HTTP on loopback)' : ''}`);
  return stopped;
}

function withListen(config: StrongboxConfig, opts: ServeOptions): StrongboxConfig {
  if (opts.host === undefined && opts.port === undefined) return config;
  const listen = Object.freeze({ host: opts.host ?? config.listen.host, port: opts.port ?? config.listen.port });
  return Object.freeze({ ...config, listen });
}

function withMigrateHint(err: unknown): unknown {
  if (!isStrongboxError(err) || err.code !== 'ERR_MIGRATION_DESTRUCTIVE') return err;
  return new StrongboxError('ERR_MIGRATION_DESTRUCTIVE',
    `${err.message.replace(/\.$/, '')}; review it with 'strongbox migrate --dry-run' and apply it with 'strongbox migrate --allow-destructive'`,
    err.details, { cause: err });
}

function printFirstAdminHint(ctx: CliContext, configOption: string | undefined): void {
  const config = configOption === undefined ? '' : ` --config ${configOption}`;
  ctx.io.out('strongbox: create the first admin account with:');
  ctx.io.out(`  printf '%s' 'a-long-password' | npx strongbox admin create --email you@example.com --password-stdin${config}`);
}
