import { ERRORS, type ErrorCode } from './registry.ts';

/** Extra, client-safe detail: a per-field list for validation, a position for the filter. */
export interface ErrorDetails {
  /** field name → reason, for ERR_VALIDATION */
  fields?: Record<string, string>;
  /** 0-based character offset in the filter/sort/fields text */
  position?: number;
  /** which query parameter or config key path the error is about */
  param?: string;
  /** seconds a client should wait before retrying (sent as Retry-After) */
  retryAfter?: number;
}

/**
 * The only error type that carries a public message. Anything else reaching the edge is
 * reported as ERR_INTERNAL with the cause kept for the log.
 */
export class StrongboxError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetails | undefined;

  constructor(code: ErrorCode, message?: string, details?: ErrorDetails, options?: { cause?: unknown }) {
    super(message ?? ERRORS[code].message, options);
    this.name = 'StrongboxError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = details;
  }
}

export function isStrongboxError(err: unknown): err is StrongboxError {
  return err instanceof StrongboxError;
}
