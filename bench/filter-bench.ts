/**
 * Parse + check + compile of a 5-term filter, per second (issue 2 target: ≥ 100,000/s).
 * `tsx bench/filter-bench.ts [--json]`. Compile means building the Kysely WHERE expression;
 * `--sql` also turns it into SQL text with the PostgreSQL compiler (reported separately).
 */
import {
  DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler,
} from 'kysely';
import type { CollectionDef, FieldDef } from '../src/config/schema.ts';
import { parseFilter } from '../src/filter/parser.ts';
import { checkExpr } from '../src/filter/check.ts';
import { compileFilter } from '../src/db/filter-compile.ts';
import type { MacroValues } from '../src/filter/macros.ts';

const base = { required: false, unique: false, index: false, default: undefined, sensitive: false, searchable: false, mask: null, read: null };
const fields: FieldDef[] = [
  { ...base, name: 'title', type: 'text', min: null, max: null, pattern: null },
  { ...base, name: 'age', type: 'number', integer: true, min: null, max: null },
  { ...base, name: 'active', type: 'boolean' },
  { ...base, name: 'born', type: 'date' },
  { ...base, name: 'email', type: 'email' },
];
const collection: CollectionDef = { name: 'patients', fields, rules: { list: null, view: null, create: null, update: null, delete: null } };
const macros: MacroValues = { auth: { id: 'AAAAAAAAAAAAAAAAAAAA', role: 'user', email: 'a@b.c' }, now: '2024-06-01T12:00:00.000Z' };
const FILTER = "title ~ 'smith' && age >= 18 && (active = true || born < '2000-01-01') && owner = @auth.id";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const pg = new Kysely<any>({ dialect: {
  createAdapter: () => new PostgresAdapter(), createDriver: () => new DummyDriver(),
  createIntrospector: (db) => new PostgresIntrospector(db), createQueryCompiler: () => new PostgresQueryCompiler(),
} });

function once(toSql: boolean): number {
  const expr = checkExpr(parseFilter(FILTER), { collection, mode: 'filter' });
  const where = compileFilter(expr, { collection, dialect: 'postgres', macros });
  return toSql ? pg.selectFrom('patients').select('id').where(where).compile().sql.length : expr.kind.length;
}

/** Operations per wall-clock second and per second of this process's CPU time (steadier on a busy machine). */
function rate(toSql: boolean, ms: number): { wall: number; cpu: number } {
  let sink = 0;
  for (let i = 0; i < 20_000; i++) sink += once(toSql); // warm-up for the JIT
  let n = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  while (performance.now() - start < ms) {
    for (let i = 0; i < 1000; i++) sink += once(toSql);
    n += 1000;
  }
  const cpu = process.cpuUsage(cpu0);
  if (sink === -1) console.log(sink);
  return { wall: Math.round(n / ((performance.now() - start) / 1000)), cpu: Math.round(n / ((cpu.user + cpu.system) / 1e6)) };
}

const fmt = (r: { wall: number; cpu: number }): string =>
  `${r.wall.toLocaleString('en-US')}/s wall, ${r.cpu.toLocaleString('en-US')}/s per CPU-second`;
const parseCompile = rate(false, 3000);
const withSql = process.argv.includes('--sql') || process.argv.includes('--json') ? rate(true, 2000) : null;
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ name: 'filter parse+check+compile (5 terms)', perSecond: parseCompile.wall, perCpuSecond: parseCompile.cpu, withSqlText: withSql, target: 100_000 }));
} else {
  console.log(`filter parse+check+compile (5 terms): ${fmt(parseCompile)} (target 100,000/s)`);
  if (withSql !== null) console.log(`  … plus Kysely SQL text (PostgreSQL): ${fmt(withSql)}`);
}
