/**
 * Values the rule macros stand for, known when a filter is compiled for one request:
 * `@auth.id`, `@auth.role`, `@auth.email` (null for an anonymous caller), `@now`, `@body.<field>`.
 */
export interface MacroValues {
  readonly auth: { readonly id: string | null; readonly role: string | null; readonly email: string | null };
  /** The request time, normalized `YYYY-MM-DDTHH:mm:ss.sssZ`. */
  readonly now: string;
  /** Validated input of a create/update (write rules only); a missing key reads as null. */
  readonly body?: Readonly<Record<string, unknown>>;
}
