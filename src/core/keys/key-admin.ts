import type { Engine } from '../engine.ts';
import type { JobRow } from './reencrypt-store.ts';
import { ReencryptJob, type ProgressFn } from './reencrypt-job.ts';
import type { StoredKey } from './key-store.ts';

export interface KeyStatus {
  readonly kek: { readonly kind: string; readonly id: string };
  /** key rows: purpose, scope, version, state (never key material) */
  readonly keys: ReadonlyArray<Pick<StoredKey, 'purpose' | 'scope' | 'version' | 'state' | 'kekId' | 'created' | 'retired'>>;
  readonly jobs: readonly JobRow[];
}

export function sensitiveCollections(engine: Engine): string[] {
  return Object.values(engine.config.collections).filter((c) => c.fields.some((f) => f.sensitive)).map((c) => c.name);
}

/** Collections with a searchable sensitive field: they hold blind indexes. */
export function indexedCollections(engine: Engine): string[] {
  return Object.values(engine.config.collections).filter((c) => c.fields.some((f) => f.sensitive && f.searchable)).map((c) => c.name);
}

export function reencryptJob(engine: Engine, opts: { graceMs?: number; settleMs?: number } = {}): ReencryptJob {
  return new ReencryptJob(engine.db, engine.keys, engine.config.collections, { batch: engine.config.keys.rotationBatch, ...opts });
}

export async function keyStatus(engine: Engine): Promise<KeyStatus> {
  const stored = await engine.keys.stored();
  return {
    kek: { kind: engine.config.keys.kek.kind, id: engine.keys.kekId },
    keys: stored.map(({ purpose, scope, version, state, kekId, created, retired }) => ({ purpose, scope, version, state, kekId, created, retired })),
    jobs: await reencryptJob(engine).jobs(),
  };
}

/**
 * `keys rotate`: a new data-key version per collection with sensitive fields (every write from
 * now on uses it), then the re-encryption job, run here until done unless `background`.
 */
export interface RotateOptions {
  readonly background?: boolean;
  readonly onProgress?: ProgressFn;
  readonly graceMs?: number;
  readonly settleMs?: number;
  readonly signal?: AbortSignal;
}

export async function rotateDataKeys(engine: Engine, opts: RotateOptions): Promise<Record<string, number>> {
  const collections = sensitiveCollections(engine);
  const versions = await engine.keys.rotateDataKeys(collections);
  const job = reencryptJob(engine, { graceMs: opts.graceMs, settleMs: opts.settleMs });
  await job.start(collections);
  if (!opts.background) await job.runAll(opts.onProgress, opts.signal);
  return versions;
}

/**
 * `keys rotate --blind-index`: a new blind-index key per collection with searchable fields. New
 * writes index under it at once, filters and `unique` look up every live index key, and the
 * re-encryption job re-indexes every row from its plaintext; then the older index key is retired.
 */
export async function rotateIndexKeys(engine: Engine, opts: RotateOptions): Promise<Record<string, number>> {
  const collections = indexedCollections(engine);
  const versions = await engine.keys.rotateIndexKeys(collections);
  const job = reencryptJob(engine, { graceMs: opts.graceMs, settleMs: opts.settleMs });
  await job.start(collections);
  if (!opts.background) await job.runAll(opts.onProgress, opts.signal);
  return versions;
}
