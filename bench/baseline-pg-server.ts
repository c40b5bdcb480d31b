/**
 * The bare PostgreSQL baseline for `npm run bench:postgres`: plain Fastify + pg (a pool of 10,
 * TLS verify-full, named prepared statements) doing the same work as Strongbox's record routes
 * on the same cluster (same table shape, indexes, JSON shapes), with no auth, no rules, no
 * validation and no audit. `tsx bench/baseline-pg-server.ts` reads BENCH_PG (JSON: host, port,
 * database, user, password, ca) and prints its URL.
 */
import Fastify from 'fastify';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';

const c = JSON.parse(process.env.BENCH_PG ?? '') as { host: string; port: number; database: string; user: string; password: string; ca: string };
const pool = new pg.Pool({
  host: c.host, port: c.port, database: c.database, user: c.user, password: c.password, max: 10,
  ssl: { ca: c.ca, rejectUnauthorized: true },
});
pool.on('error', () => undefined);
await pool.query(`create table if not exists items (id text primary key, created text not null, updated text not null,
  owner text, title text, n double precision);
  create index if not exists ix_items__owner on items (owner);
  create index if not exists ix_items__created on items (created);
  create index if not exists ix_items__title on items (title)`);

const COLS = 'id, created, updated, owner, title, n';
const app = Fastify({ logger: false });

app.get<{ Params: { id: string } }>('/api/collections/items/records/:id', async (req, reply) => {
  const { rows } = await pool.query({ name: 'get', text: `select ${COLS} from items where id = $1`, values: [req.params.id] });
  if (rows.length === 0) return reply.code(404).send({ error: { code: 'ERR_NOT_FOUND', message: 'The record was not found.' } });
  return rows[0];
});

app.get<{ Querystring: { title?: string; perPage?: string; page?: string } }>('/api/collections/items/records', async (req) => {
  const title = req.query.title ?? '';
  const perPage = Math.min(500, Math.max(1, Number(req.query.perPage ?? 30) || 30));
  const page = Math.max(1, Number(req.query.page ?? 1) || 1);
  const [items, count] = await Promise.all([
    pool.query({ name: 'list', text: `select ${COLS} from items where title = $1 order by created, id limit $2 offset $3`, values: [title, perPage, (page - 1) * perPage] }),
    pool.query({ name: 'count', text: 'select count(*)::int as c from items where title = $1', values: [title] }),
  ]);
  const totalItems = (count.rows[0] as { c: number }).c;
  return { items: items.rows, page, perPage, totalItems, totalPages: Math.ceil(totalItems / perPage) };
});

app.post<{ Body: { title?: string; n?: number } }>('/api/collections/items/records', async (req, reply) => {
  const now = new Date().toISOString();
  const { rows } = await pool.query({
    name: 'insert', text: `insert into items (${COLS}) values ($1, $2, $3, $4, $5, $6) returning ${COLS}`,
    values: [randomBytes(15).toString('base64url'), now, now, null, req.body?.title ?? null, req.body?.n ?? null],
  });
  return reply.code(201).send(rows[0]);
});

const shutdown = (): void => {
  void app.close().then(() => pool.end()).then(() => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`baseline: listening on http://127.0.0.1:${(app.server.address() as AddressInfo).port}\n`);
