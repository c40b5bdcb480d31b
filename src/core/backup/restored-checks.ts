import type { DatabaseConfig } from '../../config/config.ts';
import type { KekConfig } from '../../config/parse-keys.ts';
import type { CollectionDef } from '../../config/schema.ts';
import { isStrongboxError } from '../../errors/strongbox-error.ts';
import { errorOf, startBackupThread, type ThreadFailure } from './backup-thread.ts';

/** What the checks thread needs: the scratch database, and the server's KEK to open its keyring. */
export interface RestoredChecksJob {
  readonly database: DatabaseConfig;
  readonly kek: KekConfig;
  readonly dev: boolean;
  readonly collections: readonly CollectionDef[];
  readonly nice: number;
}

/** The audit chain as the thread found it (audit-verify.ts's verdict). */
export interface AuditCheck { readonly ok: boolean; readonly headSeq: number; readonly problem: string | null }

/** What the restore has committed: the complete tables, and whether the audit trail is among them (or all is in: final). */
export interface Committed { readonly final: boolean; readonly complete: readonly string[]; readonly audit: boolean }

export type ToChecksThread = { type: 'job'; job: RestoredChecksJob } | ({ type: 'committed' } & Committed);
export type FromChecksThread = ThreadFailure | ({ type: 'audit' } & AuditCheck) | { type: 'done'; opened: number };

/** What the thread found: the audit chain's verdict once it came, the values opened, or its failure. */
export interface ChecksOutcome {
  readonly audit: AuditCheck | null;
  readonly opened: number | null;
  /** The thread's failure (a StrongboxError where it had a code), when there was one. */
  readonly error: Error | null;
}

/**
 * The checks of a restored scratch database on a thread of its own (restored-checks-thread.ts):
 * the audit chain and every sensitive value, each on data the restore has committed, while the
 * restore goes on. Started before the restore so the thread's start-up runs on the core the
 * restore leaves idle; `start` once the keyring's tables are committed, `committed` after each
 * commit (final: the restore is done). The values are opened as each collection's rows come; the
 * chain is checked once the audit trail's tables are in (archives put them last).
 */
export interface RestoredChecks {
  start(job: RestoredChecksJob): void;
  committed(progress: Committed): void;
  readonly started: boolean;
  /** Resolves once the chain's verdict is in (or the thread ended): from then on the chain may grow. */
  chainChecked(): Promise<void>;
  outcome(): Promise<ChecksOutcome>;
  cancel(): void;
}

export function startRestoredChecks(): RestoredChecks {
  const worker = startBackupThread('./restored-checks-thread.ts', {});
  let audit: AuditCheck | null = null;
  let outcome: ChecksOutcome | null = null;
  let settle: ((o: ChecksOutcome) => void) | null = null;
  let chainDone: (() => void) | null = null;
  const chain = new Promise<void>((resolve) => { chainDone = resolve; });
  let started = false;
  const end = (opened: number | null, error: Error | null): void => {
    outcome ??= { audit, opened, error };
    void worker.terminate();
    chainDone?.();
    settle?.(outcome);
  };
  worker.on('message', (m: FromChecksThread) => {
    if (m.type === 'audit') {
      audit = { ok: m.ok, headSeq: m.headSeq, problem: m.problem };
      chainDone?.();
    }
    else if (m.type === 'done') end(m.opened, null);
    else end(null, errorOf(m));
  });
  worker.on('error', (err) => end(null, err));
  worker.on('exit', () => end(null, new Error('the checks thread stopped')));
  worker.unref();
  const post = (m: ToChecksThread): void => { if (outcome === null) worker.postMessage(m); };
  return {
    start(job) {
      if (started) return;
      started = true;
      worker.ref();
      post({ type: 'job', job });
    },
    committed(progress) {
      if (started) post({ type: 'committed', ...progress });
    },
    get started() { return started; },
    chainChecked: () => chain,
    outcome() {
      return outcome !== null ? Promise.resolve(outcome) : new Promise((resolve) => { settle = resolve; });
    },
    cancel() {
      outcome ??= { audit: null, opened: null, error: new Error('cancelled') };
      void worker.terminate();
      chainDone?.();
    },
  };
}

/** A failure of the checks themselves (not of the thread): no point running them again here. */
export function isCheckFailure(err: unknown): boolean {
  return isStrongboxError(err) && err.code === 'ERR_BACKUP_VERIFY_FAILED';
}
