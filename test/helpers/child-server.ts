import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { DatabaseConfig } from '../../src/config/config.ts';
import type { TestConfigOptions } from './test-engine.ts';

const TSX = import.meta.resolve('tsx');

export interface ChildServer {
  readonly url: string;
  readonly child: ChildProcess;
  /** Resident set size (and heap) of the server process after a full GC. */
  memory(): Promise<{ rss: number; heapUsed: number; external: number; caches: Record<string, number> }>;
  stop(): Promise<void>;
}

/** Starts test/helpers/child-server-main.ts in its own process (with --expose-gc). */
export async function startChildServer(database: DatabaseConfig, options: TestConfigOptions = {}, extra: Record<string, unknown> = {}): Promise<ChildServer> {
  const child = fork(join(import.meta.dirname, 'child-server-main.ts'), [JSON.stringify([database, options, extra])], {
    execArgv: ['--import', TSX, '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = <T>(): Promise<T> => new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`child server exited (${code})`));
    child.once('exit', onExit);
    child.once('message', (m) => { child.off('exit', onExit); resolve(m as T); });
  });
  const { port } = await next<{ port: number }>();
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    async memory() {
      const reply = next<{ rss: number; heapUsed: number; external: number; caches: Record<string, number> }>();
      child.send('rss');
      return reply;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.send('stop');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
