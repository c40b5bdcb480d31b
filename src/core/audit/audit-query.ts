import type { CollectionDef, FieldDef } from '../../config/schema.ts';
import type { Database } from '../../db/database.ts';
import { AUDIT_COLUMNS, normalizeRow } from '../../db/audit/audit-store.ts';
import { compileFilter } from '../../db/filter-compile.ts';
import type { Expr } from '../../filter/ast.ts';
import { checkExpr } from '../../filter/check.ts';
import { isSystemField } from '../../filter/field-kinds.ts';
import { parseFilter } from '../../filter/parser.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { isAdmin, type Caller } from '../caller.ts';
import { macrosFor } from '../records/record-query.ts';
import { toEntry } from './audit-entries.ts';
import type { AuditService } from './audit-service.ts';
import type { AuditEntry } from './audit-types.ts';

const field = (name: string, type: 'text' | 'number' | 'datetime'): FieldDef => ({
  name, type, required: false, unique: false, index: false, default: undefined, sensitive: false, searchable: false,
  mask: null, read: null, ...(type === 'text' ? { min: null, max: null, pattern: null } : type === 'number' ? { integer: true, min: null, max: null } : {}),
} as FieldDef);

/** The columns the admin API filters on, as the filter language sees them (`details` is not filterable). */
export const AUDIT_COLLECTION: CollectionDef = Object.freeze({
  name: '_sb_audit',
  fields: [
    field('seq', 'number'), field('time', 'datetime'), field('actor_id', 'text'), field('actor_role', 'text'),
    field('token_id', 'text'), field('ip', 'text'), field('request_id', 'text'), field('action', 'text'),
    field('target_collection', 'text'), field('target_record', 'text'), field('outcome', 'text'), field('key_version', 'number'),
  ],
  rules: { list: null, view: null, create: null, update: null, delete: null },
});

export interface AuditQuery {
  readonly filter?: string;
  /** 'seq' (oldest first, the default) or '-seq' */
  readonly sort?: string;
  readonly page: number;
  readonly perPage: number;
}

export interface AuditPage {
  readonly items: AuditEntry[];
  readonly page: number;
  readonly perPage: number;
  readonly totalItems: number;
  readonly totalPages: number;
}

/** Record system fields (id, owner, created, updated) do not exist here: they are unknown fields. */
function rejectSystemFields(expr: Expr): void {
  if (expr.kind === 'and' || expr.kind === 'or') return expr.items.forEach(rejectSystemFields);
  if (expr.kind !== 'compare') return;
  for (const o of [expr.left, expr.right]) {
    if (o.kind === 'field' && isSystemField(o.name)) {
      throw new StrongboxError('ERR_FILTER_UNKNOWN_FIELD', `unknown field "${o.name}" at position ${o.pos}`, { position: o.pos });
    }
  }
}

/**
 * GET /api/admin/audit: admins only (anyone else is refused before any query), pages of
 * events filtered with the filter language over the audit columns. The query itself is an
 * event (`audit.query`), written before the page is returned.
 */
export async function queryAudit(db: Database, audit: AuditService, caller: Caller, q: AuditQuery): Promise<AuditPage> {
  if (caller.id === null) throw new StrongboxError('ERR_UNAUTHENTICATED');
  if (!isAdmin(caller)) throw new StrongboxError('ERR_FORBIDDEN');
  let where = undefined;
  if (q.filter !== undefined) {
    const parsed = parseFilter(q.filter);
    rejectSystemFields(parsed);
    const expr = checkExpr(parsed, { collection: AUDIT_COLLECTION, mode: 'filter' });
    where = compileFilter(expr, { collection: AUDIT_COLLECTION, dialect: db.dialect, macros: macrosFor(caller, () => new Date().toISOString()) });
  }
  const sort = q.sort ?? 'seq';
  if (sort !== 'seq' && sort !== '-seq') {
    throw new StrongboxError('ERR_BAD_QUERY', 'The query parameter "sort" must be seq or -seq.', { param: 'sort' });
  }
  const k = db.kysely;
  let select = k.selectFrom('_sb_audit').select(AUDIT_COLUMNS);
  let count = k.selectFrom('_sb_audit').select((eb) => eb.fn.countAll().as('n'));
  if (where !== undefined) {
    select = select.where(where);
    count = count.where(where);
  }
  const rows = await select.orderBy('seq', sort === 'seq' ? 'asc' : 'desc').limit(q.perPage).offset((q.page - 1) * q.perPage).execute();
  const totalItems = Number((await count.executeTakeFirstOrThrow()).n);
  await audit.append({
    action: 'audit.query', outcome: 'success',
    actor: { accountId: caller.id, role: caller.role, tokenId: caller.request?.tokenId ?? null },
    request: caller.request === undefined ? undefined : { ip: caller.request.ip, id: caller.request.id },
    details: { filter: q.filter ?? '', page: q.page },
  });
  return { items: rows.map(normalizeRow).map(toEntry), page: q.page, perPage: q.perPage, totalItems, totalPages: Math.ceil(totalItems / q.perPage) };
}
