/**
 * The one registry of error codes. Every error the API or CLI can report is listed here with
 * its HTTP status and a public message. Internal causes go to the log, never to a client.
 * test/errors/registry.test.ts keeps this file, the README and the code in step.
 */
export const ERRORS = {
  // input
  ERR_VALIDATION: { status: 400, message: 'The request body failed validation.' },
  ERR_BAD_REQUEST: { status: 400, message: 'The request is malformed.' },
  ERR_INVALID_JSON: { status: 400, message: 'The request body is not valid JSON.' },
  ERR_FORBIDDEN_KEY: { status: 400, message: 'The request body contains a forbidden key.' },
  ERR_INVALID_ID: { status: 400, message: 'The record id is malformed.' },
  ERR_BAD_QUERY: { status: 400, message: 'A query parameter is invalid.' },
  ERR_BODY_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  ERR_URL_TOO_LONG: { status: 414, message: 'The request URL is too long.' },
  ERR_HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are too large.' },
  ERR_TOO_MANY_PARAMS: { status: 400, message: 'The request has too many query parameters.' },
  ERR_JSON_TOO_DEEP: { status: 400, message: 'The request body is nested too deeply.' },
  ERR_REQUEST_TIMEOUT: { status: 408, message: 'The request took too long to arrive.' },
  ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Only application/json is accepted.' },
  // filter, sort and fields language
  ERR_FILTER_SYNTAX: { status: 400, message: 'The filter has a syntax error.' },
  ERR_FILTER_LIMIT: { status: 400, message: 'The filter exceeds a size limit.' },
  ERR_FILTER_UNKNOWN_FIELD: { status: 400, message: 'The filter names an unknown field.' },
  ERR_FILTER_TYPE: { status: 400, message: 'The filter compares values of the wrong type.' },
  ERR_FILTER_FORBIDDEN_FIELD: { status: 400, message: 'The filter names a field you may not use.' },
  ERR_FILTER_TOO_MANY_TERMS: { status: 400, message: 'The filter compiles to too many SQL terms.' },
  ERR_FILTER_TOO_MANY_PARAMETERS: { status: 400, message: 'The filter compiles to too many parameters.' },
  ERR_FILTER_NEEDLE_TOO_LONG: { status: 400, message: 'A value searched for with ~ or !~ is too long.' },
  ERR_FILTER_SENSITIVE_OPERATOR: { status: 400, message: 'A sensitive field can only be compared with = or != and never sorted.' },
  // access
  ERR_UNAUTHENTICATED: { status: 401, message: 'Authentication is required.' },
  ERR_INVALID_CREDENTIALS: { status: 401, message: 'The email or password is incorrect.' },
  ERR_FORBIDDEN: { status: 403, message: 'You may not perform this action.' },
  ERR_REGISTRATION_DISABLED: { status: 403, message: 'Registration is disabled.' },
  ERR_NOT_FOUND: { status: 404, message: 'The record was not found.' },
  ERR_ROUTE_NOT_FOUND: { status: 404, message: 'No such route.' },
  ERR_METHOD_NOT_ALLOWED: { status: 405, message: 'The method is not allowed on this route.' },
  ERR_CONFLICT: { status: 409, message: 'The value conflicts with an existing record.' },
  ERR_CORS_ORIGIN: { status: 403, message: 'The origin is not allowed.' },
  ERR_RATE_LIMITED: { status: 429, message: 'Too many requests; try again later.' },
  ERR_PASSWORD_POLICY: { status: 400, message: 'The password does not meet the password policy.' },
  ERR_THROTTLED: { status: 429, message: 'Too many attempts; try again later.' },
  ERR_CSRF: { status: 403, message: 'The request failed the cross-site request checks.' },
  ERR_MFA_REQUIRED: { status: 403, message: 'A second factor is required to continue.' },
  ERR_LAST_ADMIN: { status: 409, message: 'The last admin cannot be removed or disabled.' },
  ERR_INVALID_TOKEN: { status: 400, message: 'The token is invalid or has expired.' },
  // server
  ERR_INTERNAL: { status: 500, message: 'An internal error occurred.' },
  ERR_UNAVAILABLE: { status: 503, message: 'The server is unavailable; try again later.' },
  ERR_OVERLOADED: { status: 503, message: 'The server is overloaded; try again shortly.' },
  ERR_QUERY_TIMEOUT: { status: 503, message: 'The read took longer than its time budget; narrow the filter or try again later.' },
  // configuration, migrations and CLI (not returned over HTTP)
  ERR_CONFIG: { status: 500, message: 'The configuration is invalid.' },
  ERR_MIGRATION_DESTRUCTIVE: { status: 500, message: 'The schema change is destructive and needs --allow-destructive.' },
  ERR_MIGRATION: { status: 500, message: 'The schema migration failed.' },
  ERR_USAGE: { status: 400, message: 'The command line is invalid.' },
  ERR_KEK_INVALID: { status: 500, message: 'The key-encryption key is missing, malformed or not allowed here.' },
  ERR_KEK_UNAVAILABLE: { status: 500, message: 'The key-encryption key could not be reached (HSM token, PIN or module).' },
  ERR_KEK_MISMATCH: { status: 500, message: 'The key-encryption key does not unwrap the stored keys.' },
  ERR_KEY_ROTATION: { status: 500, message: 'The key operation could not be completed.' },
  ERR_TLS_REQUIRED: { status: 500, message: 'TLS is not configured; plain HTTP is allowed only behind a trusted proxy or in dev mode on a loopback host.' },
  ERR_TLS_CONFIG: { status: 500, message: 'The TLS certificate or key cannot be used.' },
  // audit trail (docs/audit.md)
  ERR_AUDIT_UNAVAILABLE: { status: 503, message: 'The audit trail cannot be written, so the operation was not performed; try again later.' },
  ERR_AUDIT_CHECKPOINT_DIR: { status: 500, message: 'The audit checkpoint folder is missing or unreadable.' },
  ERR_AUDIT_CHECKPOINT_KEY: { status: 500, message: 'The audit checkpoint is not signed by this trail\'s signing key.' },
  ERR_AUDIT_CHECKPOINT_CORRUPT: { status: 500, message: 'The audit checkpoint file is corrupt.' },
  ERR_AUDIT_VERIFY: { status: 500, message: 'The audit trail failed verification.' },
  ERR_AUDIT_PRUNE_ROLE: { status: 500, message: 'The database role may not delete audit events; audit prune runs as the owner role (migrate.database).' },
  // PostgreSQL roles and connections (docs/postgres.md)
  ERR_DB_TLS_REQUIRED: { status: 500, message: 'Production mode connects to PostgreSQL only with verified TLS (sslmode=verify-full) or over a Unix socket.' },
  ERR_DB_TLS_VERIFY: { status: 500, message: 'The PostgreSQL server certificate could not be verified (untrusted CA or wrong host name).' },
  ERR_DB_ROLE_UNSAFE: { status: 500, message: 'The database role may do more than serving needs; production mode refuses it.' },
  ERR_PROVISION_ADMIN: { status: 500, message: 'The admin role cannot provision: it may not create roles.' },
  ERR_PROVISION_ROLE: { status: 500, message: 'A role to provision already exists with rights it must not have.' },
  ERR_PROVISION_DATABASE: { status: 500, message: 'The database to provision does not exist.' },
  ERR_PROVISION_PGAUDIT: { status: 500, message: 'pgaudit is not loaded on the PostgreSQL server.' },
  // backups (CLI and scheduled jobs)
  ERR_BACKUP_RECIPIENT: { status: 500, message: 'A backup recipient is missing or is not an age X25519 public key.' },
  ERR_BACKUP_IDENTITY: { status: 400, message: 'The age identity cannot open this backup.' },
  ERR_BACKUP_INVALID: { status: 400, message: 'The backup archive is damaged, truncated or altered.' },
  ERR_BACKUP_SIGNATURE: { status: 400, message: 'The backup is not signed by this server\'s backup-signing key.' },
  ERR_BACKUP_VERSION: { status: 400, message: 'The backup uses a newer format version than this Strongbox reads.' },
  ERR_BACKUP_INCOMPATIBLE: { status: 400, message: 'The backup holds tables or versions this Strongbox does not know.' },
  ERR_BACKUP_TARGET_NOT_EMPTY: { status: 409, message: 'The restore target is not empty.' },
  ERR_BACKUP_VERIFY_FAILED: { status: 500, message: 'The restored backup failed a check.' },
  ERR_BACKUP_SIGNER: { status: 500, message: 'No backup-signing key is available.' },
  ERR_BACKUP_SOURCE: { status: 500, message: 'The database cannot be backed up.' },
  ERR_BACKUP_DESTINATION: { status: 500, message: 'The backup destination cannot be written or reached.' },
  ERR_BACKUP_NO_SPACE: { status: 507, message: 'The backup destination is out of space.' },
  ERR_BACKUP_PERMISSIONS: { status: 500, message: 'The backup folder is open to other users.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value);
}
