/** Typed AST of the filter/rule language. Positions are 0-based offsets into the source text. */
export type CompareOp = '=' | '!=' | '>' | '>=' | '<' | '<=' | '~' | '!~';

export type Macro = 'auth.id' | 'auth.role' | 'auth.email' | 'now' | `body.${string}`;

export type Operand =
  | { readonly kind: 'field'; readonly name: string; readonly pos: number }
  | { readonly kind: 'macro'; readonly name: Macro; readonly pos: number }
  | { readonly kind: 'string'; readonly value: string; readonly pos: number }
  | { readonly kind: 'number'; readonly value: number; readonly pos: number }
  | { readonly kind: 'boolean'; readonly value: boolean; readonly pos: number }
  | { readonly kind: 'null'; readonly pos: number };

export type Expr =
  | { readonly kind: 'and'; readonly items: readonly Expr[] }
  | { readonly kind: 'or'; readonly items: readonly Expr[] }
  | { readonly kind: 'compare'; readonly op: CompareOp; readonly left: Operand; readonly right: Operand; readonly pos: number }
  /** A bare `true` or `false`: how a rule opens or closes access explicitly. */
  | { readonly kind: 'const'; readonly value: boolean; readonly pos: number };

export interface SortTerm { readonly field: string; readonly direction: 'asc' | 'desc'; readonly pos: number }

export const FILTER_LIMITS = {
  maxLength: 2000, // characters
  maxDepth: 8, // nested parentheses
  maxComparisons: 40,
} as const;
