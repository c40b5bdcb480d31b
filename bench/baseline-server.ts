/**
 * The bare baseline for `npm run bench`: plain Fastify + better-sqlite3 doing the same work as
 * Strongbox's record routes (same table shape, indexes, pragmas, JSON shapes) with no auth, no
 * rules, no validation and no audit. `tsx bench/baseline-server.ts <db-file>` prints its URL.
 */
import Fastify from 'fastify';
import BetterSqlite3 from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: baseline-server.ts <sqlite-file>\n');
  process.exit(2);
}

const db = new BetterSqlite3(file);
for (const p of ['journal_mode = WAL', 'foreign_keys = ON', 'busy_timeout = 5000', 'synchronous = NORMAL']) db.pragma(p);
db.exec(`create table if not exists items (id text primary key, created text not null, updated text not null,
  owner text, title text, n real) strict;
  create index if not exists ix_items__owner on items (owner);
  create index if not exists ix_items__created on items (created);
  create index if not exists ix_items__title on items (title);
  create table if not exists people (id text primary key, created text not null, updated text not null,
  owner text, name text, ssn text, _bi_ssn text) strict;
  create index if not exists ix_people__owner on people (owner);
  create index if not exists ix_people__created on people (created);
  create index if not exists ix_people___bi_ssn on people (_bi_ssn);`);

const getOne = db.prepare('select id, created, updated, owner, title, n from items where id = ?');
const listPage = db.prepare('select id, created, updated, owner, title, n from items where title = ? order by created, id limit ? offset ?');
const countAll = db.prepare('select count(*) as c from items where title = ?');
const insert = db.prepare('insert into items (id, created, updated, owner, title, n) values (?, ?, ?, ?, ?, ?) returning id, created, updated, owner, title, n');

// Scenarios (e) and (f): the same record with a sensitive field, stored in plaintext with a plain
// SHA-256 as its "index": what a backend without field encryption does.
const getPerson = db.prepare('select id, created, updated, owner, name, ssn from people where id = ?');
const insertPerson = db.prepare('insert into people (id, created, updated, owner, name, ssn, _bi_ssn) values (?, ?, ?, ?, ?, ?, ?) returning id, created, updated, owner, name, ssn');

const app = Fastify({ logger: false });

app.get<{ Params: { id: string } }>('/api/collections/people/records/:id', async (req, reply) => {
  const row = getPerson.get(req.params.id);
  if (!row) return reply.code(404).send({ error: { code: 'ERR_NOT_FOUND', message: 'The record was not found.' } });
  return row;
});

app.post<{ Body: { name?: string; ssn?: string } }>('/api/collections/people/records', async (req, reply) => {
  const now = new Date().toISOString();
  const ssn = req.body?.ssn ?? null;
  const row = insertPerson.get(randomBytes(15).toString('base64url'), now, now, null, req.body?.name ?? null, ssn, ssn === null ? null : createHash('sha256').update(ssn).digest('base64url'));
  return reply.code(201).send(row);
});

app.get<{ Params: { id: string } }>('/api/collections/items/records/:id', async (req, reply) => {
  const row = getOne.get(req.params.id);
  if (!row) return reply.code(404).send({ error: { code: 'ERR_NOT_FOUND', message: 'The record was not found.' } });
  return row;
});

app.get<{ Querystring: { title?: string; perPage?: string; page?: string } }>('/api/collections/items/records', async (req) => {
  const title = req.query.title ?? '';
  const perPage = Math.min(500, Math.max(1, Number(req.query.perPage ?? 30) || 30));
  const page = Math.max(1, Number(req.query.page ?? 1) || 1);
  const items = listPage.all(title, perPage, (page - 1) * perPage);
  const totalItems = (countAll.get(title) as { c: number }).c;
  return { items, page, perPage, totalItems, totalPages: Math.ceil(totalItems / perPage) };
});

app.post<{ Body: { title?: string; n?: number } }>('/api/collections/items/records', async (req, reply) => {
  const now = new Date().toISOString();
  const row = insert.get(randomBytes(15).toString('base64url'), now, now, null, req.body?.title ?? null, req.body?.n ?? null);
  return reply.code(201).send(row);
});

const shutdown = (): void => {
  void app.close().then(() => { db.close(); process.exit(0); });
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`baseline: listening on http://127.0.0.1:${(app.server.address() as AddressInfo).port}\n`);
