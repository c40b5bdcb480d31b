import type { Expression, Kysely, SqlBool } from 'kysely';
import type { CollectionDef, RuleName } from '../../config/schema.ts';
import type { Database, WriteOptions } from '../../db/database.ts';
import { decodeValue, encodeValue } from '../../db/column-codec.ts';
import { applySort } from '../../db/filter-sort.ts';
import { CompiledQueryCache, slot } from '../../db/compiled-query-cache.ts';
import { isRecordId, randomId, randomRevision } from '../../crypto/random-id.ts';
import type { Expr, SortTerm } from '../../filter/ast.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { isAdmin, type Caller } from '../caller.ts';
import type { GetOptions, ListQuery, ListResult, RecordOut } from '../record-types.ts';
import { decideCreateRule } from './create-rule.ts';
import { pageWindow } from './page-window.ts';
import { FULL_ACCESS, planRead, projectRow, readAccess, type ReadAccess, type ReadPlan } from './read-projection.ts';
import { compile, denied, macrosFor, notFound, selection, type QueryEnv } from './record-query.ts';
import { RuleCache } from './rule-cache.ts';
import { deniedPage, ruleDenies } from './denied-read.ts';
import { cacheShares } from '../../util/cache-budget.ts';
import { DEFAULT_STAGES, type AuditAction, type RecordStages } from './stages.ts';
import { mentionsNow } from './static-rule.ts';
import { ShapeKeys } from './shape-key.ts';
import { mapUniqueViolation } from './unique-violation.ts';
import { validateInput, type RecordValues } from './validate-input.ts';
import { filterGuards, guardFilter } from './filter-guard.ts';
import { releaseReferences } from './relation-release.ts';
import { outputSensitive, type SensitiveOutput, outputWritten } from './sensitive-read.ts';
import { insertRecord } from './record-insert.ts';
import { REVISION_COLUMN } from './sensitive-columns.ts';
import { checkRelations } from './relation-check.ts';

export interface RecordServiceOptions {
  readonly db: Database;
  readonly collections: Readonly<Record<string, CollectionDef>>;
  readonly limits: { readonly perPageDefault: number; readonly perPageMax: number };
  /** Replaced by field encryption and the audit trail; defaults are plaintext and a no-op sink. */
  readonly stages?: Partial<RecordStages>;
  /** Parsed filter/rule ASTs kept (entries). */
  readonly cacheSize?: number;
  /** All in-process caches together, in bytes (limits.cacheMemory); this service takes its shares. */
  readonly cacheBytes?: number;
}

/** 'all' = admin, no rule applies; 'none' = null rule and not an admin; else the checked rule. */
type RuleAccess = Expr | 'all' | 'none';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Executor = Kysely<any>;

/** Without `sort`, records come in creation order (ids are random, so `id` alone would shuffle them). */
const DEFAULT_SORT: readonly SortTerm[] = [{ field: 'created', direction: 'asc', pos: 0 }];

const blank = (s: string | undefined): s is undefined => s === undefined || s.trim() === '';

/**
 * The record pipeline, the same for every collection and both dialects.
 * Writes: validate → authorize → sensitive.encode → store → audit.record, all but validation of
 * the body inside one transaction. Reads: one SELECT whose WHERE holds the rule → sensitive.decode
 * → read-rule projection. Rules are never checked after fetching.
 */
export class RecordService {
  private readonly db: Database;
  private readonly collections: Readonly<Record<string, CollectionDef>>;
  private readonly limits: RecordServiceOptions['limits'];
  private readonly stages: RecordStages;
  readonly cache: RuleCache;
  /** Compiled read SQL per (operation, collection, query text, caller): repeated reads skip Kysely. */
  readonly queries: CompiledQueryCache;
  /** Each collection's checked rules (they never change while the service runs). */
  private readonly rules = new WeakMap<CollectionDef, Partial<Record<RuleName, Expr | 'none'>>>();
  /** Collections whose field read rules use @now (their reads are never reused). */
  private readonly nowInReadRules = new WeakMap<CollectionDef, boolean>();
  private readonly shapes = new ShapeKeys();

