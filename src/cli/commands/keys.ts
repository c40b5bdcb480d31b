import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { ensureDataDir, loadCliConfig, resolveConfigPath } from '../config-file.ts';
import { progressBar } from '../progress-bar.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';

interface KeysOptions { config?: string; json?: boolean; kek?: boolean; to?: string; background?: boolean; blindIndex?: boolean }

export function registerKeys(program: Command, ctx: CliContext): void {
  const keys = program.command('keys').description('the keyring: key versions, rotation and re-encryption');
  keys
    .command('status')
    .description('show the KEK, every key version (never key material) and re-encryption progress')
    .option('--json', 'print JSON')
    .option('--config <file>', 'config file (default ./strongbox.yaml)')
    .action(async (opts: KeysOptions) => withEngine(opts, async (engine) => {
      const { keyStatus } = await import('../../core/keys/key-admin.ts');
      const s = await keyStatus(engine);
      if (opts.json) {
        ctx.io.out(JSON.stringify(s, null, 2));
        return;
      }
      ctx.io.out(`KEK: ${s.kek.kind} (id ${s.kek.id})`);
      for (const k of s.keys) {
        ctx.io.out(`  ${k.purpose.padEnd(15)} ${(k.scope || '-').padEnd(20)} v${String(k.version).padEnd(4)} ${k.state}${k.retired ? ` (retired ${k.retired})` : ''}`);
      }
      for (const j of s.jobs) {
        const index = s.keys.filter((k) => k.purpose === 'blind-index' && k.scope === j.collection && k.state === 'active').map((k) => k.version);
        const to = `data key v${j.targetVersion}${index.length > 0 ? `, index key v${Math.max(...index)}` : ''}`;
        ctx.io.out(`re-encryption ${j.collection} → ${to}: ${j.state}${j.state === 'running' ? `, pass at ${j.done}/${j.total} records, ${j.changed} rewritten` : ''} (updated ${j.updated})`);
      }
    }));
  keys
    .command('rotate')
    .description('add a new data-key version and re-encrypt in the background; --kek re-wraps every key under a new KEK')
    .option('--kek', 'rotate the KEK instead: re-wrap the keys only')
    .option('--to <spec>', 'with --kek: the new KEK (file:PATH, env:NAME or pkcs11:…); default: a new key file in place of keys.kek')
    .option('--blind-index', 'rotate the blind-index keys instead: every row is re-indexed under the new key')
    .option('--background', 'do not wait for re-encryption; a running server finishes it')
    .option('--config <file>', 'config file (default ./strongbox.yaml)')
    .action(async (opts: KeysOptions) => withEngine(opts, async (engine) => {
      if (opts.to !== undefined && !opts.kek) throw new StrongboxError('ERR_USAGE', '--to goes with --kek');
      if (opts.blindIndex && opts.kek) throw new StrongboxError('ERR_USAGE', '--blind-index and --kek are separate rotations');
      if (opts.kek) {
        const { rotateKek } = await import('../../core/keys/kek-rotation.ts');
        const { parseKekSpec } = await import('../../config/parse-keys.ts');
        const to = opts.to === undefined ? undefined : parseKekSpec(opts.to, engine.config.baseDir);
        const r = await rotateKek(engine.keys, engine.config.keys.kek, to, { dev: engine.config.dev });
        await engine.audit.append({ action: 'keys.rotate_kek', outcome: 'success', actor: { role: 'cli' }, details: { rewrapped: r.rewrapped, kekId: r.kekId } });
        ctx.io.out(`strongbox: re-wrapped ${r.rewrapped} key(s) under KEK ${r.kekId}`);
        if (r.configChange) ctx.io.out(`strongbox: now set keys.kek: "${opts.to}" in the config`);
        return;
      }
      const { rotateDataKeys, rotateIndexKeys } = await import('../../core/keys/key-admin.ts');
      const index = opts.blindIndex === true;
      const bar = progressBar(index ? 're-indexing' : 're-encrypting');
      const versions = await (index ? rotateIndexKeys : rotateDataKeys)(engine, { background: opts.background === true, onProgress: (j) => bar.update(j.done, j.total) });
      bar.end();
      if (Object.keys(versions).length > 0) {
        await engine.audit.append({
          action: index ? 'keys.rotate_blind_index' : 'keys.rotate', outcome: 'success', actor: { role: 'cli' },
          details: { collections: Object.keys(versions), versions: Object.entries(versions).map(([c, v]) => `${c}:v${v}`), background: opts.background === true },
        });
      }
      if (Object.keys(versions).length === 0) ctx.io.out(`strongbox: no collection has ${index ? 'searchable ' : ''}sensitive fields; nothing to rotate`);
      for (const [c, v] of Object.entries(versions)) ctx.io.out(`strongbox: ${c} now writes with ${index ? 'blind-index' : 'data'} key v${v}`);
      ctx.io.out(opts.background ? 'strongbox: re-encryption continues in the background (see keys status)' : 'strongbox: re-encryption done; older versions retired');
    }));

  async function withEngine(opts: KeysOptions, work: (engine: import('../../core/engine.ts').Engine) => Promise<void>): Promise<void> {
    const config = await loadCliConfig(resolveConfigPath(opts.config), { dev: false });
    ensureDataDir(config);
    const { openEngine } = await import('../../core/engine.ts');
    const engine = await openEngine(config, { reuseDevPepper: true });
    try {
      await work(engine);
    } finally {
      await engine.close();
    }
  }
}
