import type { IncomingMessage } from 'node:http';

/** Marks requests that arrived on the admin listener (admin.listen). */
export const ADMIN_LISTENER = Symbol('strongbox.adminListener');

/**
 * The admin surface by path prefix, so every route added under /api/admin/ or /_/ is covered
 * without being listed. `path` is the matched route pattern, or the raw path when none matched.
 */
export function isAdminPath(path: string): boolean {
  return path.startsWith('/api/admin') ? path.length === 10 || path[10] === '/' || path[10] === '?'
    : path.startsWith('/_') && (path.length === 2 || path[2] === '/' || path[2] === '?');
}

export function onAdminListener(raw: IncomingMessage): boolean {
  return (raw as IncomingMessage & { [ADMIN_LISTENER]?: boolean })[ADMIN_LISTENER] === true;
}
