import { FILTER_LIMITS, type CompareOp, type Expr, type Macro, type Operand } from './ast.ts';
import { describeName, filterError } from './filter-error.ts';
import { tokenize, type Token } from './tokenizer.ts';

const FIXED_MACROS: ReadonlySet<string> = new Set(['auth.id', 'auth.role', 'auth.email', 'now']);
const BODY_MACRO = /^body\.[a-z_][a-z0-9_]*(?::isset)?$/;

/**
 * Parses filter/rule text into an Expr. Grammar:
 *   expr := and ('||' and)* ; and := term ('&&' term)* ;
 *   term := '(' expr ')' | operand op operand | 'true' | 'false'
 * Throws ERR_FILTER_SYNTAX or ERR_FILTER_LIMIT with details.position.
 */
export function parseFilter(text: string): Expr {
  const p = new Parser(tokenize(text));
  const expr = p.expr(0);
  const t = p.peek();
  if (t.kind !== 'eof') throw unexpected(t);
  return expr;
}

class Parser {
  private i = 0;
  private comparisons = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  peek(): Token { return this.tokens[this.i]; }

  expr(depth: number): Expr {
    const first = this.and(depth);
    if (this.peek().kind !== '||') return first;
    const items = [first];
    while (this.peek().kind === '||') {
      this.i++;
      items.push(this.and(depth));
    }
    return { kind: 'or', items };
  }

  private and(depth: number): Expr {
    const first = this.term(depth);
    if (this.peek().kind !== '&&') return first;
    const items = [first];
    while (this.peek().kind === '&&') {
      this.i++;
      items.push(this.term(depth));
    }
    return { kind: 'and', items };
  }

  private term(depth: number): Expr {
    const t = this.tokens[this.i];
    if (t.kind === '(') {
      // checked before recursing, so hostile nesting cannot grow the stack
      if (depth >= FILTER_LIMITS.maxDepth) {
        throw filterError('ERR_FILTER_LIMIT', `nesting is deeper than ${FILTER_LIMITS.maxDepth}`, t.pos);
      }
      this.i++;
      const inner = this.expr(depth + 1);
      const close = this.tokens[this.i];
      if (close.kind !== ')') throw unexpected(close, "')'");
      this.i++;
      return inner;
    }
    this.count(t);
    const next = this.tokens[this.i + 1];
    if ((t.kind === 'true' || t.kind === 'false') && next.kind !== 'op') {
      this.i++;
      return { kind: 'const', value: t.kind === 'true', pos: t.pos };
    }
    const left = this.operand();
    const opTok = this.tokens[this.i];
    if (opTok.kind !== 'op') throw unexpected(opTok, 'an operator');
    this.i++;
    const right = this.operand();
    return { kind: 'compare', op: opTok.text as CompareOp, left, right, pos: t.pos };
  }

  private count(t: Token): void {
    if (++this.comparisons > FILTER_LIMITS.maxComparisons) {
      throw filterError('ERR_FILTER_LIMIT', `more than ${FILTER_LIMITS.maxComparisons} comparisons`, t.pos);
    }
  }

  private operand(): Operand {
    const t = this.tokens[this.i];
    const pos = t.pos;
    switch (t.kind) {
      case 'ident': this.i++; return { kind: 'field', name: t.text, pos };
      case 'string': this.i++; return { kind: 'string', value: t.value as string, pos };
      case 'number': this.i++; return { kind: 'number', value: t.value as number, pos };
      case 'true': case 'false': this.i++; return { kind: 'boolean', value: t.kind === 'true', pos };
      case 'null': this.i++; return { kind: 'null', pos };
      case 'macro':
        if (!FIXED_MACROS.has(t.text) && !BODY_MACRO.test(t.text)) {
          throw filterError('ERR_FILTER_SYNTAX', `unknown macro ${describeName('@' + t.text)}`, pos);
        }
        this.i++;
        return { kind: 'macro', name: t.text as Macro, pos };
      default:
        throw unexpected(t, 'a field, macro or value');
    }
  }
}

function unexpected(t: Token, expected?: string): Error {
  const want = expected ? `, expected ${expected}` : '';
  return filterError('ERR_FILTER_SYNTAX', `unexpected ${describeToken(t)}${want}`, t.pos);
}

function describeToken(t: Token): string {
  switch (t.kind) {
    case 'eof': return 'end of filter';
    case 'string': return 'string';
    case 'number': return 'number';
    case 'ident': return `name ${describeName(t.text)}`;
    case 'macro': return `macro ${describeName('@' + t.text)}`;
    case 'op': return `'${t.text}'`;
    default: return `'${t.kind}'`;
  }
}
