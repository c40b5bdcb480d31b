import { parseFilter } from '../src/filter/parser.ts';
import { checkExpr } from '../src/filter/check.ts';
import { compileFilter } from '../src/db/filter-compile.ts';
import { ITEMS, MACROS } from '../test/filter/filter-fixtures.ts';
const F = "title ~ 'smith' && n >= 18 && (ok = true || d < '2000-01-01') && owner = @auth.id";
const c = checkExpr(parseFilter(F), { collection: ITEMS, mode: 'filter' });
const s = performance.now(); while (performance.now() - s < 3000) for (let i = 0; i < 1000; i++) compileFilter(c, { collection: ITEMS, dialect: 'postgres', macros: MACROS });
