import type { FastifyRequest } from 'fastify';
import type { Engine } from '../core/engine.ts';
import { isStrongboxError } from '../errors/strongbox-error.ts';
import { auditCallerOf } from './session.ts';

/**
 * Writes an `access.denied` event for a 403 before the answer goes out. A record hidden by its
 * rules answers 404 exactly like a missing one and is not logged as denied (that would tell
 * the two apart in the trail only; the request itself is in the access log).
 */
export async function auditDenied(engine: Engine, req: FastifyRequest, err: unknown): Promise<void> {
  if (!isStrongboxError(err) || err.code !== 'ERR_FORBIDDEN') return;
  const params = (req.params ?? {}) as { name?: unknown; id?: unknown };
  const collection = typeof params.name === 'string' ? params.name : undefined;
  const recordId = typeof params.id === 'string' ? params.id : undefined;
  const caller = await auditCallerOf(req, engine.accounts);
  const ctx = caller.request;
  await engine.audit.append({
    action: 'access.denied',
    outcome: 'denied',
    actor: { accountId: caller.id, role: caller.role, tokenId: ctx?.tokenId ?? null },
    request: ctx === undefined ? undefined : { ip: ctx.ip, id: ctx.id },
    target: { collection, recordId },
    details: { method: req.method, route: req.routeOptions.url ?? 'unknown' },
  });
}
