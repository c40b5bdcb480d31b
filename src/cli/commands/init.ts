import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { CliContext } from '../context.ts';
import { DEFAULT_CONFIG_FILE, display, ensureDataDir, writeDevConfig } from '../config-file.ts';

export function registerInit(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('write strongbox.yaml with example collections and a data folder (mode 0700)')
    .option('--dir <folder>', 'folder to create them in', '.')
    .action(async (opts: { dir: string }) => {
      const path = resolve(opts.dir, DEFAULT_CONFIG_FILE);
      const config = await writeDevConfig(path);
      const dataDir = ensureDataDir(config);
      const { createDevKek } = await import('../../core/keys/open-kek.ts');
      const kek = createDevKek(config.keys.kek);
      ctx.io.out(`strongbox: wrote ${display(path)}${dataDir ? ` and ${display(dataDir)}/` : ''}${kek ? ` with a development KEK (${display(kek)}, 0600)` : ''}`);
      ctx.io.out(`next: npx strongbox serve --dev${opts.dir === '.' ? '' : ` --config ${display(path)}`}`);
    });
}
