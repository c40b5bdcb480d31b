import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ERRORS, type ErrorCode } from '../../errors/registry.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';

/**
 * Backup work (snapshot reading, sealing; the checks of a verify) runs on worker threads so the
 * event loop that serves requests never waits for it, and below that loop's CPU priority, so
 * on a busy machine serving wins (Linux: per-thread nice).
 */
export const BACKUP_THREAD_NICE = 10;

/**
 * Lowers the calling thread's CPU priority to `nice` (best effort; Linux only). Never raises it:
 * a thread of a process already below that (`backup create` runs at nice 19) stays there, even
 * where the process could raise it (root).
 */
export function lowerThreadPriority(nice: number): void {
  if (process.platform !== 'linux') return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isSafeInteger(tid) && tid > 0 && getPriority(tid) < nice) setPriority(tid, nice);
  } catch {
    // the work still runs, at the loop's priority
  }
}

/**
 * Lowers this process's CPU priority for `backup create`: called first thing, before any thread
 * starts, so every thread made afterwards inherits it (on Linux the nice value is per thread).
 */
export function lowerProcessPriority(nice: number): void {
  try {
    if (getPriority() < nice) setPriority(nice);
  } catch {
    // best effort
  }
}

/** What crosses back from a backup thread: a code and a message, never a stack or a library text. */
export interface ThreadFailure { readonly type: 'error'; readonly code: string; readonly message: string }

export function failureOf(err: unknown): ThreadFailure {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (err instanceof StrongboxError) return { type: 'error', code: err.code, message: err.message };
  // a Node system error (ENOSPC, EACCES…) keeps its code, so the caller maps it as before
  if (typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code)) return { type: 'error', code: e.code, message: 'system error' };
  return { type: 'error', code: 'ERR_INTERNAL', message: 'an unexpected error occurred in a backup thread' };
}

export function errorOf(f: ThreadFailure): Error {
  if (Object.hasOwn(ERRORS, f.code)) return new StrongboxError(f.code as ErrorCode, f.message);
  return Object.assign(new Error(`${f.code}: ${f.message}`), { code: f.code });
}

/** Starts `entry` (a TypeScript module next to this one) on a worker thread. */
export function startBackupThread(entry: string, data: object): Worker {
  return new Worker(new URL('./worker-boot.mjs', import.meta.url), {
    workerData: { ...data, entry: new URL(entry, import.meta.url).href },
    // the entry registers the TypeScript loader itself
    execArgv: [],
  });
}

/**
 * The settle-once guard of a backup thread's promise: `finish(fn)` runs fn for the first outcome
 * only (a message, an error or the exit, whichever comes first) and then stops the thread.
 */
export function settleOnce(worker: Worker): (fn: () => void) => void {
  let settled = false;
  return (fn) => {
    if (settled) return;
    settled = true;
    fn();
    void worker.terminate();
  };
}
