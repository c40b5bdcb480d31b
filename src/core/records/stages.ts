import type { Kysely } from 'kysely';
import type { CollectionDef, FieldDef } from '../../config/schema.ts';
import type { Dialect } from '../../db/database.ts';
import type { SensitiveMatcher } from '../../db/filter-compile.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import type { RequestContext } from '../caller.ts';

export type { RequestContext };

/** Where a value lives; field encryption binds ciphertexts to it as associated data. */
export interface RecordLocation {
  readonly collection: CollectionDef;
  readonly recordId: string;
  readonly dialect: Dialect;
  /** The sensitive revision a write binds its ciphertexts to (`_sv`); reads take it from the row. */
  readonly revision?: string;
  /** The open transaction, when the stage runs inside one (its key lookups must use it). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly exec?: Kysely<any>;
}

/** Which sensitive fields of one row a reader gets: in full (decrypted) or as their mask. */
export interface SensitiveView {
  readonly reveal: readonly FieldDef[];
  readonly mask: readonly FieldDef[];
}

/**
 * The sensitive-field stage. It owns the stored form of every field with `sensitive: true`:
 * `encode` turns validated plaintext into column values (it adds the blind-index and mask
 * columns), `decode` turns stored columns back into what one reader may see. Every other field
 * is encoded by the store stage with the column codec.
 */
export interface SensitiveStage {
  /** Where `=`/`!=` on a searchable sensitive field compare (its blind index). */
  readonly matcher?: SensitiveMatcher;
  /** Runs before a write's transaction opens (e.g. to see a key version another instance added). */
  prepare?(): Promise<void>;
  encode(loc: RecordLocation, values: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>>;
  /** Synchronous when it can be (every key it needs is held), so a read costs no promise per field. */
  decode(loc: RecordLocation, row: Readonly<Record<string, unknown>>, view: SensitiveView): Record<string, unknown> | Promise<Record<string, unknown>>;
}

/**
 * Without a keyring nothing sensitive is stored: this stage refuses, so a service built without
 * field encryption cannot write a sensitive value in plaintext by mistake.
 */
export const refusingSensitiveStage: SensitiveStage = {
  async encode(loc) {
    throw new StrongboxError('ERR_INTERNAL', `collection ${loc.collection.name} has sensitive fields but no keyring is configured`);
  },
  async decode(loc) {
    throw new StrongboxError('ERR_INTERNAL', `collection ${loc.collection.name} has sensitive fields but no keyring is configured`);
  },
};

export type AuditAction = 'create' | 'update' | 'delete';

/** One data change, as the audit trail will record it. Values are never included, only names. */
export interface AuditEvent {
  readonly action: AuditAction;
  readonly collection: string;
  readonly recordId: string;
  /** The account that acted; null for an anonymous caller. */
  readonly actor: string | null;
  readonly actorRole: string | null;
  /** Names of the fields written (create/update); empty for delete. */
  readonly fields: readonly string[];
  /** ISO 8601 UTC time of the change (equals the record's `updated` for writes). */
  readonly at: string;
  /** Where the request came from, when it came over HTTP. */
  readonly request?: RequestContext;
}

/** Reads that returned a sensitive field's plaintext: who read which fields of which records. */
export interface SensitiveReadEvent {
  readonly collection: string;
  readonly actor: string | null;
  readonly actorRole: string | null;
  /** One entry per record whose plaintext is returned, naming the sensitive fields revealed. */
  readonly reads: ReadonlyArray<{ readonly recordId: string; readonly fields: readonly string[] }>;
  readonly at: string;
  /** Where the request came from, when it came over HTTP. */
  readonly request?: RequestContext;
}

/**
 * The audit stage. `record` runs inside the write's transaction with that transaction as
 * `trx`; if it throws, the write rolls back (fail-closed). `recordRead` is awaited before a
 * read's plaintext is returned; if it throws, the read fails.
 */
export interface AuditSink {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  record(event: AuditEvent, trx: Kysely<any>): Promise<void>;
  /**
   * Resolves once the read's event is durable; the plaintext goes out only after that. If it
   * rejects, the read fails (fail-closed).
   */
  recordRead(event: SensitiveReadEvent): Promise<void>;
}

/** The engine replaces this sink with the audit trail (src/core/audit/audit-service.ts). */
export const noopAuditSink: AuditSink = {
  async record() {},
  async recordRead() {},
};

export interface RecordStages {
  readonly sensitive: SensitiveStage;
  readonly audit: AuditSink;
}

export const DEFAULT_STAGES: RecordStages = Object.freeze({ sensitive: refusingSensitiveStage, audit: noopAuditSink });
