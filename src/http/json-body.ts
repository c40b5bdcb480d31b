import type { FastifyInstance } from 'fastify';
import { StrongboxError } from '../errors/strongbox-error.ts';
import { boundedFields, FIELD_LIST_LIMITS } from '../errors/field-list.ts';

/** Keys that could reach an object's prototype when a body is merged or spread downstream. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor']);

/**
 * Parses a JSON body and rejects forbidden keys at any depth. Native JSON.parse makes
 * `__proto__` an own data property (never a prototype change), and the walk below is
 * iterative so a deeply nested body cannot exhaust the stack.
 */
export function parseJsonBody(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's message is library text; the client gets ours.
    throw new StrongboxError('ERR_INVALID_JSON');
  }
  let keys = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      for (const item of node) stack.push(item);
      continue;
    }
    for (const key of Object.keys(node)) {
      keys++;
      if (FORBIDDEN_KEYS.has(key)) {
        throw new StrongboxError('ERR_FORBIDDEN_KEY', `The request body contains the forbidden key "${key}".`);
      }
      stack.push((node as Record<string, unknown>)[key]);
    }
  }
  // JSON.parse keeps the last of duplicate keys while other parsers (a proxy, a WAF, a log
  // pipeline) may keep the first: refuse the ambiguity instead of picking a side.
  if (keysWritten(text) !== keys) throw new StrongboxError('ERR_INVALID_JSON', 'The request body repeats a key in one object.');
  return value;
}

const QUOTE = 34;
const BACKSLASH = 92;
const COLON = 58;

/** How many object keys valid JSON text writes: in JSON only a key is a string followed by ':'. */
function keysWritten(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== QUOTE) continue;
    for (i++; i < text.length && text.charCodeAt(i) !== QUOTE; i++) if (text.charCodeAt(i) === BACKSLASH) i++;
    let j = i + 1;
    while (j < text.length && /[ \t\n\r]/.test(text[j])) j++;
    if (text.charCodeAt(j) === COLON) n++;
  }
  return n;
}

/**
 * JSON is the only accepted body type: every other content type hits Fastify's
 * "unsupported media type" error, which the error handler maps to ERR_UNSUPPORTED_MEDIA_TYPE.
 */
export function registerJsonOnly(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    try {
      // The body is decoded as UTF-8; a client that says otherwise would be read differently than it meant.
      const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(req.headers['content-type'] ?? '')?.[1];
      if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
        throw new StrongboxError('ERR_UNSUPPORTED_MEDIA_TYPE', 'Only UTF-8 JSON is accepted.');
      }
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

/** The body as a plain JSON object, or ERR_BAD_REQUEST. */
export function requireObjectBody(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new StrongboxError('ERR_BAD_REQUEST', 'The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

/** Rejects keys outside `allowed` with a per-field ERR_VALIDATION (no mass assignment). */
export function rejectUnknownKeys(body: Record<string, unknown>, allowed: readonly string[]): void {
  const fields: Record<string, string> = {};
  let n = 0;
  for (const key of Object.keys(body)) {
    // The shared helper caps the echo; stop collecting once past it (the body is attacker-sized).
    if (!allowed.includes(key) && n++ <= FIELD_LIST_LIMITS.maxNames) fields[key] = 'unknown field';
  }
  if (n > 0) {
    throw new StrongboxError('ERR_VALIDATION', 'The request body has unknown fields.', { fields: boundedFields(fields) });
  }
}
