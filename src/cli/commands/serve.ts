import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import type { StrongboxConfig } from '../../config/config.ts';
import type { buildServer as BuildServer } from '../../http/build-server.ts';
import { StrongboxError, isStrongboxError } from '../../errors/strongbox-error.ts';
import type { CliContext } from '../context.ts';
import { display, ensureDataDir, loadCliConfig, resolveConfigPath, writeDevConfig } from '../config-file.ts';
import { httpUrl, isLoopbackHost } from '../loopback.ts';
import { parsePort } from '../parse-port.ts';
import { waitForShutdown } from '../graceful-shutdown.ts';
import type { ExitCode } from '../exit-codes.ts';

interface ServeOptions { dev?: boolean; config?: string; host?: string; port?: number; unsafePlainHttp?: boolean }

export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('run the HTTP server (stops gracefully on SIGTERM/SIGINT)')
    .option('--dev', 'development mode; creates strongbox.yaml and data/ on first run')
    .option('--config <file>', 'config file (default ./strongbox.yaml)')
    .option('--host <host>', 'listen host (overrides listen.host)')
    .option('--port <port>', 'listen port, 0 for any free one (overrides listen.port)', parsePort)
    .option('--unsafe-plain-http', 'with --dev on loopback only: plain HTTP instead of the local HTTPS certificate (tests, benchmarks)')
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
  const { host } = config.listen;
  const { chooseTransport, adminReachableFromEverywhere } = await import('../../core/edge/edge-setup.ts');
  // Before the database opens: a bad certificate or a refused plain-HTTP setup fails fast.
  const transport = chooseTransport(config, { unsafePlainHttp: opts.unsafePlainHttp, isLoopback: isLoopbackHost });
  ensureDataDir(config);
  // Loaded on demand so `--help` and usage errors stay fast.
  const { openEngine } = await import('../../core/engine.ts');
  const { buildServer } = await import('../../http/build-server.ts');
  const engine = await openEngine(config, { serving: true, refuseUnsafeRole: !config.dev }).catch((err: unknown) => { throw withMigrateHint(err); });
  let app: Awaited<ReturnType<typeof BuildServer>> | undefined;
  let addresses: import("../../http/edge/edge-listeners.ts").ListenAddresses;
  let backups: { stop(): Promise<void> } | undefined;
  try {
    // scheduled backups and restore drills (docs/backups.md); off unless backup.schedule / backup.verify
    const { startBackupScheduler } = await import('../../core/backup/backup-scheduler.ts');
    backups = startBackupScheduler(engine, { log: (line) => io.err(line) });
    // warn and above: failed requests reach the operator; per-request lines would cost throughput.
    app = await buildServer(engine, {
      logger: { level: 'warn' },
      tls: transport.kind === 'https' ? transport.tls : null,
      proxyOnly: transport.kind === 'plain' && transport.reason === 'trusted-proxy',
    });
    addresses = await app.strongboxEdge.listen(app);
  } catch (err) {
    await backups?.stop().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await engine.close();
    throw err;
  }
  engine.startBackgroundJobs((err) => io.err(`strongbox: audit checkpoint not written: ${err instanceof Error ? err.message : 'unknown error'}`));
  const served = app;
  const watcher = await watchCertificates(config, served, ctx);
  // Handlers go in before the URL is printed: a script may signal as soon as it reads it.
  const closable = { close: async () => { watcher?.close(); await served.close(); } };
  const stopped = waitForShutdown(closable, engine, io, { debug });
  void stopped.finally(() => backups?.stop());
  if (firstRun) printFirstAdminHint(ctx, opts.config);
  const scheme = transport.kind === 'https' ? 'https' : 'http';
  if (transport.kind === 'https' && transport.dev !== null) printDevCa(ctx, transport.dev.caCert, transport.dev.createdCa);
  if (!config.dev && adminReachableFromEverywhere(config, isLoopbackHost)) {
    io.err('strongbox: warning: the admin surface (/api/admin/, /_/) is reachable from every address; set admin.listen to a private interface or admin.allow to the admins\' ranges');
  }
  if (!config.dev && config.listen.publicOrigins.length === 0) {
    io.err('strongbox: warning: listen.publicOrigins is not set: browsers may sign in and make changes only from the address they connect to; list the origins users reach this server at (docs/sign-in.md, CSRF)');
  }
  if (addresses.admin) io.out(`strongbox: admin surface on ${httpUrl(config.admin.listen?.host ?? host, addresses.admin.port, scheme)}`);
  if (addresses.redirect) io.out(`strongbox: redirecting ${httpUrl(host, addresses.redirect.port)} to HTTPS`);
  // Last line of startup: scripts wait for it, so everything else is printed before.
  const mode = transport.kind === 'https'
    ? (config.dev ? ' (dev mode, HTTPS with the local CA)' : '')
    : (transport.reason === 'dev-loopback' ? ' (dev mode, UNSAFE plain HTTP on loopback)' : ' (plain HTTP for the trusted proxies only)');
  io.out(`strongbox: listening on ${httpUrl(host, addresses.main.port, scheme)}${mode}`);
  return stopped;
}

async function watchCertificates(config: StrongboxConfig, app: Awaited<ReturnType<typeof BuildServer>>, ctx: CliContext): Promise<{ close(): void } | null> {
  const tls = config.listen.tls;
  if (tls === null) return null;
  const { watchTls } = await import('../../core/edge/tls-material.ts');
  return watchTls(tls, config.listen.host, (next) => {
    app.strongboxEdge.reload(next);
    ctx.io.out('strongbox: reloaded the TLS certificate and key');
  }, (err) => {
    ctx.io.err(`strongbox: warning: kept the previous TLS certificate: ${isStrongboxError(err) ? err.message : 'the new files cannot be read'}`);
  });
}

function printDevCa(ctx: CliContext, caCert: string, created: boolean): void {
  const ca = display(caCert);
  if (created) ctx.io.out(`strongbox: created a local certificate authority for dev HTTPS: ${ca} (it can sign only localhost names)`);
  ctx.io.out(`strongbox: trust it with: curl --cacert ${ca} …, NODE_EXTRA_CA_CERTS=${ca}, or system-wide: sudo cp ${ca} /usr/local/share/ca-certificates/strongbox-dev.crt && sudo update-ca-certificates`);
}

function withListen(config: StrongboxConfig, opts: ServeOptions): StrongboxConfig {
  if (opts.host === undefined && opts.port === undefined) return config;
  const listen = Object.freeze({ ...config.listen, host: opts.host ?? config.listen.host, port: opts.port ?? config.listen.port });
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
