import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { DatabaseConfig } from '../../src/config/config.ts';
import type { TestConfigOptions } from './test-engine.ts';

const TSX = import.meta.resolve('tsx');

export interface ChildMemory {
  readonly rss: number;
  /** V8 heap of the main thread (worker threads have their own; RSS counts them) */
  readonly heapUsed: number;
  /** V8 heap of the main thread as committed (RSS counts it) */
  readonly heapTotal: number;
  readonly external: number;
  /**
   * Estimated bytes and entries: rules/ruleEntries (RuleCache), queries/queryEntries
   * (CompiledQueryCache), statementEntries (SQLite: Kysely's StatementCache; PostgreSQL: the
   * statement names), statementNames (PostgreSQL: bytes of those names and their SQL).
   */
  readonly caches: Readonly<Record<string, number>>;
}

export interface ChildServer {
  readonly url: string;
  readonly child: ChildProcess;
  /** The server process's memory after a full GC, and what its caches hold by their own accounting (IPC). */
  memory(): Promise<ChildMemory>;
  /** Empties the record service's caches (RuleCache, CompiledQueryCache), then the same as memory(). */
  dropCaches(): Promise<ChildMemory>;
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
      const reply = next<ChildMemory>();
      child.send('memory');
      return reply;
    },
    async dropCaches() {
      const reply = next<ChildMemory>();
      child.send('drop-caches');
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
