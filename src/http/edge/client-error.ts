import { publicError } from '../error-response.ts';
import type { ErrorCode } from '../../errors/registry.ts';

const REASONS: Readonly<Record<number, string>> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/** Node's parser errors that deserve their own status; everything else is a plain 400. */
function codeFor(err: unknown): ErrorCode {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'HPE_HEADER_OVERFLOW') return 'ERR_HEADERS_TOO_LARGE';
  // Node's code (a regex, so the registry check does not take it for one of ours).
  if (typeof code === 'string' && /^ERR_HTTP_REQUEST_TIMEOUT$/.test(code)) return 'ERR_REQUEST_TIMEOUT';
  return 'ERR_BAD_REQUEST';
}

/**
 * The raw reply to a request Node could not parse (it never reaches Fastify): our JSON shape
 * and every security header, then the connection closes.
 */
export function clientErrorReply(err: unknown, rawHeaders: string): string {
  const res = publicError(codeFor(err));
  const body = JSON.stringify(res.body);
  return `HTTP/1.1 ${res.status} ${REASONS[res.status] ?? 'Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\n${rawHeaders}` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}
