import { readFileSync } from 'node:fs';
import { StrongboxError, isStrongboxError } from '../../errors/strongbox-error.ts';
import type { Engine } from '../engine.ts';
import { readCatalog } from './backup-catalog.ts';
import { archivePath, listArchiveNames } from './backup-dir.ts';
import { readIdentities, runBackup, runVerify } from './backup-service.ts';
import { verdictLine } from './verify-backup.ts';

export const IDENTITY_ENV = 'STRONGBOX_BACKUP_IDENTITY_FILE';

export interface SchedulerOptions {
  readonly log: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => number; // ms
  /** Timers are injectable so tests need not wait; the default never keeps the process alive. */
  readonly setTimer?: (fn: () => void, ms: number) => { clear(): void };
}

const defaultTimer = (fn: () => void, ms: number): { clear(): void } => {
  const t = setTimeout(fn, Math.min(ms, 2 ** 31 - 1));
  t.unref();
  return { clear: () => clearTimeout(t) };
};

// A first scheduled backup waits this long after start (or one schedule, when that is shorter:
// dev mode), so a crash loop cannot flood the folder.
const FIRST_DELAY_MS = 60_000;

const describeError = (err: unknown): string => (isStrongboxError(err) ? `${err.code}: ${err.message}` : 'ERR_INTERNAL: an unexpected error occurred');

/**
 * Scheduled backups (backup.schedule) and restore drills (backup.verify) inside `serve`. The
 * next backup is due `schedule` after the newest one in the shared catalog, so instances on one
 * PostgreSQL database do not each take one. Failures are logged and audited, never fatal.
 */
export function startBackupScheduler(engine: Engine, opts: SchedulerOptions): { stop(): Promise<void> } {
  const cfg = engine.config.backup;
  const now = opts.now ?? Date.now;
  const setTimer = opts.setTimer ?? defaultTimer;
  let identities: string[] | null = null;
  if (cfg.verify !== null) {
    const file = (opts.env ?? process.env)[IDENTITY_ENV];
    if (!file) {
      throw new StrongboxError('ERR_CONFIG', `backup.verify schedules restore drills, which need the age identity in ${IDENTITY_ENV} (a file); or turn backup.verify off and run 'strongbox backup verify' elsewhere`);
    }
    identities = readIdentities(file, (p) => readFileSync(p, 'utf8'));
  }
  const timers = new Set<{ clear(): void }>();
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const later = (ms: number, job: () => Promise<void>): void => {
    const t = setTimer(() => {
      timers.delete(t);
      if (stopped) return;
      running = running.then(job, job);
    }, Math.max(0, ms));
    timers.add(t);
  };

  const newestCreated = async (): Promise<number | null> => {
    let newest: number | null = null;
    for (const e of (await readCatalog(engine.db)).values()) {
      const t = Date.parse(e.created);
      if (e.bytes > 0 && (newest === null || t > newest)) newest = t;
    }
    return newest;
  };

  const backupJob = async (): Promise<void> => {
    const every = cfg.schedule! * 1000;
    try {
      const last = await newestCreated();
      if (last !== null && now() - last < every * 0.9) {
        later(last + every - now(), backupJob); // another instance took it
        return;
      }
      // one instance at a time on a shared PostgreSQL database (the job runner's advisory lock)
      const ran = await engine.jobs.exclusive('backup', async () => {
        const made = await runBackup(engine);
        opts.log(`strongbox: scheduled backup written: ${made.path}`);
      });
      if (!ran) opts.log('strongbox: scheduled backup skipped: another instance is taking one');
    } catch (err) {
      opts.log(`strongbox: scheduled backup failed: ${describeError(err)}`);
    }
    later(every, backupJob);
  };

  const drillJob = async (): Promise<void> => {
    try {
      const names = listArchiveNames(cfg.dir);
      const newest = names[names.length - 1];
      if (newest !== undefined) {
        await engine.jobs.exclusive('backup-drill', async () => {
          const r = await runVerify(engine, { path: archivePath(cfg.dir, newest), identities: identities!, publicKeyFile: null, onThread: true });
          opts.log(verdictLine(r));
        });
      }
    } catch (err) {
      opts.log(`strongbox: restore drill failed: ${describeError(err)}`);
    }
    later(cfg.verify! * 1000, drillJob);
  };

  if (cfg.schedule !== null) {
    const first = Math.min(FIRST_DELAY_MS, cfg.schedule * 1000);
    void newestCreated().then((last) => {
      const due = last === null ? first : Math.max(first, last + cfg.schedule! * 1000 - now());
      later(due, backupJob);
    }, (err: unknown) => opts.log(`strongbox: scheduled backups not started: ${describeError(err)}`));
  }
  if (cfg.verify !== null) later(cfg.verify * 1000, drillJob);
  return {
    async stop() {
      stopped = true;
      for (const t of timers) t.clear();
      timers.clear();
      await running;
    },
  };
}
