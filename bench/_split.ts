import { parseFilter } from '../src/filter/parser.ts';
import { checkExpr } from '../src/filter/check.ts';
import { compileFilter } from '../src/db/filter-compile.ts';
import { ITEMS, MACROS } from '../test/filter/filter-fixtures.ts';
const F = "title ~ 'smith' && n >= 18 && (ok = true || d < '2000-01-01') && owner = @auth.id";
const e = parseFilter(F); const c = checkExpr(e, { collection: ITEMS, mode: 'filter' });
function r(name: string, fn: () => unknown) { for (let i=0;i<20000;i++) fn(); const s=performance.now(); let n=0; while(performance.now()-s<1000){for(let i=0;i<1000;i++) fn(); n+=1000;} console.log(name, Math.round(n/((performance.now()-s)/1000))); }
r('parse', () => parseFilter(F));
r('check', () => checkExpr(e, { collection: ITEMS, mode: 'filter' }));
r('compile', () => compileFilter(c, { collection: ITEMS, dialect: 'postgres', macros: MACROS }));