  constructor(opts: RecordServiceOptions) {
    this.db = opts.db;
    this.collections = opts.collections;
    this.limits = opts.limits;
    this.stages = { ...DEFAULT_STAGES, ...opts.stages };
    const shares = cacheShares(opts.cacheBytes);
    this.cache = new RuleCache(opts.cacheSize, shares.ruleCache);
    this.queries = new CompiledQueryCache(opts.cacheSize, shares.compiledQueries);
  }

  async list(caller: Caller, collection: string, q: ListQuery = {}): Promise<ListResult> {
    const def = this.collection(collection);
    const { page, perPage, offset } = pageWindow(q, this.limits);
    const rule = this.rule(def, 'list', caller);
    if (rule === 'none') throw denied(caller, 'list');
    const env = this.env(def, caller);
    const access = this.access(def, caller, env);
    const guarded = filterGuards(def, access);
    if (ruleDenies(rule, def, env.macros)) return deniedPage(this.cache, def, q, guarded, page, perPage);
    const checked = blank(q.filter) ? undefined : this.cache.expr(def, 'filter', q.filter, guarded.filterable, guarded.filterableKey);
    const filter = checked && guardFilter(checked, guarded.guards);
    const terms = blank(q.sort) ? DEFAULT_SORT : this.cache.sort(def, q.sort, guarded.filterable, guarded.filterableKey);
    const whereOf = (): Expression<SqlBool>[] => [
      ...(rule === 'all' ? [] : [compile(rule, env)]),
      ...(filter === undefined ? [] : [compile(filter, env)]),
    ];
    const k = this.db.kysely;
    const shape = this.shapeKey(def, caller, [rule, filter], [q.filter ?? '', q.sort ?? '', q.fields ?? '']);
    // One time budget for the page and its count together (docs/bounded-cost.md).
    const started = Date.now();

    const { rows, meta: plan } = await this.queries.execute(this.db, shape && `list\u0000${shape}`, () => {
      const plan = this.plan(def, access, q.fields);
      const where = whereOf();
      let select = k.selectFrom(def.name).select(selection(plan, env));
      if (where.length > 0) select = select.where((eb) => eb.and(where));
      select = applySort(select, terms, env).limit(slot(0) as unknown as number).offset(slot(1) as unknown as number);
      return { query: select, meta: plan };
    }, [perPage, offset], started);
    const items = await this.outputAll(def, plan, rows, caller, env.macros);
    if (q.skipTotal === true) return { items, page, perPage };

    const { rows: [counted] } = await this.queries.execute(this.db, shape && `count\u0000${shape}`, () => {
      const where = whereOf();
      let count = k.selectFrom(def.name).select((eb) => eb.fn.countAll().as('n'));
      if (where.length > 0) count = count.where((eb) => eb.and(where));
      return { query: count, meta: null };
    }, [], started);
    const totalItems = Number((counted as { n: unknown }).n);
    return { items, page, perPage, totalItems, totalPages: Math.ceil(totalItems / perPage) };
  }

