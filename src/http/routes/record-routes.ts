import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Engine } from '../../core/engine.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { isRecordId } from '../../core/records/record-id.ts';
import { requireObjectBody } from '../json-body.ts';
import { parseListQuery, parseGetQuery, rejectQuery } from '../parse-query.ts';
import { callerOf } from '../session.ts';

interface CollectionParams { name: string }
interface RecordParams { name: string; id: string }

/** GET|POST /api/collections/:name/records, GET|PATCH|DELETE /api/collections/:name/records/:id. */
export function registerRecordRoutes(app: FastifyInstance, engine: Engine): void {
  const { records, accounts, config } = engine;

  // Unknown collections are 404 before any query: the name never reaches SQL.
  function collectionOf(req: FastifyRequest<{ Params: CollectionParams }>): string {
    const name = req.params.name;
    if (!Object.hasOwn(config.collections, name)) {
      throw new StrongboxError('ERR_NOT_FOUND', 'The collection was not found.');
    }
    return name;
  }
  function idOf(req: FastifyRequest<{ Params: RecordParams }>): string {
    if (!isRecordId(req.params.id)) throw new StrongboxError('ERR_INVALID_ID');
    return req.params.id;
  }

  app.get<{ Params: CollectionParams }>('/api/collections/:name/records', async (req) => {
    const name = collectionOf(req);
    const q = parseListQuery(req.query, config.limits);
    return records.list(await callerOf(req, accounts, { collection: name, action: 'list' }), name, q);
  });

  app.post<{ Params: CollectionParams }>('/api/collections/:name/records', async (req, reply) => {
    const name = collectionOf(req);
    rejectQuery(req.query);
    const body = requireObjectBody(req.body);
    const out = await records.create(await callerOf(req, accounts, { collection: name, action: 'create' }), name, body);
    return reply.code(201).send(out);
  });

  // Not async: a read answered at once (a cached session, SQLite) is sent without a promise.
  app.get<{ Params: RecordParams }>('/api/collections/:name/records/:id', (req) => {
    const name = collectionOf(req);
    const id = idOf(req);
    const opts = parseGetQuery(req.query);
    const caller = callerOf(req, accounts, { collection: name, action: 'view' });
    return caller instanceof Promise ? caller.then((c) => records.get(c, name, id, opts)) : records.get(caller, name, id, opts);
  });

  app.patch<{ Params: RecordParams }>('/api/collections/:name/records/:id', async (req) => {
    const name = collectionOf(req);
    const id = idOf(req);
    rejectQuery(req.query);
    const body = requireObjectBody(req.body);
    return records.update(await callerOf(req, accounts, { collection: name, action: 'update' }), name, id, body);
  });

  app.delete<{ Params: RecordParams }>('/api/collections/:name/records/:id', async (req, reply) => {
    const name = collectionOf(req);
    const id = idOf(req);
    rejectQuery(req.query);
    await records.delete(await callerOf(req, accounts, { collection: name, action: 'delete' }), name, id);
    return reply.code(204).send();
  });
}
