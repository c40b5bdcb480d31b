import { StrongboxError } from '../../errors/strongbox-error.ts';

const UNAVAILABLE_MESSAGE = 'The PostgreSQL database cannot be reached or refused the connection.';

/**
 * A query that failed because the connection did (SQLSTATE class 08, 53 or 57P, a socket
 * error, or pg's own uncoded "Connection terminated…"), as opposed to a query error such as
 * a unique violation, which the caller maps itself.
 */
export function isConnectionFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return /^(08|53|57P)/.test(code) || /^E[A-Z]+$/.test(code);
  return err instanceof Error && /connection|not queryable/i.test(err.message);
}

/** A connection failure as the public ERR_UNAVAILABLE (the library's message stays in `cause`). */
export function unavailable(cause: unknown): StrongboxError {
  return new StrongboxError('ERR_UNAVAILABLE', UNAVAILABLE_MESSAGE, undefined, { cause });
}

/**
 * The audit append that was sent with the COMMIT failed: the transaction is not committed, and
 * the operation fails as any write whose audit event cannot be written (fail-closed).
 */
export function auditNotWritten(cause: unknown): StrongboxError {
  return isConnectionFailure(cause) ? unavailable(cause) : new StrongboxError('ERR_AUDIT_UNAVAILABLE', undefined, undefined, { cause });
}