  /**
   * One record. Synchronous where the database answers at once and nothing sensitive must be
   * opened and audited (SQLite's read path): a read by id then costs no promise. A refusal is
   * a rejected promise, as from an async function.
   */
  get(caller: Caller, collection: string, id: string, opts: GetOptions = {}): RecordOut | Promise<RecordOut> {
    try {
      return this.#get(caller, collection, id, opts);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #get(caller: Caller, collection: string, id: string, opts: GetOptions): RecordOut | Promise<RecordOut> {
    const def = this.collection(collection);
    checkId(id);
    const rule = this.rule(def, 'view', caller);
    if (rule === 'none') throw notFound();
    const env = this.env(def, caller);
    if (ruleDenies(rule, def, env.macros)) {
      if (!blank(opts.fields)) this.cache.checkUncached(def, 'fields', opts.fields as string);
      throw notFound();
    }
    const k = this.db.kysely;
    const shape = this.shapeKey(def, caller, [rule], [opts.fields ?? '']);
    const found = this.queries.execute(this.db, shape && `get\u0000${shape}`, () => {
      const plan = this.plan(def, this.access(def, caller, env), opts.fields);
      let select = k.selectFrom(def.name).select(selection(plan, env)).where('id', '=', slot(0));
      if (rule !== 'all') select = select.where(compile(rule, env));
      return { query: select, meta: plan };
    }, [id], Date.now());
    const output = ({ rows: [row], meta: plan }: { rows: Record<string, unknown>[]; meta: ReadPlan }): RecordOut | Promise<RecordOut> => {
      if (!row) throw notFound();
      return this.outputOne(def, plan, row, caller, env.macros);
    };
    return found instanceof Promise ? found.then(output) : output(found);
  }

  async create(caller: Caller, collection: string, body: unknown): Promise<RecordOut> {
    const def = this.collection(collection);
    const values = validateInput(def, body, 'create');
    const rule = this.rule(def, 'create', caller);
    if (rule === 'none') throw denied(caller, 'create');
    const id = randomId();
    const env = this.env(def, caller, values);
    const plan = this.plan(def, this.access(def, caller, env));
    const now = env.macros.now;
    await this.prepareSensitive(def);
    const row = await this.transaction(def, async (trx) => {
      await this.checkRelations(trx, def, values, caller);
      if (rule !== 'all') {
        // Decided on the would-be row, with the semantics the rule has on the stored row (create-rule.ts).
        const row = { ...values, id, created: now, updated: now, owner: caller.id };
        if (!decideCreateRule(rule, def, row, env.macros)) throw denied(caller, 'create');
      }
      const stored = await this.encode(def, id, values, def.fields.some((f) => f.sensitive) ? randomRevision() : undefined, trx);
      const inserted = await insertRecord(this.queries, trx, def, this.shapeKey(def, caller, [], []), { ...stored, id, created: now, updated: now, owner: caller.id }, plan, env);
      await this.audit(trx, 'create', def, id, caller, Object.keys(values), now);
      return inserted;
    }, GROUPED);
    if (plan.rowIsRecord || plan.sensitive.length === 0) return this.outputOne(def, plan, row, caller, { now });
    return outputWritten(plan, row, this.decodePlain(plan, row), values);
  }

  async update(caller: Caller, collection: string, id: string, body: unknown): Promise<RecordOut> {
    const def = this.collection(collection);
    checkId(id);
    const values = validateInput(def, body, 'update');
    const rule = this.rule(def, 'update', caller);
    const view = this.rule(def, 'view', caller);
    if (rule === 'none' || view === 'none') throw notFound();
    const env = this.env(def, caller, values);
    const plan = this.plan(def, this.access(def, caller, env));
    const now = env.macros.now;
    await this.prepareSensitive(def);
    const row = await this.transaction(def, async (trx) => {
      await this.checkRelations(trx, def, values, caller);
      // A write of any sensitive field renews the record's revision, so the others are re-sealed with it.
      const sensitive = def.fields.some((f) => f.sensitive && Object.hasOwn(values, f.name));
      const toStore = sensitive ? { ...(await this.keptSensitive(trx, def, id, values, rule, view, env)), ...values } : values;
      const stored = await this.encode(def, id, toStore, sensitive ? randomRevision() : undefined, trx);
      // The rules sit in this UPDATE's WHERE and see the row as it was before the change. A record
      // the caller may not view cannot be changed either: it does not exist for them.
      let update = trx.updateTable(def.name).set({ ...stored, updated: now }).where('id', '=', id);
      if (rule !== 'all') update = update.where(compile(rule, env));
      if (view !== 'all') update = update.where(compile(view, env));
      const updated = await update.returning(selection(plan, env)).executeTakeFirst();
      if (!updated) throw notFound();
      await this.audit(trx, 'update', def, id, caller, Object.keys(values), now);
      return updated;
    });
    return this.outputOne(def, plan, row, caller, { now });
  }

  async delete(caller: Caller, collection: string, id: string): Promise<void> {
    const def = this.collection(collection);
    checkId(id);
    const rule = this.rule(def, 'delete', caller);
    const view = this.rule(def, 'view', caller);
    if (rule === 'none' || view === 'none') throw notFound();
    const env = this.env(def, caller);
    await this.transaction(def, async (trx) => {
      let del = trx.deleteFrom(def.name).where('id', '=', id);
      if (rule !== 'all') del = del.where(compile(rule, env));
      if (view !== 'all') del = del.where(compile(view, env));
      const gone = await del.returning('id').executeTakeFirst();
      if (!gone) throw notFound();
      const now = env.macros.now;
      await releaseReferences(trx, this.collections, def.name, id, now,
        (other, recordId, field) => this.audit(trx, 'update', other, recordId, caller, [field], now));
      await this.audit(trx, 'delete', def, id, caller, [], now);
    });
  }

  private collection(name: string): CollectionDef {
    if (typeof name !== 'string' || !Object.hasOwn(this.collections, name)) {
      throw new StrongboxError('ERR_NOT_FOUND', 'no such collection');
    }
    return this.collections[name];
  }

  /**
   * What shapes a read's SQL besides the values in slots: the collection, the query texts and the
   * caller's macro values (rules fold on them). Null when @now takes part, since its value changes
   * on every request and the shape must not be reused.
   */
  private shapeKey(def: CollectionDef, caller: Caller, exprs: ReadonlyArray<RuleAccess | undefined>, texts: readonly string[]): string | null {
    if (exprs.some((e) => typeof e === 'object' && mentionsNow(e)) || this.readRulesUseNow(def)) return null;
    return this.shapes.key(def, caller, texts);
  }

  private readRulesUseNow(def: CollectionDef): boolean {
    let uses = this.nowInReadRules.get(def);
    if (uses === undefined) {
      uses = def.fields.some((f) => f.read !== null && mentionsNow(this.cache.expr(def, 'rule', f.read)));
      this.nowInReadRules.set(def, uses);
    }
    return uses;
  }

  private rule(def: CollectionDef, kind: RuleName, caller: Caller): RuleAccess {
    if (isAdmin(caller)) return 'all';
    let rules = this.rules.get(def);
    if (rules === undefined) this.rules.set(def, (rules = {}));
    return (rules[kind] ??= this.parseRule(def, kind));
  }

  private parseRule(def: CollectionDef, kind: RuleName): Expr | 'none' {
    const text = def.rules[kind];
    if (text === null || text === undefined) return 'none';
    return this.cache.expr(def, kind === 'create' || kind === 'update' ? 'write-rule' : 'rule', text);
  }

  private env(def: CollectionDef, caller: Caller, body?: RecordValues): QueryEnv {
    const macros = macrosFor(caller, isoNow, body);
    return { collection: def, dialect: this.db.dialect, macros, sensitive: this.stages.sensitive.matcher };
  }

  private access(def: CollectionDef, caller: Caller, env: QueryEnv): ReadAccess {
    // Admins bypass rules, field read rules included.
    return isAdmin(caller) ? FULL_ACCESS : readAccess(this.cache, def, env.macros);
  }

  private plan(def: CollectionDef, access: ReadAccess, fields?: string): ReadPlan {
    return planRead(def, access, this.db.dialect, blank(fields) ? undefined : this.cache.fields(def, fields));
  }

  private async transaction<T>(def: CollectionDef, work: (trx: Executor) => Promise<T>, opts?: WriteOptions): Promise<T> {
    try {
      return await this.db.write(work, opts);
    } catch (err) {
      throw mapUniqueViolation(err, def);
    }
  }

  /** Relation values must name a record the caller may view (relation-check.ts). */
  private checkRelations(trx: Executor, def: CollectionDef, values: RecordValues, caller: Caller): Promise<void> {
    return checkRelations(trx, def, values, {
      collection: (name) => (Object.hasOwn(this.collections, name) ? this.collections[name] : undefined),
      viewRule: (target) => this.rule(target, 'view', caller),
      env: (target) => this.env(target, caller),
    });
  }

  /** Column values to store: the codec for ordinary fields, the sensitive stage for sensitive ones. */
  private async encode(def: CollectionDef, recordId: string, values: RecordValues, revision: string | undefined, exec: Executor): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const f of def.fields) {
      if (!f.sensitive && Object.hasOwn(values, f.name)) out[f.name] = encodeValue(f, values[f.name], this.db.dialect);
    }
    if (revision !== undefined && def.fields.some((f) => f.sensitive)) {
      Object.assign(out, await this.stages.sensitive.encode({ collection: def, recordId, dialect: this.db.dialect, revision, exec }, values));
    }
    return out;
  }

  /**
   * The current plaintext of the sensitive fields an update does not set, read under the same
   * rules as the UPDATE (so nothing is decrypted for a record the caller may not change), to be
   * re-sealed with the new revision. Never returned to the caller.
   */
  private async keptSensitive(trx: Executor, def: CollectionDef, id: string, values: RecordValues, rule: RuleAccess, view: RuleAccess, env: QueryEnv): Promise<RecordValues> {
    const kept = def.fields.filter((f) => f.sensitive && !Object.hasOwn(values, f.name));
    if (kept.length === 0) return {};
    let q = trx.selectFrom(def.name).select(['id', REVISION_COLUMN, ...kept.map((f) => f.name)]).where('id', '=', id);
    if (rule !== 'all' && rule !== 'none') q = q.where(compile(rule, env));
    if (view !== 'all' && view !== 'none') q = q.where(compile(view, env));
    const row = await q.executeTakeFirst();
    if (!row) throw notFound();
    return this.stages.sensitive.decode({ collection: def, recordId: id, dialect: this.db.dialect, exec: trx }, row, { reveal: kept, mask: [] });
  }

  private async prepareSensitive(def: CollectionDef): Promise<void> {
    if (this.stages.sensitive.prepare && def.fields.some((f) => f.sensitive)) await this.stages.sensitive.prepare();
  }

  private outputAll(def: CollectionDef, plan: ReadPlan, rows: Record<string, unknown>[], caller: Caller, at: ClockReading): RecordOut[] | Promise<RecordOut[]> {
    if (plan.rowIsRecord) return rows;
    if (plan.sensitive.length === 0) return rows.map((row) => this.plainOutput(plan, row));
    return this.sensitiveOutput(def, plan, rows, caller, at);
  }

  private outputOne(def: CollectionDef, plan: ReadPlan, row: Record<string, unknown>, caller: Caller, at: ClockReading): RecordOut | Promise<RecordOut> {
    if (plan.rowIsRecord) return row;
    if (plan.sensitive.length === 0) return this.plainOutput(plan, row);
    return this.sensitiveOutput(def, plan, [row], caller, at).then(([r]) => r);
  }

  private plainOutput(plan: ReadPlan, row: Record<string, unknown>): RecordOut {
    return projectRow(plan, row, this.decodePlain(plan, row));
  }

  private decodePlain(plan: ReadPlan, row: Record<string, unknown>): Record<string, unknown> {
    const decoded: Record<string, unknown> = Object.create(null);
    for (const f of plan.fields) if (!f.sensitive) decoded[f.name] = decodeValue(f, row[f.name], this.db.dialect);
    return decoded;
  }

  /** Decrypts what the caller may see; the plaintext leaves only after its read event is recorded. */
  private sensitiveOutput(def: CollectionDef, plan: ReadPlan, rows: Record<string, unknown>[], caller: Caller, at: ClockReading): Promise<RecordOut[]> {
    const outs = rows.map((row) => outputSensitive(this.stages.sensitive,
      { collection: def, recordId: String(row.id), dialect: this.db.dialect }, plan, row, this.decodePlain(plan, row)));
    return outs.some((o) => o instanceof Promise)
      ? Promise.all(outs).then((all) => this.afterReadEvent(def, all, caller, at))
      : this.afterReadEvent(def, outs as SensitiveOutput[], caller, at);
  }

  /** The records, once the event of every revealed field is durable (fail-closed: no event, no plaintext). */
  private afterReadEvent(def: CollectionDef, outs: readonly SensitiveOutput[], caller: Caller, at: ClockReading): Promise<RecordOut[]> {
    const records = outs.map((o) => o.record);
    const reads = outs.filter((o) => o.revealed.length > 0).map((o) => ({ recordId: String(o.record.id), fields: o.revealed }));
    if (reads.length === 0) return Promise.resolve(records);
    return this.stages.audit.recordRead({ collection: def.name, actor: caller.id, actorRole: caller.role, reads, at: at.now, request: caller.request })
      .then(() => records);
  }

  private async audit(trx: Executor, action: AuditAction, def: CollectionDef, recordId: string, caller: Caller, fields: string[], at: string): Promise<void> {
    await this.stages.audit.record({ action, collection: def.name, recordId, actor: caller.id, actorRole: caller.role, fields, at, request: caller.request }, trx);
  }
}

const isoNow = (): string => new Date().toISOString();

/** A create only inserts: it may share a group commit on PostgreSQL (Database.write). */
const GROUPED: WriteOptions = { grouped: true };

/** The request's time, read only when an output needs it (a sensitive read's event): a getter on the request's macros. */
interface ClockReading {
  readonly now: string;
}

function checkId(id: unknown): void {
  if (!isRecordId(id)) throw new StrongboxError('ERR_INVALID_ID', 'the record id is malformed');
}
