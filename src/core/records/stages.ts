import type { Kysely } from 'kysely';
import type { CollectionDef } from '../../config/schema.ts';
import type { Dialect } from '../../db/database.ts';
import type { SensitiveMatcher } from '../../db/filter-compile.ts';
import { decodeValue, encodeValue } from '../../db/column-codec.ts';
import type { Caller, RequestContext } from '../caller.ts';

export type { RequestContext };

/** Where a value lives; field encryption binds ciphertexts to it as associated data. */
export interface RecordLocation {
  readonly collection: CollectionDef;
  readonly recordId: string;
  readonly dialect: Dialect;
}

/**
 * The sensitive-field stage. It owns the stored form of every field with `sensitive: true`:
 * `encode` turns validated plaintext into column values (it may add columns, e.g. blind
 * indexes), `decode` turns stored columns back into plaintext for a reader. Every other field
 * is encoded by the store stage with the column codec.
 */
export interface SensitiveStage {
  /** Where `=`/`!=` on a searchable sensitive field compare (its blind index); absent = the plain column. */
  readonly matcher?: SensitiveMatcher;
  encode(loc: RecordLocation, values: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>>;
  decode(loc: RecordLocation, row: Readonly<Record<string, unknown>>, caller: Caller): Promise<Record<string, unknown>>;
}

/**
 * Field encryption replaces this stage. Until then sensitive fields are stored with the same
 * column codec as any other field.
 */
export const plaintextSensitiveStage: SensitiveStage = {
  async encode(loc, values) {
    const out: Record<string, unknown> = Object.create(null);
    for (const f of loc.collection.fields) {
      if (f.sensitive && Object.hasOwn(values, f.name)) out[f.name] = encodeValue(f, values[f.name], loc.dialect);
    }
    return out;
  },
  async decode(loc, row) {
    const out: Record<string, unknown> = Object.create(null);
    for (const f of loc.collection.fields) {
      if (f.sensitive && Object.hasOwn(row, f.name)) out[f.name] = decodeValue(f, row[f.name], loc.dialect);
    }
    return out;
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
 * `trx`; if it throws, the write rolls back (fail-closed).
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

export const DEFAULT_STAGES: RecordStages = Object.freeze({ sensitive: plaintextSensitiveStage, audit: noopAuditSink });
