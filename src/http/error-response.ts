import { ERRORS, type ErrorCode } from '../errors/registry.ts';
import { isStrongboxError } from '../errors/strongbox-error.ts';
import { boundedFields } from '../errors/field-list.ts';

export interface ErrorBody {
  readonly error: {
    readonly code: ErrorCode;
    readonly message: string;
    readonly fields?: Record<string, string>;
    readonly position?: number;
  };
}

export interface ErrorResponse {
  readonly status: number;
  readonly body: ErrorBody;
  /** True when the cause is ours to log (the client only sees the registry message). */
  readonly internal: boolean;
  /** Extra response headers (Retry-After). */
  readonly headers?: Readonly<Record<string, string>>;
}

// Errors Fastify itself raises while reading a request, mapped to our codes.
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'ERR_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_TYPE: 'ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'ERR_INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'ERR_INVALID_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'ERR_BAD_REQUEST',
  FST_ERR_CTP_INSTANCE_ALREADY_STARTED: 'ERR_INTERNAL',
  FST_ERR_BAD_URL: 'ERR_BAD_REQUEST',
  FST_ERR_ASYNC_CONSTRAINT: 'ERR_BAD_REQUEST',
};

export function publicError(code: ErrorCode, message?: string): ErrorResponse {
  return { status: ERRORS[code].status, body: { error: { code, message: message ?? ERRORS[code].message } }, internal: false };
}

/**
 * Turns anything thrown into the one public error shape. Only a StrongboxError below 500
 * contributes its own message and details; everything else becomes a registry message, and
 * the original is marked for the log, never echoed (no stack, SQL, path or library text).
 */
export function toErrorResponse(err: unknown): ErrorResponse {
  if (isStrongboxError(err)) {
    if (err.status >= 500) {
      const retry = err.details?.retryAfter;
      const headers = typeof retry === 'number' && retry > 0 ? { 'retry-after': String(Math.ceil(retry)) } : undefined;
      // A read past its budget is expected under attack or load: not an internal error to log as one.
      return { ...publicError(err.code), internal: err.code !== 'ERR_QUERY_TIMEOUT', ...(headers ? { headers } : {}) };
    }
    const error: { code: ErrorCode; message: string; fields?: Record<string, string>; position?: number } = {
      code: err.code,
      message: err.message,
    };
    // Whatever built the error, no response lists more fields, or longer names, than the shared caps.
    if (err.details?.fields) error.fields = { ...boundedFields(err.details.fields) };
    if (typeof err.details?.position === 'number') error.position = err.details.position;
    const retryAfter = err.details?.retryAfter;
    const headers = typeof retryAfter === 'number' && retryAfter > 0 ? { 'retry-after': String(Math.ceil(retryAfter)) } : undefined;
    return { status: err.status, body: { error }, internal: false, ...(headers ? { headers } : {}) };
  }
  const fastifyCode = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (typeof fastifyCode === 'string' && Object.hasOwn(FASTIFY_CODES, fastifyCode)) {
    const code = FASTIFY_CODES[fastifyCode];
    return { ...publicError(code), internal: ERRORS[code].status >= 500 };
  }
  const status = typeof err === 'object' && err !== null ? (err as { statusCode?: unknown }).statusCode : undefined;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // Some other request-level failure Fastify detected; its text stays out of the response.
    return { ...publicError('ERR_BAD_REQUEST'), internal: true };
  }
  return { ...publicError('ERR_INTERNAL'), internal: true };
}
