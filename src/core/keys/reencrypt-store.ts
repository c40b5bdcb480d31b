import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Executor = Kysely<any>;

/** One collection's re-encryption: the pass in progress and how far it got. */
export interface JobRow {
  readonly collection: string;
  readonly targetVersion: number;
  /** last record id of the pass ('' = from the start) */
  readonly cursor: string;
  /** records visited in this pass */
  readonly done: number;
  /** records in the collection when the pass began */
  readonly total: number;
  /** ciphertexts rewritten in this pass */
  readonly changed: number;
  readonly passStarted: string;
  readonly state: 'running' | 'done';
  readonly updated: string;
}

interface Raw { collection: string; target_version: unknown; cursor: string; done: unknown; total: unknown; changed: unknown; pass_started: string; state: string; updated: string }

const toJob = (r: Raw): JobRow => ({
  collection: r.collection, targetVersion: Number(r.target_version), cursor: r.cursor, done: Number(r.done), total: Number(r.total),
  changed: Number(r.changed), passStarted: r.pass_started, state: r.state as JobRow['state'], updated: r.updated,
});

export async function listJobs(exec: Executor): Promise<JobRow[]> {
  const rows = await exec.selectFrom('_sb_key_jobs').selectAll().orderBy('collection').execute();
  return (rows as Raw[]).map(toJob);
}

export async function getJob(exec: Executor, collection: string): Promise<JobRow | undefined> {
  const r = await exec.selectFrom('_sb_key_jobs').selectAll().where('collection', '=', collection).executeTakeFirst();
  return r ? toJob(r as Raw) : undefined;
}

/** Starts (or restarts) a job towards `target`: a new pass from the first record. */
export async function startJob(exec: Executor, collection: string, target: number, total: number, now: string): Promise<void> {
  const values = { target_version: target, cursor: '', done: 0, total, changed: 0, pass_started: now, state: 'running', lease_owner: null, lease_until: null, updated: now };
  await exec.insertInto('_sb_key_jobs').values({ collection, ...values })
    .onConflict((oc) => oc.column('collection').doUpdateSet(values)).execute();
}

/**
 * Takes or renews the job's lease for `owner`; false when another process holds a live one.
 * The lease, not the process, owns the job: a killed runner's lease lapses and another resumes
 * from the stored cursor.
 */
export async function takeLease(exec: Executor, collection: string, owner: string, now: string, until: string): Promise<boolean> {
  const r = await exec.updateTable('_sb_key_jobs').set({ lease_owner: owner, lease_until: until })
    .where('collection', '=', collection).where('state', '=', 'running')
    .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_owner', '=', owner), eb('lease_until', '<', now)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * Saves a batch's progress, but only into the pass it belongs to: a `keys rotate` that restarted
 * the job meanwhile (new target or new pass) keeps its fresh cursor, so no record escapes the
 * new pass. False when the progress was dropped for that reason.
 */
export async function saveProgress(exec: Executor, collection: string, pass: Pick<JobRow, 'targetVersion' | 'passStarted'>, p: { cursor: string; done: number; changed: number }, now: string): Promise<boolean> {
  const r = await exec.updateTable('_sb_key_jobs').set({ ...p, updated: now }).where('collection', '=', collection)
    .where('target_version', '=', pass.targetVersion).where('pass_started', '=', pass.passStarted).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function newPass(exec: Executor, collection: string, total: number, now: string): Promise<void> {
  await exec.updateTable('_sb_key_jobs').set({ cursor: '', done: 0, changed: 0, total, pass_started: now, updated: now })
    .where('collection', '=', collection).execute();
}

export async function finishJob(exec: Executor, collection: string, now: string): Promise<void> {
  await exec.updateTable('_sb_key_jobs').set({ state: 'done', lease_owner: null, lease_until: null, updated: now })
    .where('collection', '=', collection).execute();
}

/** Whether a row holds a value of `field` but no blind index (the field became searchable later). */
export async function hasMissingIndex(exec: Executor, collection: string, field: string, indexColumn: string): Promise<boolean> {
  const r = await exec.selectFrom(collection).select('id').where(indexColumn, 'is', null).where(field, 'is not', null).limit(1).executeTakeFirst();
  return r !== undefined;
}
