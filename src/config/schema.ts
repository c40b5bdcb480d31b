/**
 * The validated, frozen shape of collections as the rest of Strongbox sees them.
 * Produced by config/load-config.ts; read by filter/, db/ and core/.
 */
export type FieldType =
  | 'text' | 'number' | 'boolean' | 'email' | 'url'
  | 'date' | 'datetime' | 'select' | 'json' | 'relation';

export const FIELD_TYPES: readonly FieldType[] = [
  'text', 'number', 'boolean', 'email', 'url', 'date', 'datetime', 'select', 'json', 'relation',
];

/** How a sensitive field is shown to a reader who may see it only masked. */
export type MaskKind = 'last4' | 'full' | 'email';

interface FieldCommon {
  readonly name: string;
  readonly required: boolean;
  readonly unique: boolean;
  readonly index: boolean;
  /** Already validated against the field's type; undefined when none. */
  readonly default: unknown;
  /** Encrypted at rest (issue "Field encryption"); filterable only with = / != when searchable. */
  readonly sensitive: boolean;
  /** A blind index is kept so = / != work on a sensitive field. */
  readonly searchable: boolean;
  readonly mask: MaskKind | null;
  /** Per-field read rule in the filter language; null means everyone who can see the record. */
  readonly read: string | null;
  /**
   * Accepts that a unique field reveals whether a value exists (409) to callers who cannot see the
   * record holding it; without it such a field is refused at load (docs/bounded-cost.md).
   */
  readonly uniqueRevealsExistence?: boolean;
}

export interface TextField extends FieldCommon { readonly type: 'text'; readonly min: number | null; readonly max: number | null; readonly pattern: string | null }
export interface NumberField extends FieldCommon { readonly type: 'number'; readonly integer: boolean; readonly min: number | null; readonly max: number | null }
export interface BooleanField extends FieldCommon { readonly type: 'boolean' }
export interface EmailField extends FieldCommon { readonly type: 'email' }
export interface UrlField extends FieldCommon { readonly type: 'url' }
export interface DateField extends FieldCommon { readonly type: 'date' }
export interface DatetimeField extends FieldCommon { readonly type: 'datetime' }
export interface SelectField extends FieldCommon { readonly type: 'select'; readonly values: readonly string[]; readonly multiple: boolean }
export interface JsonField extends FieldCommon { readonly type: 'json' }
export interface RelationField extends FieldCommon { readonly type: 'relation'; readonly collection: string }

export type FieldDef =
  | TextField | NumberField | BooleanField | EmailField | UrlField
  | DateField | DatetimeField | SelectField | JsonField | RelationField;

export type RuleName = 'list' | 'view' | 'create' | 'update' | 'delete';
export const RULE_NAMES: readonly RuleName[] = ['list', 'view', 'create', 'update', 'delete'];

/** null = admins only (deny by default). The text is filter language, already parsed once at load. */
export type Rules = Readonly<Record<RuleName, string | null>>;

export interface CollectionDef {
  readonly name: string;
  /** User fields in declaration order (system fields are not listed here). */
  readonly fields: readonly FieldDef[];
  readonly rules: Rules;
}

/** System fields present on every record. */
export const SYSTEM_FIELDS = ['id', 'created', 'updated', 'owner'] as const;
export type SystemField = (typeof SYSTEM_FIELDS)[number];

/** Limits on json fields. */
export const JSON_MAX_BYTES = 64 * 1024; // 64 KiB
export const JSON_MAX_DEPTH = 20;

/** Collection names: lower-case identifiers; a leading underscore is reserved for system tables. */
export const NAME_PATTERN = /^[a-z][a-z0-9_]{0,27}$/; // ≤ 28 chars so index names fit PostgreSQL's 63
/**
 * Field names: a letter, then letters, digits or `_` (camelCase as JavaScript writes it). Columns
 * are always quoted, so both dialects keep the exact case; two names that differ only in case
 * are refused, since SQLite compares column names case-insensitively.
 */
export const FIELD_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,27}$/;
